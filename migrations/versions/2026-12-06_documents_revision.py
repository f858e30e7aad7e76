"""The revision of a round's document choice, as points and figures have one: a tablet's
outbox sends the revision a change was made on, and a change made on an older one (the
leader and a consultant both choosing documents) is shown as a conflict to settle
instead of overwriting the other unseen. 0: nothing chosen yet.

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


def downgrade() -> None:
    with op.batch_alter_table("measurement_round") as batch:
        batch.drop_column("documents_revision")
