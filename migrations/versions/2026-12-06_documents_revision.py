"""Revisions for a round's changes, as ratings have them: the revision of the round's
document choice (0: nothing chosen yet), as points and figures have one, so that a change
made on an older one (the leader and a consultant both choosing documents) is shown as a
conflict to settle instead of overwriting the other unseen; and, on each recorded change,
the revision it left, which a change sent twice is answered with (not the field group's
latest, which may be someone else's since). And indexes on a round's instrument, all
rounds and those not yet confirmed, which the list of scale versions counts the confirmed
measurements of (all less the few unconfirmed), and the same for reviews under way.

Revision ID: 0013
Revises: 0012
Created: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("measurement_round") as batch:
        batch.add_column(
            sa.Column("documents_revision", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("round_change") as batch:
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=True))
    op.create_index("ix_measurement_round_instrument_id", "measurement_round", ["instrument_id"])
    op.create_index(
        "ix_measurement_round_unconfirmed",
        "measurement_round",
        ["instrument_id"],
        sqlite_where=sa.text("assessed_at IS NULL"),
        postgresql_where=sa.text("assessed_at IS NULL"),
    )
    op.create_index(
        "ix_review_open_scale_version",
        "review",
        ["scale_version_id"],
        sqlite_where=sa.text("status != 'finalised'"),
        postgresql_where=sa.text("status != 'finalised'"),
    )


def downgrade() -> None:
    op.drop_index("ix_review_open_scale_version", table_name="review")
    op.drop_index("ix_measurement_round_unconfirmed", table_name="measurement_round")
    op.drop_index("ix_measurement_round_instrument_id", table_name="measurement_round")
    with op.batch_alter_table("round_change") as batch:
        batch.drop_column("revision")
    with op.batch_alter_table("measurement_round") as batch:
        batch.drop_column("documents_revision")
