"""The version of the national figures: one row whose number goes up, in the same
transaction, with every change that changes the figures (a review finalised or
reopened, a team changed, a scale version published...). The figures kept between
requests are kept under it; an UPDATE of one row is taken in turn, so the number rises
in the order the changes commit, on PostgreSQL too.

Revision ID: 0009
Revises: 0008
Created: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "figures_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_figures_version")),
    )
    op.bulk_insert(table, [{"id": 1, "version": 0}])


def downgrade() -> None:
    op.drop_table("figures_version")
