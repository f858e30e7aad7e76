"""Exports of finalised reviews for STAR's analysts: the wide table of reviews (one row per
review, one column per item) and the long table of ratings (one row per rating), read
for CSV, JSON or an Excel workbook (``export_writers`` and ``xlsx`` write them).

Rows are read from a streaming cursor and handed on as they come: nothing holds a whole
table in memory, and every format starts to send at once (a workbook through
``app.services.xlsx``, which writes its ZIP archive forward as the rows come).

Dates a person reads are days in the configured time zone, so a review finalised at
00:30 in Copenhagen is finalised that day, not the day before.

Columns from every scale version the filters allow are kept: items are matched across
versions by their stable keys, and an item a review's version lacks is an empty cell,
never a missing column. Only finalised reviews are ever exported.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Connection
from sqlmodel import col

from app.models import (
    Municipality,
    RaterKind,
    Rating,
    Region,
    Review,
    ReviewReviewer,
    ScaleVersion,
    Team,
    TeamMunicipality,
    User,
)
from app.scales.schema import ScaleDefinition
from app.services import scales as scale_service
from app.services.national_filters import CONSENSUS, Filters, review_conditions

CHUNK_ROWS = 2000
Value = str | int | float | date | None


@dataclass
class Table:
    """A table being read: its columns, and its rows as they come from the database."""

    name: str  # "reviews" or "ratings"
    columns: list[str]
    rows: Iterator[tuple[Value, ...]]


@dataclass(frozen=True)
class Version:
    id: int
    scale_key: str
    version: str


@dataclass(frozen=True)
class Scope:
    """What an export covers: the filters, and the scale versions they allow (newest
    first within each scale), with their definitions. Plain data, so that it outlives the
    request's session while the export streams."""

    filters: Filters
    versions: list[Version]
    definitions: dict[int, ScaleDefinition]
    timezone: str = "Europe/Copenhagen"  # where the days people read are days

    @classmethod
    def of(
        cls, versions: list[ScaleVersion], filters: Filters, *, timezone: str = "Europe/Copenhagen"
    ) -> Scope:
        definitions = {v.id or 0: scale_service.definition_of(v) for v in versions}
        plain = [Version(v.id or 0, v.scale_key, v.version) for v in versions]
        return cls(filters, plain, definitions, timezone)

    @property
    def version_ids(self) -> list[int]:
        return [v.id for v in self.versions]

    def keys(self, kind: str) -> list[str]:
        """Every section, principle or item key of the versions, each once, in the order
        of the first version that has it."""
        found: list[str] = []
        for definition in self.definitions.values():
            match kind:
                case "section":
                    keys = [section.key for section in definition.sections]
                case "principle":
                    keys = [p.key for p in sorted(definition.principles, key=lambda p: p.number)]
                case _:
                    keys = [item.key for item in definition.items]
            found += [key for key in keys if key not in found]
        return found


REVIEW_COLUMNS = [
    "review_id", "team_id", "team", "program_type", "regions", "municipalities", "scale",
    "scale_version", "visit_date", "year", "finalised_on", "total", "maximum", "level",
]  # fmt: skip
RATING_COLUMNS = [
    "review_id", "team_id", "team", "visit_date", "year", "scale", "scale_version",
    "item_key", "item_number", "rater_kind", "rater", "score", "not_rated_reason",
]  # fmt: skip


def review_columns(scope: Scope) -> list[str]:
    """The reviews table's columns: the fixed ones, then sections, principles and items."""
    return [
        *REVIEW_COLUMNS,
        *(f"section:{key}" for key in scope.keys("section")),
        *(f"principle:{key}" for key in scope.keys("principle")),
        *(f"item:{key}" for key in scope.keys("item")),
    ]


def _streaming(connection: Connection, statement: Any) -> Any:
    """Rows as the database sends them (a server-side cursor on PostgreSQL), not all at
    once; the options are the statement's, so the connection itself is left as it was."""
    return connection.execute(
        statement, execution_options={"stream_results": True, "yield_per": CHUNK_ROWS}
    )


def _conditions(connection: Connection, scope: Scope) -> tuple[list[Any], list[Any]]:
    """The filters as WHERE clauses for a table read in review order: on ``Review``, and
    the same bounds on ``Rating.review_id``.

    The scale version is compared as ``scale_version_id + 0``, which no index serves:
    given the index by version, SQLite read a version's reviews through it and then
    sorted two million ratings before sending the first row (1.4 s). Instead, the range
    of review ids the filters can reach is found first (a step through their indexes)
    and both tables are read in id order within it, so the first row goes out at once
    wherever the first matching review lies."""
    reached = review_conditions(filters=scope.filters, version_ids=scope.version_ids)
    low, high = connection.execute(
        sa.select(sa.func.min(col(Review.id)), sa.func.max(col(Review.id))).where(*reached)
    ).one()
    if low is None:
        return [sa.false()], [sa.false()]
    conditions = [
        *review_conditions(filters=scope.filters),
        col(Review.id).between(low, high),
    ]
    if scope.filters.scale is not None:
        conditions.append((col(Review.scale_version_id) + 0).in_(scope.version_ids))
    return conditions, [col(Rating.review_id).between(low, high)]


def reviews(connection: Connection, *, scope: Scope) -> Table:
    """One row per finalised review: its facts, total, level, and its figures per column.

    The figures are the section totals, principle means and every item's consensus score.
    """
    conditions, rated = _conditions(connection, scope)
    places = _places(connection)
    review_rows = _streaming(
        connection,
        sa.select(
            col(Review.id),
            col(Review.team_id),
            col(Team.name),
            col(Team.program_type),
            col(ScaleVersion.scale_key),
            col(ScaleVersion.version),
            col(Review.visit_date),
            col(Review.finalised_at),
            col(Review.total_score),
            col(Review.level_key),
            col(Review.result),
        )  # fmt: skip
        .join(Team, col(Team.id) == col(Review.team_id))
        .join(ScaleVersion, col(ScaleVersion.id) == col(Review.scale_version_id))
        .where(*conditions)
        .order_by(col(Review.id)),
    )
    # The reviews the filters reach, once, as a set the ratings are checked against:
    # the filters are decided once a review, not once a rating.
    scores = _streaming(
        connection,
        sa.select(col(Rating.review_id), col(Rating.item_key), col(Rating.score))
        .where(
            col(Rating.review_id).in_(sa.select(col(Review.id)).where(*conditions)),
            *rated,
            col(Rating.rater_kind) == CONSENSUS,
        )
        .order_by(col(Rating.review_id)),
    )
    return Table("reviews", review_columns(scope), _review_rows(review_rows, scores, places, scope))


def _review_rows(
    review_rows: Any, scores: Any, places: dict[int, tuple[str, str]], scope: Scope
) -> Iterator[tuple[Value, ...]]:
    """Each review's row with its consensus scores: both streams come in review order."""
    zone = ZoneInfo(scope.timezone)
    sections, principles = scope.keys("section"), scope.keys("principle")
    items = scope.keys("item")
    pending = next(scores, None)
    try:
        for row in review_rows:
            review_id = row[0]
            found: dict[str, float | None] = {}
            while pending is not None and pending[0] <= review_id:
                if pending[0] == review_id:
                    found[pending[1]] = pending[2]
                pending = next(scores, None)
            result = row[10] or {}
            if isinstance(result, str):
                result = json.loads(result)
            section_totals = {g["key"]: g.get("total") for g in result.get("sections", [])}
            principle_means = {g["key"]: g.get("mean") for g in result.get("principles", [])}
            regions, municipalities = places.get(row[1], ("", ""))
            # the day it was finalised where the people are, not in UTC
            finalised = row[7].astimezone(zone).date() if row[7] is not None else None
            yield (
                review_id, row[1], row[2], row[3], regions, municipalities, row[4], row[5],
                row[6], row[6].year, finalised, row[8], result.get("maximum"), row[9],
                *(section_totals.get(key) for key in sections),
                *(principle_means.get(key) for key in principles),
                *(found.get(key) for key in items),
            )  # fmt: skip
    finally:
        review_rows.close()
        scores.close()


def ratings(connection: Connection, *, scope: Scope) -> Table:
    """One row per rating of a finalised review, the reviewers' and the consensus's.

    Only the rating and its review are read per row; the team's name, the scale version
    and the rater's username come from small tables read first (a few thousand teams at
    most), which made the export twice as fast as joining them on every row."""
    conditions, rated = _conditions(connection, scope)
    numbers = {
        (version_id, item.key): item.number
        for version_id, definition in scope.definitions.items()
        for item in definition.items
    }
    versions = {v.id: (v.scale_key, v.version) for v in scope.versions}
    # Every team and user, not only those the filters reach: finding those would read
    # the reviews once more before the first row (a second, at 100,000 reviews), while
    # the tables themselves are small.
    teams = dict(connection.execute(sa.select(col(Team.id), col(Team.name))).all())
    raters = dict(connection.execute(sa.select(col(User.id), col(User.username))).all())
    result = _streaming(
        connection,
        sa.select(
            col(Rating.review_id),
            col(Review.team_id),
            col(Review.visit_date),
            col(Review.scale_version_id),
            col(Rating.item_key),
            col(Rating.rater_kind),
            col(Rating.rater_id),
            col(Rating.score),
            col(Rating.not_rated_reason),
        )  # fmt: skip
        .join(Review, col(Review.id) == col(Rating.review_id))
        .where(*conditions, *rated, _counted())
        .order_by(col(Rating.review_id), col(Rating.id)),
    )
    consensus = RaterKind.CONSENSUS.value

    def rows() -> Iterator[tuple[Value, ...]]:
        try:
            for (review_id, team_id, visit, version_id, item, kind, rater_id, score,
                 reason) in result:  # fmt: skip
                key, version = versions.get(version_id, ("", ""))
                yield (
                    review_id, team_id, teams.get(team_id), visit, visit.year, key, version,
                    item, numbers.get((version_id, item)), kind,
                    consensus if kind == consensus else raters.get(rater_id), score, reason,
                )  # fmt: skip
        finally:
            result.close()

    return Table("ratings", list(RATING_COLUMNS), rows())


def _counted() -> ColumnElement[bool]:
    """A rating that counts: the consensus's, or a reviewer's who is still on the review.

    A reviewer taken off a review keeps their ratings for the record, not in exports:
    they count in nothing (the consensus, the agreement) and must not seem to."""
    taken_off = sa.exists().where(
        col(ReviewReviewer.review_id) == col(Rating.review_id),
        col(ReviewReviewer.user_id) == col(Rating.rater_id),
        col(ReviewReviewer.removed_at).is_not(None),
    )
    return sa.or_(col(Rating.rater_id).is_(None), ~taken_off)


def _places(connection: Connection) -> dict[int, tuple[str, str]]:
    """Every team's regions and municipalities, as text (a few thousand teams at most:
    cheaper than finding the exported ones among the reviews first)."""
    rows = connection.execute(
        sa.select(col(TeamMunicipality.team_id), col(Region.name), col(Municipality.name))
        .join(Municipality, col(Municipality.code) == col(TeamMunicipality.municipality_code))
        .join(Region, col(Region.code) == col(Municipality.region_code))
        .order_by(col(TeamMunicipality.team_id), col(Municipality.name))
    )
    regions: dict[int, list[str]] = {}
    municipalities: dict[int, list[str]] = {}
    for team_id, region, municipality in rows:
        if region not in regions.setdefault(team_id, []):
            regions[team_id].append(region)
        municipalities.setdefault(team_id, []).append(municipality)
    return {
        team_id: (", ".join(regions[team_id]), ", ".join(municipalities[team_id]))
        for team_id in regions
    }


def item_rows(
    scope: Scope, *, language: str | None = None, t: Callable[[str], str] | None = None
) -> tuple[list[str], list[list[Value]]]:
    """What each exported column of items means: one row per item of each scale version.

    With a language and translator, in words: the column as the reviews sheet heads it."""
    keys = [
        "column", "scale", "scale_version", "item_key", "number", "section", "principles",
        "title_da", "title_en", "kind",
    ]  # fmt: skip
    rows: list[list[Value]] = []
    for version in scope.versions:
        definition = scope.definitions[version.id]
        for item in definition.items:
            column = f"item:{item.key}"
            if language and t:
                column = f"{t('item')} {item.number}. {item.title.get(language)}"
            rows.append(
                [
                    column, version.scale_key, version.version, item.key,
                    item.number, item.section, ", ".join(item.principles), item.title.da,
                    item.title.en, item.kind,
                ]
            )  # fmt: skip
    if language and t:
        return [t(f"export_items_{key}") for key in keys], rows
    return keys, rows
