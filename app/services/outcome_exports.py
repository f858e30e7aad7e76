"""The quarterly outcomes in the exports: one row per figure, a municipality's from
STAR's monitoring or a team's own, in quarter order.

Within the year (the quarter's year), region and programme (target group) filters; the
scale filter is about fidelity and does not narrow these. A municipality's region is
its own; a team's own figures are in a region when the team serves a municipality
there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlmodel import col

from app.models import MEASURES, Municipality, OutcomeFigure, Region, Team
from app.services.exports import Scope, Table, Value, _streaming
from app.services.national_filters import team_conditions

COLUMNS = [
    "source", "period", "year", "quarter", "target_group", "municipality_code",
    "municipality", "region", "team_id", "team", "participants",
    *(name for measure in MEASURES for name in (measure, measure + "_share")),
    "import_id",
]  # fmt: skip


def outcomes(connection: Connection, *, scope: Scope) -> Table:
    """The outcome figures within the filters, oldest quarter first."""
    figure = OutcomeFigure
    statement = (
        sa.select(
            col(figure.year),
            col(figure.quarter),
            col(figure.target_group),
            col(figure.municipality_code),
            col(Municipality.name),
            col(Region.name),
            col(figure.team_id),
            col(Team.name),
            col(figure.participants),
            *(col(getattr(figure, name)) for m in MEASURES for name in (m, m + "_share")),
            col(figure.import_id),
        )  # fmt: skip
        .join(Municipality, col(Municipality.code) == col(figure.municipality_code), isouter=True)
        .join(Region, col(Region.code) == col(Municipality.region_code), isouter=True)
        .join(Team, col(Team.id) == col(figure.team_id), isouter=True)
        .order_by(col(figure.year), col(figure.quarter), col(figure.id))
    )
    filters = scope.filters
    if filters.year is not None:
        statement = statement.where(col(figure.year) == filters.year)
    if filters.program_type is not None:
        statement = statement.where(col(figure.target_group) == filters.program_type)
    if filters.region is not None:
        statement = statement.where(
            sa.or_(
                col(Municipality.region_code) == filters.region,
                sa.and_(
                    col(figure.team_id).is_not(None),
                    *team_conditions(filters=filters, team_id=figure.team_id),
                ),
            )
        )

    def rows() -> Iterator[tuple[Value, ...]]:
        for row in _streaming(connection, statement):
            year, quarter, group, code, municipality, region, team_id, team, *rest = row
            source = "star" if code is not None else "team"
            yield (
                source, f"{year}K{quarter}", year, quarter, group, code, municipality, region,
                team_id, team, *rest,
            )  # fmt: skip

    return Table("outcomes", list(COLUMNS), rows())


def readable(table: Table, *, t: Callable[[str], str]) -> Table:
    """The table with headers, sources and target groups in words."""

    def header(column: str) -> str:
        if column in ("team_id", "team", "year"):
            return t(f"export_col_{column}")
        if column.endswith("_share"):
            measure = column.removesuffix("_share")
            return t(f"outcome_{measure}") + " (%)"
        if column in MEASURES:
            return t(f"outcome_{column}") + f" ({t('export_outcome_count')})"
        return t(f"export_outcome_{column}")

    words: dict[int, dict[Any, Any]] = {
        COLUMNS.index("source"): {
            "star": t("outcome_source_star"),
            "team": t("outcome_source_team"),
        },
        COLUMNS.index("target_group"): {
            "ips": t("program_ips"),
            "ips_lignende": t("program_ips_lignende"),
        },
    }

    def rows() -> Iterator[tuple[Value, ...]]:
        for row in table.rows:
            values = list(row)
            for index, names in words.items():
                values[index] = names.get(values[index], values[index])
            yield tuple(values)

    return Table(table.name, [header(c) for c in table.columns], rows())
