"""Outcomes beside fidelity: STAR's quarterly monitoring figures per municipality and
target group, each import kept with the file it came from (a preview until it is stored),
and a team's own quarterly figures where the municipality's are not in.

Revision ID: 0015
Revises: 0014
Created: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outcome_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column(
            "quarters", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("row_count >= 0", name=op.f("ck_outcome_import_row_count")),
        sa.ForeignKeyConstraint(
            ["imported_by_id"],
            ["user_account.id"],
            name=op.f("fk_outcome_import_imported_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_import")),
    )
    op.create_table(
        "outcome_figure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=False),
        sa.Column("target_group", sa.String(length=20), nullable=False),
        sa.Column("municipality_code", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("participants", sa.Integer(), nullable=False),
        sa.Column("paid_hours", sa.Integer(), nullable=True),
        sa.Column("paid_hours_share", sa.Float(), nullable=True),
        sa.Column("employment", sa.Integer(), nullable=True),
        sa.Column("employment_share", sa.Float(), nullable=True),
        sa.Column("education", sa.Integer(), nullable=True),
        sa.Column("education_share", sa.Float(), nullable=True),
        sa.Column("work_or_education", sa.Integer(), nullable=True),
        sa.Column("work_or_education_share", sa.Float(), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "target_group IN ('ips', 'ips_lignende')", name=op.f("ck_outcome_figure_target_group")
        ),
        sa.CheckConstraint(
            "(municipality_code IS NULL) <> (team_id IS NULL)",
            name=op.f("ck_outcome_figure_municipality_or_team"),
        ),
        sa.CheckConstraint(
            "education IS NULL OR (education >= 0 AND education <= participants)",
            name=op.f("ck_outcome_figure_education"),
        ),
        sa.CheckConstraint(
            "education_share IS NULL OR (education_share >= 0 AND education_share <= 100)",
            name=op.f("ck_outcome_figure_education_share"),
        ),
        sa.CheckConstraint(
            "employment IS NULL OR (employment >= 0 AND employment <= participants)",
            name=op.f("ck_outcome_figure_employment"),
        ),
        sa.CheckConstraint(
            "employment_share IS NULL OR (employment_share >= 0 AND employment_share <= 100)",
            name=op.f("ck_outcome_figure_employment_share"),
        ),
        sa.CheckConstraint(
            "paid_hours IS NULL OR (paid_hours >= 0 AND paid_hours <= participants)",
            name=op.f("ck_outcome_figure_paid_hours"),
        ),
        sa.CheckConstraint(
            "paid_hours_share IS NULL OR (paid_hours_share >= 0 AND paid_hours_share <= 100)",
            name=op.f("ck_outcome_figure_paid_hours_share"),
        ),
        sa.CheckConstraint("participants >= 0", name=op.f("ck_outcome_figure_participants")),
        sa.CheckConstraint("quarter >= 1 AND quarter <= 4", name=op.f("ck_outcome_figure_quarter")),
        sa.CheckConstraint(
            "work_or_education IS NULL OR (work_or_education >= 0 AND work_or_education <= participants)",
            name=op.f("ck_outcome_figure_work_or_education"),
        ),
        sa.CheckConstraint(
            "work_or_education_share IS NULL OR (work_or_education_share >= 0 AND work_or_education_share <= 100)",
            name=op.f("ck_outcome_figure_work_or_education_share"),
        ),
        sa.ForeignKeyConstraint(
            ["entered_by_id"],
            ["user_account.id"],
            name=op.f("fk_outcome_figure_entered_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["outcome_import.id"],
            name=op.f("fk_outcome_figure_import_id_outcome_import"),
        ),
        sa.ForeignKeyConstraint(
            ["municipality_code"],
            ["municipality.code"],
            name=op.f("fk_outcome_figure_municipality_code_municipality"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["team.id"],
            name=op.f("fk_outcome_figure_team_id_team"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outcome_figure")),
    )
    with op.batch_alter_table("outcome_figure", schema=None) as batch_op:
        batch_op.create_index("ix_outcome_figure_year_quarter", ["year", "quarter"], unique=False)
        batch_op.create_index(
            "uq_outcome_figure_municipality_quarter",
            ["municipality_code", "target_group", "year", "quarter"],
            unique=True,
            sqlite_where=sa.text("municipality_code IS NOT NULL"),
            postgresql_where=sa.text("municipality_code IS NOT NULL"),
        )
        batch_op.create_index(
            "uq_outcome_figure_team_quarter",
            ["team_id", "year", "quarter"],
            unique=True,
            sqlite_where=sa.text("team_id IS NOT NULL"),
            postgresql_where=sa.text("team_id IS NOT NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("outcome_figure", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_outcome_figure_team_quarter",
            sqlite_where=sa.text("team_id IS NOT NULL"),
            postgresql_where=sa.text("team_id IS NOT NULL"),
        )
        batch_op.drop_index(
            "uq_outcome_figure_municipality_quarter",
            sqlite_where=sa.text("municipality_code IS NOT NULL"),
            postgresql_where=sa.text("municipality_code IS NOT NULL"),
        )
        batch_op.drop_index("ix_outcome_figure_year_quarter")

    op.drop_table("outcome_figure")
    op.drop_table("outcome_import")
