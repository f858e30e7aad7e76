"""Two indexes of finalised reviews for the national overview: by visit date (with the
level, team and scale version, so the figures of a year are read from the index alone),
and by team and visit date (each team's latest two reviews).

Revision ID: 0006
Revises: 0005
Created: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.create_index(
            "ix_review_finalised_visit",
            ["visit_date", "level_key", "team_id", "scale_version_id"],
            unique=False,
            sqlite_where=sa.text("status = 'finalised'"),
            postgresql_where=sa.text("status = 'finalised'"),
        )
        batch_op.create_index(
            "ix_review_finalised_team_visit",
            ["team_id", "visit_date", "id"],
            unique=False,
            sqlite_where=sa.text("status = 'finalised'"),
            postgresql_where=sa.text("status = 'finalised'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_index("ix_review_finalised_team_visit")
        batch_op.drop_index("ix_review_finalised_visit")
