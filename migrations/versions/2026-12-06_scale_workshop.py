"""The measurement-concept workshop: panel members (a role of their own); on a scale
version, where a draft stands on its way to publication, its revision (two people saving
one draft at once see a conflict), what it was started from and who made, approved and
published it; the panel's comments per item, in threads; and the steps of a draft's way.

Revision ID: 0014
Revises: 0013
Created: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES_BEFORE = "role IN ('admin', 'ambassador', 'team_leader', 'analyst', 'consultant')"
ROLES_NOW = (
    "role IN ('admin', 'ambassador', 'team_leader', 'analyst', 'consultant', 'panel_member')"
)
DECISIONS = (
    "decision IN ('sent', 'approved', 'changes_requested', 'withdrawn', 'published', 'retired')"
)


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_user_account_role"), type_="check")
        batch_op.create_check_constraint(op.f("ck_user_account_role"), ROLES_NOW)

    with op.batch_alter_table("scale_version", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("approval", sa.String(length=20), server_default="editing", nullable=False)
        )
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("based_on_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("created_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("approved_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("published_by_id", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_scale_version_approval"), "approval IN ('editing', 'awaiting', 'approved')"
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_scale_version_based_on_id_scale_version"),
            "scale_version",
            ["based_on_id"],
            ["id"],
        )
        for column in ("created_by_id", "approved_by_id", "published_by_id"):
            batch_op.create_foreign_key(
                batch_op.f(f"fk_scale_version_{column}_user_account"),
                "user_account",
                [column],
                ["id"],
            )
    # Every version already published or retired went through whatever approval there was.
    op.execute("UPDATE scale_version SET approval = 'approved' WHERE status != 'draft'")

    op.create_table(
        "scale_comment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scale_version_id", sa.Integer(), nullable=False),
        sa.Column("item_key", sa.String(length=64), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.String(length=4000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user_account.id"], name=op.f("fk_scale_comment_author_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["scale_comment.id"],
            name=op.f("fk_scale_comment_parent_id_scale_comment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["user_account.id"],
            name=op.f("fk_scale_comment_resolved_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["scale_version_id"],
            ["scale_version.id"],
            name=op.f("fk_scale_comment_scale_version_id_scale_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scale_comment")),
    )
    with op.batch_alter_table("scale_comment", schema=None) as batch_op:
        batch_op.create_index(
            "ix_scale_comment_scale_version_id_id", ["scale_version_id", "id"], unique=False
        )

    op.create_table(
        "scale_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scale_version_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=4000), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(DECISIONS, name=op.f("ck_scale_decision_decision")),
        sa.ForeignKeyConstraint(
            ["scale_version_id"],
            ["scale_version.id"],
            name=op.f("fk_scale_decision_scale_version_id_scale_version"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_scale_decision_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scale_decision")),
    )
    with op.batch_alter_table("scale_decision", schema=None) as batch_op:
        batch_op.create_index(
            "ix_scale_decision_scale_version_id_id", ["scale_version_id", "id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("scale_decision")
    op.drop_table("scale_comment")
    with op.batch_alter_table("scale_version", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_scale_version_approval"), type_="check")
        for column in ("published_by_id", "approved_by_id", "created_by_id"):
            batch_op.drop_constraint(
                batch_op.f(f"fk_scale_version_{column}_user_account"), type_="foreignkey"
            )
        batch_op.drop_constraint(
            batch_op.f("fk_scale_version_based_on_id_scale_version"), type_="foreignkey"
        )
        for column in (
            "published_by_id",
            "approved_at",
            "approved_by_id",
            "created_by_id",
            "based_on_id",
            "revision",
            "approval",
        ):
            batch_op.drop_column(column)
    # Panel members' accounts stay (their sign-ins and audit events point at them), closed
    # and as analysts, a role the schema before this migration knows.
    op.execute(
        "UPDATE user_account SET role = 'analyst', is_active = false WHERE role = 'panel_member'"
    )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_user_account_role"), type_="check")
        batch_op.create_check_constraint(op.f("ck_user_account_role"), ROLES_BEFORE)
