"""The yearly measurements in the exports: one row per confirmed measurement (its status
and element means, the team's own, and the team's figures: wide), and one row per
implementation rating, the team's and the ambassadors' (long).

Only confirmed measurements, within the year, region and programme filters (the scale
filter is about fidelity and does not narrow these). Rows stream from the database in
round order, as the review tables do; the instruments and teams come from small tables
read first.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlmodel import col

from app.models import (
    ImplementationRating,
    MeasurementRound,
    ScaleKind,
    ScaleVersion,
    Team,
    TeamFigure,
)
from app.scales.implementation import ImplementationDefinition
from app.services import scales as scale_service
from app.services.exports import Scope, Table, Value, _places, _streaming
from app.services.national_filters import team_conditions

ROUND_COLUMNS = [
    "round_id", "team_id", "team", "program_type", "regions", "municipalities", "year",
    "instrument", "review_id", "submitted_on", "assessed_on", "status", "mean",
    "team_status", "team_mean",
]  # fmt: skip
IMPLEMENTATION_RATING_COLUMNS = [
    "round_id", "team_id", "team", "year", "instrument", "element", "point_key",
    "point_number", "rater", "step", "evidence_date", "evidence_document", "description",
]  # fmt: skip
FIXED = set(ROUND_COLUMNS) | set(IMPLEMENTATION_RATING_COLUMNS)


def instruments(connection: Connection) -> dict[int, tuple[str, ImplementationDefinition]]:
    """Every stored instrument by id: its "key version" and its definition."""
    rows = connection.execute(
        sa.select(
            col(ScaleVersion.id), col(ScaleVersion.scale_key), col(ScaleVersion.version),
            col(ScaleVersion.sha256), col(ScaleVersion.definition),
        ).where(col(ScaleVersion.kind) == ScaleKind.IMPLEMENTATION)
    )  # fmt: skip
    return {
        row_id: (f"{key} {version}", scale_service.stored_instrument(sha256=sha, definition=data))
        for row_id, key, version, sha, data in rows
    }


def _rounds_within(scope: Scope) -> list[Any]:
    conditions: list[Any] = [
        col(MeasurementRound.assessed_at).is_not(None),
        *team_conditions(filters=scope.filters, team_id=MeasurementRound.team_id),
    ]
    if scope.filters.year is not None:
        conditions.append(col(MeasurementRound.year) == scope.filters.year)
    return conditions


def round_columns(known: dict[int, tuple[str, ImplementationDefinition]]) -> list[str]:
    """The fixed columns, then each element's mean and status, then each team figure."""
    elements: list[str] = []
    figures: list[str] = []
    for _, definition in known.values():
        elements += [e.key for e in definition.elements if e.key not in elements]
        figures += [f.key for f in definition.team_inputs if f.key not in figures]
    return [
        *ROUND_COLUMNS,
        *(f"element:{key}:{part}" for key in elements for part in ("status", "mean")),
        *(f"figure:{key}" for key in figures),
    ]


def rounds(connection: Connection, *, scope: Scope) -> Table:
    """One row per confirmed measurement."""
    known = instruments(connection)
    columns = round_columns(known)
    elements = [
        c.split(":")[1] for c in columns if c.startswith("element:") and c.endswith(":mean")
    ]
    figure_keys = [c.split(":", 1)[1] for c in columns if c.startswith("figure:")]
    places = _places(connection)
    zone = ZoneInfo(scope.timezone)
    conditions = _rounds_within(scope)
    round_rows = _streaming(
        connection,
        sa.select(
            col(MeasurementRound.id),
            col(MeasurementRound.team_id),
            col(Team.name),
            col(Team.program_type),
            col(MeasurementRound.year),
            col(MeasurementRound.instrument_id),
            col(MeasurementRound.review_id),
            col(MeasurementRound.submitted_at),
            col(MeasurementRound.assessed_at),
            col(MeasurementRound.result),
            col(MeasurementRound.team_result),
        )  # fmt: skip
        .join(Team, col(Team.id) == col(MeasurementRound.team_id))
        .where(*conditions)
        .order_by(col(MeasurementRound.id)),
    )
    figure_rows = _streaming(
        connection,
        sa.select(
            col(TeamFigure.round_id),
            col(TeamFigure.input_key),
            col(TeamFigure.value),
            col(TeamFigure.consultants),
        )  # fmt: skip
        .where(col(TeamFigure.round_id).in_(sa.select(col(MeasurementRound.id)).where(*conditions)))
        .order_by(col(TeamFigure.round_id)),
    )

    def rows() -> Iterator[tuple[Value, ...]]:
        pending = next(figure_rows, None)
        try:
            for row in round_rows:
                round_id = row[0]
                found: dict[str, Value] = {}
                while pending is not None and pending[0] <= round_id:
                    if pending[0] == round_id:
                        found[pending[1]] = _figure(pending[2], pending[3])
                    pending = next(figure_rows, None)
                result, own = _json(row[9]), _json(row[10])
                by_element = {e["key"]: e for e in result.get("elements", [])}
                regions, municipalities = places.get(row[1], ("", ""))
                yield (
                    round_id, row[1], row[2], row[3], regions, municipalities, row[4],
                    known.get(row[5], ("", None))[0], row[6], _day(row[7], zone),
                    _day(row[8], zone), result.get("status"), result.get("mean"),
                    own.get("status"), own.get("mean"),
                    *(value for key in elements
                      for value in (by_element.get(key, {}).get("status"),
                                    by_element.get(key, {}).get("mean"))),
                    *(found.get(key) for key in figure_keys),
                )  # fmt: skip
        finally:
            round_rows.close()
            figure_rows.close()

    return Table("implementation", columns, rows())


def ratings(connection: Connection, *, scope: Scope) -> Table:
    """One row per implementation rating of a confirmed measurement, the team's and the
    ambassadors', in round order."""
    known = instruments(connection)
    teams = dict(connection.execute(sa.select(col(Team.id), col(Team.name))).all())
    found = _streaming(
        connection,
        sa.select(
            col(ImplementationRating.round_id),
            col(MeasurementRound.team_id),
            col(MeasurementRound.year),
            col(MeasurementRound.instrument_id),
            col(ImplementationRating.item_key),
            col(ImplementationRating.rater),
            col(ImplementationRating.level),
            col(ImplementationRating.evidence_date),
            col(ImplementationRating.evidence_document),
            col(ImplementationRating.description),
        )  # fmt: skip
        .join(MeasurementRound, col(MeasurementRound.id) == col(ImplementationRating.round_id))
        .where(*_rounds_within(scope))
        .order_by(col(ImplementationRating.round_id), col(ImplementationRating.id)),
    )

    def rows() -> Iterator[tuple[Value, ...]]:
        try:
            for (round_id, team_id, year, instrument_id, key, rater, level, day, document,
                 description) in found:  # fmt: skip
                title, definition = known.get(instrument_id, ("", None))
                element, number = _placed(definition, key)
                yield (
                    round_id, team_id, teams.get(team_id), year, title, element, key, number,
                    rater, level, day, document, description,
                )  # fmt: skip
        finally:
            found.close()

    return Table("implementation_ratings", list(IMPLEMENTATION_RATING_COLUMNS), rows())


def readable(
    table: Table, *, connection: Connection, language: str, t: Callable[[str], str]
) -> Table:
    """The table with headers, statuses and raters in words (machine keys stay in JSON)."""
    titles: dict[str, str] = {}
    statuses: dict[Value, Value] = {}
    for _, definition in instruments(connection).values():
        for element in definition.elements:
            titles.setdefault(element.key, f"{element.number}. {element.title.get(language)}")
        for entry in definition.team_inputs:
            titles.setdefault(
                f"figure:{entry.key}", f"{entry.label.get(language)} ({entry.unit.get(language)})"
            )
        for band in definition.status.bands:
            statuses.setdefault(band.key, band.title.get(language))

    def header(column: str) -> str:
        if column in FIXED:
            return t(f"export_col_{column}")
        if column.startswith("element:"):
            _, key, part = column.split(":")
            what = t("impl_status") if part == "status" else t("impl_mean")
            return f"{titles.get(key, key)}: {what}"
        return titles.get(column, column)

    coded: dict[int, dict[Value, Value]] = {}
    for index, column in enumerate(table.columns):
        if column in ("status", "team_status") or column.endswith(":status"):
            coded[index] = statuses
        elif column == "rater":
            coded[index] = {
                "team": t("export_rater_team"),
                "ambassadors": t("export_rater_ambassadors"),
            }
        elif column == "program_type":
            coded[index] = {"ips": t("program_ips"), "ips_lignende": t("program_ips_lignende")}
        elif column == "element":
            coded[index] = {key: value for key, value in titles.items() if ":" not in key}

    def rows() -> Iterator[tuple[Value, ...]]:
        for row in table.rows:
            values = list(row)
            for index, names in coded.items():
                values[index] = names.get(values[index], values[index])
            yield tuple(values)

    return Table(table.name, [header(c) for c in table.columns], rows())


def _placed(definition: ImplementationDefinition | None, key: str) -> tuple[str | None, int | None]:
    if definition is None:
        return None, None
    try:
        return definition.element_of(key).key, definition.item(key).number
    except KeyError:
        return None, None


def _figure(value: float | None, consultants: Any) -> Value:
    """A figure, or one per consultant written "4.5; 6"."""
    if isinstance(consultants, str):
        consultants = json.loads(consultants)
    if consultants:
        return "; ".join(f"{v:g}" for v in consultants)
    return value


def _json(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        loaded: dict[str, Any] = json.loads(value)
        return loaded
    return value or {}


def _day(moment: Any, zone: ZoneInfo) -> Value:
    return moment.astimezone(zone).date() if moment is not None else None
