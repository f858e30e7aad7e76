"""The ambassador corps' work region by region: collaboration agreements between
municipalities and regional psychiatry (which municipalities, which partner, signed on,
ended on, the document's name) and the activities a half-year report counts (courses,
supervision, networks, events, materials).

Revision ID: 0016
Revises: 0015
Created: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "collaboration_agreement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.Integer(), nullable=False),
        sa.Column("partner", sa.String(length=200), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("document", sa.String(length=300), nullable=True),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "ended_on IS NULL OR ended_on >= signed_on",
            name=op.f("ck_collaboration_agreement_dates"),
        ),
        sa.CheckConstraint("revision >= 1", name=op.f("ck_collaboration_agreement_revision")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_collaboration_agreement_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["region.code"],
            name=op.f("fk_collaboration_agreement_region_code_region"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_collaboration_agreement_updated_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collaboration_agreement")),
    )
    with op.batch_alter_table("collaboration_agreement", schema=None) as batch_op:
        batch_op.create_index(
            "ix_collaboration_agreement_region_code_signed_on",
            ["region_code", "signed_on"],
            unique=False,
        )

    op.create_table(
        "corps_activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("consultants", sa.Integer(), nullable=True),
        sa.Column("leaders", sa.Integer(), nullable=True),
        sa.Column("psychiatry_staff", sa.Integer(), nullable=True),
        sa.Column("attendees", sa.Integer(), nullable=True),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('course', 'supervision', 'network', 'management_network', 'conference', 'webinar', 'material')",
            name=op.f("ck_corps_activity_kind"),
        ),
        sa.CheckConstraint(
            "attendees IS NULL OR attendees >= 0", name=op.f("ck_corps_activity_attendees")
        ),
        sa.CheckConstraint(
            "consultants IS NULL OR consultants >= 0", name=op.f("ck_corps_activity_consultants")
        ),
        sa.CheckConstraint(
            "leaders IS NULL OR leaders >= 0", name=op.f("ck_corps_activity_leaders")
        ),
        sa.CheckConstraint(
            "psychiatry_staff IS NULL OR psychiatry_staff >= 0",
            name=op.f("ck_corps_activity_psychiatry_staff"),
        ),
        sa.CheckConstraint("sessions >= 1", name=op.f("ck_corps_activity_sessions")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_corps_activity_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["region_code"], ["region.code"], name=op.f("fk_corps_activity_region_code_region")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_corps_activity_updated_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_corps_activity")),
    )
    with op.batch_alter_table("corps_activity", schema=None) as batch_op:
        batch_op.create_index("ix_corps_activity_held_on", ["held_on"], unique=False)
        batch_op.create_index(
            "ix_corps_activity_region_code_held_on", ["region_code", "held_on"], unique=False
        )

    op.create_table(
        "agreement_municipality",
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("municipality_code", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["collaboration_agreement.id"],
            name=op.f("fk_agreement_municipality_agreement_id_collaboration_agreement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["municipality_code"],
            ["municipality.code"],
            name=op.f("fk_agreement_municipality_municipality_code_municipality"),
        ),
        sa.PrimaryKeyConstraint(
            "agreement_id", "municipality_code", name=op.f("pk_agreement_municipality")
        ),
    )
    with op.batch_alter_table("agreement_municipality", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agreement_municipality_municipality_code"),
            ["municipality_code"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("agreement_municipality", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agreement_municipality_municipality_code"))

    op.drop_table("agreement_municipality")
    with op.batch_alter_table("corps_activity", schema=None) as batch_op:
        batch_op.drop_index("ix_corps_activity_region_code_held_on")
        batch_op.drop_index("ix_corps_activity_held_on")

    op.drop_table("corps_activity")
    with op.batch_alter_table("collaboration_agreement", schema=None) as batch_op:
        batch_op.drop_index("ix_collaboration_agreement_region_code_signed_on")

    op.drop_table("collaboration_agreement")
