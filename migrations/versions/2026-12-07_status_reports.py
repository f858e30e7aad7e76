"""The corps' half-yearly status reports as sent: each a frozen snapshot of its figures,
one edition after another per region and half year. Triggers refuse to change or
delete a sent report, as they do for the audit trail.

Revision ID: 0017
Revises: 0016
Created: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "status_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.Integer(), nullable=False),
        sa.Column("half", sa.String(length=6), nullable=False),
        sa.Column("edition", sa.Integer(), nullable=False),
        sa.Column(
            "content",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
        ),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("edition >= 1", name=op.f("ck_status_report_edition")),
        sa.ForeignKeyConstraint(
            ["region_code"], ["region.code"], name=op.f("fk_status_report_region_code_region")
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"],
            ["user_account.id"],
            name=op.f("fk_status_report_sent_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_report")),
    )
    with op.batch_alter_table("status_report", schema=None) as batch_op:
        batch_op.create_index("ix_status_report_half", ["half"], unique=False)
        batch_op.create_index(
            "uq_status_report_region_code_half_edition",
            ["region_code", "half", "edition"],
            unique=True,
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION status_report_frozen() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'a sent status report does not change'; END $$"
        )
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER status_report_no_{verb.lower()} BEFORE {verb} ON status_report "
                "FOR EACH ROW EXECUTE FUNCTION status_report_frozen()"
            )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER status_report_no_{verb.lower()} BEFORE {verb} ON status_report "
                "BEGIN SELECT RAISE(ABORT, 'a sent status report does not change'); END"
            )


def downgrade() -> None:
    # Dropping the table drops its triggers (the rows go with it: a downgrade is a restore).
    op.drop_table("status_report")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION status_report_frozen()")
