"""Initial schema: places, teams, users, scale versions, reviews, ratings and the audit trail.

Revision ID: 0001
Revises:
Created: 2026-11-23 19:05:00.562742+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "region",
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_region")),
        sa.UniqueConstraint("name", name=op.f("uq_region_name")),
    )
    op.create_table(
        "scale_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scale_key", sa.String(length=64), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("title_da", sa.String(length=300), nullable=False),
        sa.Column("title_en", sa.String(length=300), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column(
            "definition", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'retired')", name=op.f("ck_scale_version_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scale_version")),
    )
    with op.batch_alter_table("scale_version", schema=None) as batch_op:
        batch_op.create_index(
            "uq_scale_version_scale_key_version", ["scale_key", "version"], unique=True
        )

    op.create_table(
        "team",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("program_type", sa.String(length=20), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "program_type IN ('ips', 'ips_lignende')", name=op.f("ck_team_program_type")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team")),
        sa.UniqueConstraint("name", name=op.f("uq_team_name")),
    )
    op.create_table(
        "user_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('admin', 'ambassador', 'team_leader', 'analyst')",
            name=op.f("ck_user_account_role"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("username", name=op.f("uq_user_account_username")),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity_type", sa.String(length=64), nullable=True),
        sa.Column("entity_id", sa.String(length=64), nullable=True),
        sa.Column(
            "before", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.Column("after", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user_account.id"], name=op.f("fk_audit_event_actor_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_event_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_event_actor_id"), ["actor_id"], unique=False)

    op.create_table(
        "municipality",
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("region_code", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["region_code"], ["region.code"], name=op.f("fk_municipality_region_code_region")
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_municipality")),
        sa.UniqueConstraint("name", name=op.f("uq_municipality_name")),
    )
    with op.batch_alter_table("municipality", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_municipality_region_code"), ["region_code"], unique=False
        )

    op.create_table(
        "review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("scale_version_id", sa.Integer(), nullable=False),
        sa.Column("visit_date", sa.Date(), nullable=False),
        sa.Column("visit_end_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("finalised_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("total_score", sa.Float(), nullable=True),
        sa.Column("level_key", sa.String(length=64), nullable=True),
        sa.Column(
            "result", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.CheckConstraint(
            "status IN ('scoring', 'consensus', 'finalised')", name=op.f("ck_review_status")
        ),
        sa.CheckConstraint(
            "visit_end_date IS NULL OR visit_end_date >= visit_date",
            name=op.f("ck_review_visit_dates"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_review_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["scale_version_id"],
            ["scale_version.id"],
            name=op.f("fk_review_scale_version_id_scale_version"),
        ),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_review_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review")),
    )
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_scale_version_id"), ["scale_version_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_review_team_id"), ["team_id"], unique=False)

    op.create_table(
        "rating",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("item_key", sa.String(length=64), nullable=False),
        sa.Column("rater_kind", sa.String(length=20), nullable=False),
        sa.Column("rater_id", sa.Integer(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("not_rated_reason", sa.String(length=1000), nullable=True),
        sa.Column("note", sa.String(length=5000), nullable=True),
        sa.Column("rationale", sa.String(length=5000), nullable=True),
        sa.Column(
            "evidence", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False
        ),
        sa.Column(
            "inputs", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True
        ),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(rater_kind = 'reviewer' AND rater_id IS NOT NULL) OR (rater_kind = 'consensus' AND rater_id IS NULL)",
            name=op.f("ck_rating_rater"),
        ),
        sa.CheckConstraint(
            "rater_kind IN ('reviewer', 'consensus')", name=op.f("ck_rating_rater_kind")
        ),
        sa.CheckConstraint("revision >= 1", name=op.f("ck_rating_revision")),
        sa.CheckConstraint(
            "score IS NULL OR (score >= 1 AND score <= 5)", name=op.f("ck_rating_score_range")
        ),
        sa.CheckConstraint(
            "score IS NULL OR not_rated_reason IS NULL", name=op.f("ck_rating_scored_or_not_rated")
        ),
        sa.ForeignKeyConstraint(
            ["rater_id"], ["user_account.id"], name=op.f("fk_rating_rater_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
            name=op.f("fk_rating_review_id_review"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_rating_updated_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rating")),
        sa.UniqueConstraint("client_id", name=op.f("uq_rating_client_id")),
    )
    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rating_rater_id"), ["rater_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rating_review_id"), ["review_id"], unique=False)
        batch_op.create_index(
            "uq_rating_consensus_item",
            ["review_id", "item_key"],
            unique=True,
            sqlite_where=sa.text("rater_kind = 'consensus'"),
            postgresql_where=sa.text("rater_kind = 'consensus'"),
        )
        batch_op.create_index(
            "uq_rating_reviewer_item",
            ["review_id", "item_key", "rater_id"],
            unique=True,
            sqlite_where=sa.text("rater_kind = 'reviewer'"),
            postgresql_where=sa.text("rater_kind = 'reviewer'"),
        )

    op.create_table(
        "review_reviewer",
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("is_lead", sa.Boolean(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["review.id"],
            name=op.f("fk_review_reviewer_review_id_review"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_review_reviewer_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("review_id", "user_id", name=op.f("pk_review_reviewer")),
    )
    with op.batch_alter_table("review_reviewer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_reviewer_user_id"), ["user_id"], unique=False)

    op.create_table(
        "team_municipality",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("municipality_code", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_code"],
            ["municipality.code"],
            name=op.f("fk_team_municipality_municipality_code_municipality"),
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["team.id"],
            name=op.f("fk_team_municipality_team_id_team"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", "municipality_code", name=op.f("pk_team_municipality")),
    )
    with op.batch_alter_table("team_municipality", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_team_municipality_municipality_code"),
            ["municipality_code"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("team_municipality", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_municipality_municipality_code"))

    op.drop_table("team_municipality")
    with op.batch_alter_table("review_reviewer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_reviewer_user_id"))

    op.drop_table("review_reviewer")
    with op.batch_alter_table("rating", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_rating_reviewer_item",
            sqlite_where=sa.text("rater_kind = 'reviewer'"),
            postgresql_where=sa.text("rater_kind = 'reviewer'"),
        )
        batch_op.drop_index(
            "uq_rating_consensus_item",
            sqlite_where=sa.text("rater_kind = 'consensus'"),
            postgresql_where=sa.text("rater_kind = 'consensus'"),
        )
        batch_op.drop_index(batch_op.f("ix_rating_review_id"))
        batch_op.drop_index(batch_op.f("ix_rating_rater_id"))

    op.drop_table("rating")
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_team_id"))
        batch_op.drop_index(batch_op.f("ix_review_scale_version_id"))

    op.drop_table("review")
    with op.batch_alter_table("municipality", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_municipality_region_code"))

    op.drop_table("municipality")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_actor_id"))
        batch_op.drop_index(batch_op.f("ix_audit_event_action"))

    op.drop_table("audit_event")
    op.drop_table("user_account")
    op.drop_table("team")
    with op.batch_alter_table("scale_version", schema=None) as batch_op:
        batch_op.drop_index("uq_scale_version_scale_key_version")

    op.drop_table("scale_version")
    op.drop_table("region")
