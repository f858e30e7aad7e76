"""Scoring: every rating change kept (history and idempotency), the consensus's
recommendations, a review's strengths and summary, who finalised it, and at most one
review in progress per team.

Revision ID: 0004
Revises: 0003
Created: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "rating_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("rating_id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("content", JSON, nullable=False),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["user_account.id"],
            name=op.f("fk_rating_change_changed_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["rating_id"],
            ["rating.id"],
            name=op.f("fk_rating_change_rating_id_rating"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
            name=op.f("fk_rating_change_review_id_review"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating_change")),
        sa.UniqueConstraint("client_id", name=op.f("uq_rating_change_client_id")),
    )
    with op.batch_alter_table("rating_change", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rating_change_rating_id_revision", ["rating_id", "revision"], unique=False
        )
        batch_op.create_index(op.f("ix_rating_change_review_id"), ["review_id"], unique=False)

    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recommendation", sa.String(length=5000), nullable=True))

    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.add_column(sa.Column("finalised_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("strengths", sa.String(length=10000), nullable=True))
        batch_op.add_column(sa.Column("summary", sa.String(length=10000), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_review_finalised_by_id_user_account"),
            "user_account",
            ["finalised_by_id"],
            ["id"],
        )
        batch_op.create_index(
            "uq_review_team_open",
            ["team_id"],
            unique=True,
            sqlite_where=sa.text("status != 'finalised'"),
            postgresql_where=sa.text("status != 'finalised'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_index("uq_review_team_open")
        batch_op.drop_constraint(op.f("fk_review_finalised_by_id_user_account"), type_="foreignkey")
        batch_op.drop_column("summary")
        batch_op.drop_column("strengths")
        batch_op.drop_column("finalised_by_id")

    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.drop_column("recommendation")

    with op.batch_alter_table("rating_change", schema=None) as batch_op:
        batch_op.drop_index(op.f("ix_rating_change_review_id"))
        batch_op.drop_index("ix_rating_change_rating_id_revision")

    op.drop_table("rating_change")
