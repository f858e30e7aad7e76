"""The yearly measurement round: a team's own part (implementation self-assessment,
figures, documents), the ambassadors' implementation assessment (and its statuses per
element, for the national figures) and the link to the fidelity review; scale versions get a kind (fidelity scale or implementation
instrument), and a team's consultants an account role of their own.

Revision ID: 0011
Revises: 0010
Created: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES_BEFORE = "role IN ('admin', 'ambassador', 'team_leader', 'analyst')"
ROLES_NOW = "role IN ('admin', 'ambassador', 'team_leader', 'analyst', 'consultant')"


def upgrade() -> None:
    op.create_table(
        "measurement_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("instrument_id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "documents",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("documents_note", sa.String(length=2000), nullable=True),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("assessed_by_id", sa.Integer(), nullable=True),
        sa.Column("assessment_note", sa.String(length=5000), nullable=True),
        sa.Column(
            "team_result",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "result",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("overall_status", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "(status = 'submitted') = (submitted_at IS NOT NULL)",
            name=op.f("ck_measurement_round_submitted_when"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'submitted')", name=op.f("ck_measurement_round_status")
        ),
        sa.ForeignKeyConstraint(
            ["assessed_by_id"],
            ["user_account.id"],
            name=op.f("fk_measurement_round_assessed_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["instrument_id"],
            ["scale_version.id"],
            name=op.f("fk_measurement_round_instrument_id_scale_version"),
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_id"],
            ["user_account.id"],
            name=op.f("fk_measurement_round_opened_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["review.id"], name=op.f("fk_measurement_round_review_id_review")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["user_account.id"],
            name=op.f("fk_measurement_round_submitted_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_measurement_round_team_id_team")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measurement_round")),
        sa.UniqueConstraint("review_id", name=op.f("uq_measurement_round_review_id")),
    )
    with op.batch_alter_table("measurement_round", schema=None) as batch_op:
        batch_op.create_index(
            "ix_measurement_round_year_team_id", ["year", "team_id"], unique=False
        )
        batch_op.create_index("uq_measurement_round_team_id_year", ["team_id", "year"], unique=True)

    op.create_table(
        "implementation_rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("item_key", sa.String(length=64), nullable=False),
        sa.Column("rater", sa.String(length=20), nullable=False),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("description", sa.String(length=2000), nullable=True),
        sa.Column("evidence_date", sa.Date(), nullable=True),
        sa.Column("evidence_document", sa.String(length=300), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "rater IN ('team', 'ambassadors')", name=op.f("ck_implementation_rating_rater")
        ),
        sa.CheckConstraint(
            "level IS NULL OR (level >= 1 AND level <= 5)",
            name=op.f("ck_implementation_rating_level_range"),
        ),
        sa.CheckConstraint("revision >= 1", name=op.f("ck_implementation_rating_revision")),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["measurement_round.id"],
            name=op.f("fk_implementation_rating_round_id_measurement_round"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_implementation_rating_updated_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_implementation_rating")),
    )
    with op.batch_alter_table("implementation_rating", schema=None) as batch_op:
        batch_op.create_index(
            "uq_implementation_rating_round_id_item_key_rater",
            ["round_id", "item_key", "rater"],
            unique=True,
        )

    op.create_table(
        "round_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("part", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column(
            "content",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("content_sha256", sa.String(length=64), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["user_account.id"],
            name=op.f("fk_round_change_changed_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["measurement_round.id"],
            name=op.f("fk_round_change_round_id_measurement_round"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_change")),
        sa.UniqueConstraint("client_id", name=op.f("uq_round_change_client_id")),
    )
    with op.batch_alter_table("round_change", schema=None) as batch_op:
        batch_op.create_index("ix_round_change_round_id_id", ["round_id", "id"], unique=False)

    op.create_table(
        "team_figure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("input_key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column(
            "consultants",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("note", sa.String(length=1000), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("revision >= 1", name=op.f("ck_team_figure_revision")),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["measurement_round.id"],
            name=op.f("fk_team_figure_round_id_measurement_round"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_team_figure_updated_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_figure")),
    )
    with op.batch_alter_table("team_figure", schema=None) as batch_op:
        batch_op.create_index(
            "uq_team_figure_round_id_input_key", ["round_id", "input_key"], unique=True
        )

    op.create_table(
        "implementation_status",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("element_key", sa.String(length=64), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("status_key", sa.String(length=64), nullable=True),
        sa.Column("mean", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["measurement_round.id"],
            name=op.f("fk_implementation_status_round_id_measurement_round"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["team.id"], name=op.f("fk_implementation_status_team_id_team")
        ),
        sa.PrimaryKeyConstraint("round_id", "element_key", name=op.f("pk_implementation_status")),
    )
    with op.batch_alter_table("implementation_status", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_implementation_status_team_id"), ["team_id"], unique=False
        )
        batch_op.create_index(
            "ix_implementation_status_year_element_key_status_key",
            ["year", "element_key", "status_key", "team_id"],
            unique=False,
        )

    with op.batch_alter_table("scale_version", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=20), server_default="fidelity", nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_scale_version_kind"), "kind IN ('fidelity', 'implementation')"
        )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_user_account_role"), type_="check")
        batch_op.create_check_constraint(op.f("ck_user_account_role"), ROLES_NOW)


def downgrade() -> None:
    op.drop_table("implementation_status")
    with op.batch_alter_table("team_figure", schema=None) as batch_op:
        batch_op.drop_index("uq_team_figure_round_id_input_key")

    op.drop_table("team_figure")
    with op.batch_alter_table("round_change", schema=None) as batch_op:
        batch_op.drop_index("ix_round_change_round_id_id")

    op.drop_table("round_change")
    with op.batch_alter_table("implementation_rating", schema=None) as batch_op:
        batch_op.drop_index("uq_implementation_rating_round_id_item_key_rater")

    op.drop_table("implementation_rating")
    with op.batch_alter_table("measurement_round", schema=None) as batch_op:
        batch_op.drop_index("uq_measurement_round_team_id_year")
        batch_op.drop_index("ix_measurement_round_year_team_id")

    op.drop_table("measurement_round")
    # A consultant's account outlives the role as a disabled team leader of the same team.
    op.execute(
        "UPDATE user_account SET role = 'team_leader', is_active = false WHERE role = 'consultant'"
    )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_user_account_role"), type_="check")
        batch_op.create_check_constraint(op.f("ck_user_account_role"), ROLES_BEFORE)
    op.execute("DELETE FROM scale_version WHERE kind = 'implementation'")
    with op.batch_alter_table("scale_version", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_scale_version_kind"), type_="check")
        batch_op.drop_column("kind")
