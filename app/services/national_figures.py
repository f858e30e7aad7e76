"""The national figures as SQL aggregates: reviews per year and level, the teams
measured, municipalities covered, reviews per region and level, the scale versions of a
year's reviews, and the mean consensus score per item and principle.

Every figure is a GROUP BY over the filtered reviews or their consensus ratings, so the
page costs about what a hand-written query of the same figures costs, whatever the number
of reviews. Core rows are read where the ORM's per-row work is not needed.

Items are matched across scale versions by their stable keys: an item's national mean is
over every review whose scale version has the item. A principle's mean is over its items'
ratings, each version's items counted under that version's principles.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement
from sqlmodel import Session, col, func, select

from app.models import Municipality, Rating, Review, ScaleVersion, Team, TeamMunicipality
from app.scales.schema import Item, Principle, ScaleDefinition, Text
from app.services import national_small_numbers
from app.services import scales as scale_service
from app.services.access import Principal
from app.services.national_filters import CONSENSUS, Filters, region_choices, team_conditions

NO_LEVEL = "none"


@dataclass(frozen=True)
class ItemMean:
    """An item's national mean consensus score in the year, and what it rests on."""

    key: str
    number: int
    title: Text
    mean: float
    ratings: int  # the consensus scores behind the mean
    teams: int  # the teams those scores come from


@dataclass(frozen=True)
class PrincipleMean:
    """A principle's national mean over its items' consensus scores in the year."""

    key: str
    number: int
    title: Text
    mean: float
    ratings: int
    teams: int  # the teams behind its best-covered item (each rates nearly every item)


@dataclass(frozen=True)
class VersionCount:
    """A scale version the year's reviews were made with, and how many there were."""

    id: int
    scale_key: str
    version: str
    title: Text
    reviews: int

    @property
    def value(self) -> str:
        """As the scale filter writes it."""
        return f"{self.scale_key}/{self.version}"


@dataclass(frozen=True)
class Coverage:
    """The active teams within the filters, and the municipalities they serve."""

    teams_active: int
    municipalities_covered: int  # by an active team
    municipalities_total: int


def levels_by_year(
    session: Session, *, every_year: list[ColumnElement[bool]]
) -> dict[int, dict[str, int]]:
    """The reviews per year and level key (``NO_LEVEL`` for those without a level)."""
    # Grouped by the date itself, not by a year computed in SQL: reading a column from the
    # index costs a fraction of calling a function on every row. Days fold into years here.
    by_year: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for day, level, count in session.connection().execute(
        sa.select(col(Review.visit_date), col(Review.level_key), func.count())
        .where(*every_year)
        .group_by(col(Review.visit_date), col(Review.level_key))
    ):
        by_year[day.year][level or NO_LEVEL] += count
    return {year: dict(levels) for year, levels in by_year.items()}


def measured_teams(session: Session, *, in_year: list[ColumnElement[bool]]) -> set[int]:
    """The active teams with a review among ``in_year``'s."""
    return set(
        session.connection()
        .execute(
            sa.select(col(Review.team_id))
            .join(Team, col(Team.id) == col(Review.team_id))
            .where(*in_year, col(Team.is_active).is_(True))
            .distinct()
        )
        .scalars()
    )


def coverage(session: Session, *, filters: Filters) -> Coverage:
    """The active teams, and the municipalities they serve of all, within the filters."""
    active = [col(Team.is_active).is_(True), *team_conditions(filters=filters, team_id=Team.id)]
    teams_active = session.exec(select(func.count()).select_from(Team).where(*active)).one()
    in_region = (
        [col(Municipality.region_code) == filters.region] if filters.region is not None else []
    )
    covered = session.exec(
        select(func.count(func.distinct(TeamMunicipality.municipality_code)))
        .join(Team, col(Team.id) == col(TeamMunicipality.team_id))
        .join(Municipality, col(Municipality.code) == col(TeamMunicipality.municipality_code))
        .where(*active, *in_region)
    ).one()
    all_municipalities = select(func.count()).select_from(Municipality)
    if filters.region is not None:
        all_municipalities = all_municipalities.where(Municipality.region_code == filters.region)
    return Coverage(teams_active, covered, session.exec(all_municipalities).one())


def levels_by_region(
    session: Session, *, principal: Principal, in_year: list[ColumnElement[bool]]
) -> tuple[list[tuple[int, str, dict[str, int]]], list[str]]:
    """The reviews per region and level the caller may see, and the regions left out."""
    # A team serving municipalities in two regions counts in both, a review once in each.
    pairs = (
        select(
            col(Review.id).label("review_id"),
            col(Review.team_id).label("team_id"),
            col(Review.level_key).label("level_key"),
            col(Municipality.region_code).label("region_code"),
        )
        .join(TeamMunicipality, col(TeamMunicipality.team_id) == col(Review.team_id))
        .join(Municipality, col(Municipality.code) == col(TeamMunicipality.municipality_code))
        .where(*in_year)
        .distinct()
        .subquery()
    )
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for region, level, count in session.connection().execute(
        sa.select(pairs.c.region_code, pairs.c.level_key, func.count()).group_by(
            pairs.c.region_code, pairs.c.level_key
        )
    ):
        counts[region][level or NO_LEVEL] = count
    shown, hidden = [], []
    names = {r.code: r.name for r in region_choices(session)}
    for code in sorted(code for code in names if code in counts):
        if national_small_numbers.region_shown(
            session, principal=principal, region_code=code, pairs=pairs
        ):
            shown.append((code, names[code], counts[code]))
        else:
            hidden.append(names[code])
    return shown, hidden


def versions_in_year(
    session: Session, *, in_year: list[ColumnElement[bool]], versions: list[ScaleVersion]
) -> list[VersionCount]:
    """The scale versions of the year's reviews with how many each, in ``versions``' order."""
    counts = dict(
        session.connection()
        .execute(
            sa.select(col(Review.scale_version_id), func.count())
            .where(*in_year)
            .group_by(col(Review.scale_version_id))
        )
        .all()
    )
    return [
        VersionCount(
            v.id or 0,
            v.scale_key,
            v.version,
            scale_service.definition_of(v).title,
            int(counts[v.id or 0]),
        )
        for v in versions
        if counts.get(v.id or 0)
    ]


def level_titles(*, definitions: Iterable[ScaleDefinition]) -> dict[str, Text]:
    """Each level key's title, from the first of ``definitions`` that has it."""
    titles: dict[str, Text] = {}
    for definition in definitions:
        for band in definition.levels.bands:
            titles.setdefault(band.key, band.title)
    return titles


# The means ----------------------------------------------------------------------------

# Per item or principle key: the sum of the scores, how many scores, how many teams.
Sums = dict[str, list[float]]


def means(
    session: Session,
    *,
    in_year: list[ColumnElement[bool]],
    definitions: dict[int, ScaleDefinition],
) -> tuple[list[ItemMean], list[PrincipleMean]]:
    """The year's mean consensus score per item (weakest first) and per principle."""
    item_sums, principle_sums = _sums(_item_groups(session, in_year, definitions), definitions)
    known_items, known_principles = _newest_titles(definitions)
    items = [
        ItemMean(key, found.number, found.title, score_sum / scored, int(scored), int(behind))
        for key, (score_sum, scored, behind) in item_sums.items()
        if (found := known_items.get(key)) is not None
    ]
    items.sort(key=lambda entry: (entry.mean, entry.number))
    principles = [
        PrincipleMean(key, p.number, p.title, score_sum / scored, int(scored), int(behind))
        for key, (score_sum, scored, behind) in principle_sums.items()
        if (p := known_principles.get(key)) is not None
    ]
    principles.sort(key=lambda entry: entry.number)
    return items, principles


def _item_groups(
    session: Session, in_year: list[ColumnElement[bool]], definitions: dict[int, ScaleDefinition]
) -> list[tuple[int, str, Any, int, int]]:
    """(version id, item key, score sum, scores, teams): one grouped query per version."""
    # The ratings are reached through ``review_id IN (the year's reviews)``, which every
    # database plans as "find the reviews, then their ratings by index", whatever its
    # statistics say; a plain join let SQLite scan every rating of every year first.
    rows = []
    for version_id in definitions:
        reviews = select(Review.id).where(*in_year, col(Review.scale_version_id) == version_id)
        for key, total, count, teams in session.connection().execute(
            sa.select(
                col(Rating.item_key),
                func.sum(Rating.score),
                func.count(col(Rating.score)),
                func.count(
                    func.distinct(sa.case((col(Rating.score).is_not(None), col(Review.team_id))))
                ),
            )  # fmt: skip
            .join(Review, col(Review.id) == col(Rating.review_id))
            .where(col(Rating.rater_kind) == CONSENSUS, col(Rating.review_id).in_(reviews))
            .group_by(col(Rating.item_key))
        ):
            rows.append((version_id, key, total, count, teams))
    return rows


def _sums(
    rows: list[tuple[int, str, Any, int, int]], definitions: dict[int, ScaleDefinition]
) -> tuple[Sums, Sums]:
    """The grouped rows summed per item key, and per principle under each version's own."""
    item_sums: Sums = defaultdict(lambda: [0.0, 0.0, 0.0])
    principle_sums: Sums = defaultdict(lambda: [0.0, 0.0, 0.0])
    for version_id, key, total, count, teams in rows:
        definition = definitions.get(version_id)
        if definition is None or not count:
            continue
        item_sums[key][0] += float(total or 0)
        item_sums[key][1] += count
        item_sums[key][2] += teams
        try:
            principles_of = definition.item(key).principles
        except KeyError:
            continue
        for principle_key in principles_of:
            principle_sums[principle_key][0] += float(total or 0)
            principle_sums[principle_key][1] += count
            principle_sums[principle_key][2] = max(principle_sums[principle_key][2], teams)
    return item_sums, principle_sums


def _newest_titles(
    definitions: dict[int, ScaleDefinition],
) -> tuple[dict[str, Item], dict[str, Principle]]:
    """Items and principles by key, as the newest version that has each names them."""
    known_items: dict[str, Item] = {}
    known_principles: dict[str, Principle] = {}
    for definition in definitions.values():  # newest version first: its titles win
        for entry in definition.items:
            known_items.setdefault(entry.key, entry)
        for principle in definition.principles:
            known_principles.setdefault(principle.key, principle)
    return known_items, known_principles
