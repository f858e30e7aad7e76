"""A reviewer can be taken off a review in progress (replaced, or removed) with a
reason: when, by whom and why are kept on their place on the review, which stays with
their ratings for the record.

Revision ID: 0008
Revises: 0007
Created: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("review_reviewer", schema=None) as batch_op:
        batch_op.add_column(sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("removed_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("removed_reason", sa.String(length=1000), nullable=True))
        batch_op.create_foreign_key(
            "fk_review_reviewer_removed_by_id_user_account",
            "user_account",
            ["removed_by_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("review_reviewer", schema=None) as batch_op:
        batch_op.drop_constraint(
            "fk_review_reviewer_removed_by_id_user_account", type_="foreignkey"
        )
        batch_op.drop_column("removed_reason")
        batch_op.drop_column("removed_by_id")
        batch_op.drop_column("removed_at")
