"""The 5 regions and 98 municipalities of Denmark, with their official codes.

Reads migrations/data/municipalities.csv, copied from the domain notes. The file is part
of this migration: a later correction is a new migration, never an edit of the CSV.

Revision ID: 0002
Revises: 0001
Created: 2026-11-23
"""

import csv
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DATA = Path(__file__).resolve().parent.parent / "data" / "municipalities.csv"

region = sa.table("region", sa.column("code", sa.Integer), sa.column("name", sa.String))
municipality = sa.table(
    "municipality",
    sa.column("code", sa.Integer),
    sa.column("name", sa.String),
    sa.column("region_code", sa.Integer),
)


def upgrade() -> None:
    with DATA.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    regions = {int(row["region_code"]): row["region_name"] for row in rows}
    op.bulk_insert(region, [{"code": code, "name": name} for code, name in sorted(regions.items())])
    op.bulk_insert(
        municipality,
        [
            {
                "code": int(row["municipality_code"]),
                "name": row["municipality_name"],
                "region_code": int(row["region_code"]),
            }
            for row in rows
        ],
    )


def downgrade() -> None:
    op.execute(municipality.delete())
    op.execute(region.delete())
