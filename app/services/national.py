"""The national picture for STAR: how many teams there are and were measured, how many
municipalities have a team against the corps' goal, how fidelity is spread by year and
region, which items are weak nationally, and every team's latest result.

Only finalised reviews count, so no filter can show work in progress. Every figure is an
aggregate in SQL (a GROUP BY over the filtered reviews or their consensus ratings), so
the page costs about what a hand-written query of the same figures costs, whatever the
number of reviews.

Items are matched across scale versions by their stable keys: an item's national mean is
over every review whose scale version has the item. A principle's mean is over its items'
ratings, each version's items counted under that version's principles.

Analysts and administrators see every team. An ambassador sees the same national
figures, but a figure made from fewer than ``NATIONAL_MINIMUM_TEAMS`` teams is shown only
when those teams are all in their own scope (no single team elsewhere can be picked out),
and the table of teams holds the teams of their own scope.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from app.errors import Invalid
from app.models import (
    FINALISED,
    Municipality,
    ProgramType,
    RaterKind,
    Rating,
    Region,
    Review,
    Role,
    ScaleStatus,
    ScaleVersion,
    Team,
    TeamMunicipality,
)
from app.scales.schema import Item, LevelBand, Principle, ScaleDefinition, Text
from app.services import access, audit, profiles
from app.services import scales as scale_service
from app.services.access import Principal
from app.services.profiles import NATIONAL_MINIMUM_TEAMS

GOAL_SHARE = 2 / 3  # of all municipalities with an IPS team, the corps' goal
NO_LEVEL = "none"
YEARS = range(1990, 2101)
TEAMS_PER_PAGE = 100
TEAM_SORTS = ("name", "region", "visit", "total", "level", "change", "due")


# Written into the SQL as they are, not as parameters: a database can use an index made
# for "status = 'finalised'" only when the query says so in so many words.
CONSENSUS = sa.literal(RaterKind.CONSENSUS.value, literal_execute=True)


@dataclass(frozen=True)
class Filters:
    """What the national figures and exports are narrowed to; None is "all"."""

    year: int | None = None
    region: int | None = None
    program_type: str | None = None
    scale: str | None = None  # "ips-25/2019" (one version) or "ips-25" (all its versions)

    def as_query(self) -> dict[str, str]:
        """The filters that are set, as query parameters."""
        return {
            name: str(value)
            for name in ("year", "region", "program_type", "scale")
            if (value := getattr(self, name)) is not None
        }


def parse_filters(
    session: Session,
    *,
    year: str | None = None,
    region: str | None = None,
    program_type: str | None = None,
    scale: str | None = None,
) -> Filters:
    """Filters as a form or a script writes them; an unknown value is ``Invalid`` naming
    the values that are allowed."""
    chosen_year = None
    if year:
        text = year.strip()
        if not (text.isascii() and text.isdigit() and int(text) in YEARS):
            raise Invalid.of("err_filter_year", value=year[:20])
        chosen_year = int(text)
    chosen_region = None
    if region:
        regions = {str(r.code): r for r in region_choices(session)}
        if region.strip() not in regions:
            allowed = ", ".join(f"{code} ({r.name})" for code, r in regions.items())
            raise Invalid.of("err_filter_region", value=region[:20], allowed=allowed)
        chosen_region = int(region.strip())
    chosen_program = None
    if program_type:
        programs = [p.value for p in ProgramType]
        if program_type.strip() not in programs:
            raise Invalid.of(
                "err_filter_program", value=program_type[:40], allowed=", ".join(programs)
            )
        chosen_program = program_type.strip()
    chosen_scale = None
    if scale:
        allowed_scales = scale_values(session)
        if scale.strip() not in allowed_scales:
            raise Invalid.of(
                "err_filter_scale", value=scale[:80], allowed=", ".join(allowed_scales)
            )
        chosen_scale = scale.strip()
    return Filters(chosen_year, chosen_region, chosen_program, chosen_scale)


def region_choices(session: Session) -> list[Region]:
    return list(session.exec(select(Region).order_by(col(Region.code))))


def scale_versions(session: Session) -> list[ScaleVersion]:
    """The scale versions reviews can have been made on (drafts never are), newest first
    within each scale."""
    query = (
        select(ScaleVersion)
        .where(ScaleVersion.status != ScaleStatus.DRAFT)
        .order_by(col(ScaleVersion.scale_key), col(ScaleVersion.version).desc())
    )
    return list(session.exec(query))


def scale_values(session: Session) -> list[str]:
    """What the scale filter accepts: each scale's key, and each of its versions."""
    values: list[str] = []
    for row in scale_versions(session):
        if row.scale_key not in values:
            values.append(row.scale_key)
        values.append(f"{row.scale_key}/{row.version}")
    return values


def chosen_versions(session: Session, filters: Filters) -> list[ScaleVersion]:
    """The scale versions the filters allow, newest first within each scale."""
    rows = scale_versions(session)
    if filters.scale is None:
        return rows
    key, _, version = filters.scale.partition("/")
    return [r for r in rows if r.scale_key == key and (not version or r.version == version)]


def review_conditions(
    filters: Filters, version_ids: list[int] | None = None, *, with_year: bool = True
) -> list[ColumnElement[bool]]:
    """WHERE clauses on ``Review``: finalised, and within the filters (``version_ids``:
    the scale versions the scale filter allows)."""
    conditions: list[ColumnElement[bool]] = [col(Review.status) == FINALISED]
    if with_year and filters.year is not None:
        conditions += [
            col(Review.visit_date) >= date(filters.year, 1, 1),
            col(Review.visit_date) < date(filters.year + 1, 1, 1),
        ]
    conditions += team_conditions(filters, Review.team_id)
    if filters.scale is not None and version_ids is not None:
        conditions.append(col(Review.scale_version_id).in_(version_ids))
    return conditions


def team_conditions(filters: Filters, team_id: Any) -> list[ColumnElement[bool]]:
    """WHERE clauses on a team id column: the region and program type filters."""
    conditions: list[ColumnElement[bool]] = []
    if filters.region is not None:
        in_region = (
            select(TeamMunicipality.team_id)
            .join(Municipality, col(Municipality.code) == col(TeamMunicipality.municipality_code))
            .where(Municipality.region_code == filters.region)
        )
        conditions.append(col(team_id).in_(in_region))
    if filters.program_type is not None:
        of_program = select(Team.id).where(Team.program_type == filters.program_type)
        conditions.append(col(team_id).in_(of_program))
    return conditions


# The overview -------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemMean:
    key: str
    number: int
    title: Text
    mean: float
    ratings: int  # the consensus scores behind the mean
    teams: int  # the teams those scores come from


@dataclass(frozen=True)
class PrincipleMean:
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
class TeamRow:
    team_id: int
    name: str
    program_type: str
    regions: str
    visit_date: date | None
    scale: str | None
    total: float | None
    level_key: str | None
    level_title: Text | None
    change: float | None  # since the review before, when both are on the same scale version
    due: date | None


@dataclass
class Overview:
    filters: Filters
    year: int
    years: list[int]  # the years with finalised reviews (within the other filters)
    teams_active: int
    teams_measured: int  # teams with a finalised review in ``year``
    municipalities_covered: int
    municipalities_total: int
    levels: dict[str, int]  # finalised reviews in ``year`` per level key
    levels_by_year: list[tuple[int, dict[str, int]]]
    by_region: list[tuple[int, str, dict[str, int]]]
    items: list[ItemMean]  # weakest first
    principles: list[PrincipleMean]
    teams: list[TeamRow]
    level_titles: dict[str, Text]
    hidden: bool = False  # too few teams for this caller to see the year's figures
    hidden_regions: list[str] = field(default_factory=list)
    # Means compare like with like: one scale version's items and principles. When the
    # filters allow several, the one most of the year's reviews were made with.
    means_version: VersionCount | None = None
    versions_in_year: list[VersionCount] = field(default_factory=list)

    @property
    def share(self) -> float:
        if not self.municipalities_total:
            return 0.0
        return self.municipalities_covered / self.municipalities_total

    @property
    def goal(self) -> int:
        """Municipalities that make two thirds of those counted."""
        return -(-self.municipalities_total * 2 // 3)

    @property
    def reviews_in_year(self) -> int:
        return sum(self.levels.values())


def sees_all_teams(principal: Principal) -> bool:
    return principal.role in (Role.ADMIN, Role.ANALYST)


OVERVIEWS_KEPT = 16  # a few filters for a few scopes: each holds a row per team (~4 MB at 10,000)
_OVERVIEWS: OrderedDict[tuple[Any, ...], Overview] = OrderedDict()
_KEEPING = threading.Lock()


def forget_figures() -> None:
    """Drop the overviews kept between requests (tests roll back what they made)."""
    _OVERVIEWS.clear()


def overview(
    session: Session,
    principal: Principal,
    filters: Filters,
    *,
    today: date,
    months_below_good: int,
    months: int,
) -> Overview:
    """The national figures for the filters; the year is the chosen one, else the latest
    year with a finalised review, else this year.

    Made from every finalised review of the year, so it is kept per process for the
    caller's scope and the filters, under the figures' version (``audit.figures_version``,
    which every change to them moves): the figures change a few times a day, and are
    read far more often. Treat it as read-only."""
    assigned = principal.user_id if principal.role == Role.AMBASSADOR else None
    scope = (principal.role, principal.regions, principal.teams, assigned)
    version = audit.figures_version(session)
    key = (scope, filters, today, months_below_good, months, version)
    with _KEEPING:  # requests run in a pool of threads: one of them at a time in here
        found = _OVERVIEWS.get(key)
        if found is not None:
            _OVERVIEWS.move_to_end(key)
            return found
    found = _overview(
        session,
        principal,
        filters,
        today=today,
        months_below_good=months_below_good,
        months=months,
    )
    with _KEEPING:
        _OVERVIEWS[key] = found
        while len(_OVERVIEWS) > OVERVIEWS_KEPT:
            _OVERVIEWS.popitem(last=False)
    return found


def _overview(
    session: Session,
    principal: Principal,
    filters: Filters,
    *,
    today: date,
    months_below_good: int,
    months: int,
) -> Overview:
    versions = chosen_versions(session, filters)
    definitions = {v.id or 0: scale_service.definition_of(v) for v in versions}
    version_ids = list(definitions)
    every_year = review_conditions(filters, version_ids, with_year=False)

    # Grouped by the date itself, not by a year computed in SQL: reading a column from the
    # index costs a fraction of calling a function on every row. Days fold into years here.
    by_year: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    connection = session.connection()  # Core rows: the ORM's per-row work is not needed here
    for day, level, count in connection.execute(
        sa.select(col(Review.visit_date), col(Review.level_key), func.count())
        .where(*every_year)
        .group_by(col(Review.visit_date), col(Review.level_key))
    ):
        by_year[day.year][level or NO_LEVEL] += count
    unsafe_years: set[int] = set()
    if not sees_all_teams(principal):
        # A year whose reviews come from a few teams, not all of them the caller's own,
        # would show those teams' levels: such a year's levels are left out.
        teams_by_year: dict[int, set[int]] = defaultdict(set)
        for day, team_id in connection.execute(
            sa.select(col(Review.visit_date), col(Review.team_id)).where(*every_year).distinct()
        ):
            teams_by_year[day.year].add(team_id)
        unsafe_years = {
            shown for shown, team_ids in teams_by_year.items()
            if not _safe(session, principal, team_ids)
        }  # fmt: skip
    years = sorted(by_year)
    year = filters.year or (years[-1] if years else today.year)
    in_year = review_conditions(Filters(year, *_rest(filters)), version_ids)

    measured_teams = set(
        connection.execute(
            sa.select(col(Review.team_id))
            .join(Team, col(Team.id) == col(Review.team_id))
            .where(*in_year, col(Team.is_active).is_(True))
            .distinct()
        ).scalars()
    )
    hidden = not sees_all_teams(principal) and not _safe(session, principal, measured_teams)

    active = [col(Team.is_active).is_(True), *team_conditions(filters, Team.id)]
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

    overview = Overview(
        filters=filters,
        year=year,
        years=years,
        teams_active=teams_active,
        teams_measured=len(measured_teams),
        municipalities_covered=covered,
        municipalities_total=session.exec(all_municipalities).one(),
        levels={} if hidden else dict(by_year.get(year, {})),
        levels_by_year=[(y, dict(by_year[y])) for y in years if y not in unsafe_years],
        by_region=[],
        items=[],
        principles=[],
        teams=team_rows(
            session,
            principal,
            filters,
            definitions,
            year=year,
            months_below_good=months_below_good,
            months=months,
        ),
        level_titles=_level_titles(definitions.values()),
        hidden=hidden,
    )
    if hidden:
        return overview
    overview.by_region, overview.hidden_regions = _by_region(session, principal, in_year)
    overview.versions_in_year = _versions_in_year(session, in_year, versions)
    if overview.versions_in_year:
        chosen = max(overview.versions_in_year, key=lambda v: (v.reviews, v.id))
        overview.means_version = chosen
        one = {chosen.id: definitions[chosen.id]}
        overview.items, overview.principles = _means(session, in_year, one)
        if not sees_all_teams(principal):
            _hide_few(session, principal, overview, in_year, one)
    return overview


def _versions_in_year(
    session: Session, in_year: list[ColumnElement[bool]], versions: list[ScaleVersion]
) -> list[VersionCount]:
    """The scale versions of the year's reviews, with how many reviews each, newest
    version first."""
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


def _rest(filters: Filters) -> tuple[int | None, str | None, str | None]:
    return filters.region, filters.program_type, filters.scale


def _safe(session: Session, principal: Principal, team_ids: set[int]) -> bool:
    """Whether figures made from these teams' reviews may be shown to ``principal``."""
    if len(team_ids) >= NATIONAL_MINIMUM_TEAMS or not team_ids:
        return True
    visible = session.exec(
        select(func.count())
        .select_from(Team)
        .where(col(Team.id).in_(team_ids), access.team_scope(principal))
    ).one()
    return visible == len(team_ids)


def _level_titles(definitions: Any) -> dict[str, Text]:
    titles: dict[str, Text] = {}
    for definition in definitions:
        for band in definition.levels.bands:
            titles.setdefault(band.key, band.title)
    return titles


def _by_region(
    session: Session, principal: Principal, in_year: list[ColumnElement[bool]]
) -> tuple[list[tuple[int, str, dict[str, int]]], list[str]]:
    """The year's finalised reviews per region and level (a team serving municipalities
    in two regions counts in both)."""
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
    for code in sorted(names):
        if code not in counts:
            continue
        if not sees_all_teams(principal) and code not in principal.regions:
            team_ids = set(
                session.exec(select(pairs.c.team_id).where(pairs.c.region_code == code).distinct())
            )
            if not _safe(session, principal, team_ids):
                hidden.append(names[code])
                continue
        shown.append((code, names[code], counts[code]))
    return shown, hidden


def _hide_few(
    session: Session,
    principal: Principal,
    overview: Overview,
    in_year: list[ColumnElement[bool]],
    definitions: dict[int, ScaleDefinition],
) -> None:
    """Leave out the item and principle means made from fewer than
    ``NATIONAL_MINIMUM_TEAMS`` teams unless all of them are the caller's own (an item of
    one scale version, say, that only two teams in the country were measured on)."""
    own = sa.select(col(Team.id)).where(access.team_scope(principal))
    teams = func.count(func.distinct(Review.team_id))
    own_teams = func.count(
        func.distinct(sa.case((col(Review.team_id).in_(own), col(Review.team_id))))
    )
    safe_items = set()
    for key, counted, counted_own in session.connection().execute(
        sa.select(col(Rating.item_key), teams, own_teams)
        .join(Review, col(Review.id) == col(Rating.review_id))
        .where(
            *in_year,
            col(Review.scale_version_id).in_(list(definitions)),
            col(Rating.rater_kind) == CONSENSUS,
            col(Rating.score).is_not(None),
        )
        .group_by(col(Rating.item_key))
    ):
        if counted >= NATIONAL_MINIMUM_TEAMS or counted == counted_own:
            safe_items.add(key)
    overview.items = [item for item in overview.items if item.key in safe_items]
    principle_items: dict[str, set[str]] = defaultdict(set)
    for definition in definitions.values():
        for item in definition.items:
            for principle in item.principles:
                principle_items[principle].add(item.key)
    overview.principles = [p for p in overview.principles if principle_items[p.key] <= safe_items]


def _means(
    session: Session, in_year: list[ColumnElement[bool]], definitions: dict[int, ScaleDefinition]
) -> tuple[list[ItemMean], list[PrincipleMean]]:
    """The year's mean consensus score per item (matched by key across scale versions)
    and per principle, from one grouped query per scale version.

    The ratings are reached through ``review_id IN (the year's reviews)``, which every
    database plans as "find the reviews, then their ratings by index", whatever its
    statistics say; a plain join let SQLite scan every rating of every year first.
    """
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
    item_sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    principle_sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
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
    known_items: dict[str, Item] = {}
    known_principles: dict[str, Principle] = {}
    for definition in definitions.values():  # newest version first: its titles win
        for entry in definition.items:
            known_items.setdefault(entry.key, entry)
        for principle in definition.principles:
            known_principles.setdefault(principle.key, principle)
    items: list[ItemMean] = []
    for key, (score_sum, scored, behind) in item_sums.items():
        if (found := known_items.get(key)) is not None:
            items.append(
                ItemMean(
                    key, found.number, found.title, score_sum / scored, int(scored), int(behind)
                )
            )
    items.sort(key=lambda entry: (entry.mean, entry.number))
    principles = [
        PrincipleMean(key, p.number, p.title, score_sum / scored, int(scored), int(behind))
        for key, (score_sum, scored, behind) in principle_sums.items()
        if (p := known_principles.get(key)) is not None
    ]
    principles.sort(key=lambda entry: entry.number)
    return items, principles


def team_rows(
    session: Session,
    principal: Principal,
    filters: Filters,
    definitions: dict[int, ScaleDefinition],
    *,
    year: int,
    months_below_good: int,
    months: int,
) -> list[TeamRow]:
    """Every active team in the caller's scope and the filters, with its latest finalised
    review up to the end of ``year`` and the change since the one before."""
    # Each team's latest review and the one before, one row per team: for each team the
    # index on (team_id, visit_date, id) of finalised reviews is read backwards from the
    # year's end, one and two entries deep. A window function over every review did the
    # same in three times the time on SQLite.
    latest, previous = aliased(Review, name="latest"), aliased(Review, name="previous")

    def nth(offset: int) -> Any:
        candidate = aliased(Review, name=f"candidate_{offset}")
        return (
            sa.select(col(candidate.id))
            .where(
                col(candidate.team_id) == col(Team.id),
                col(candidate.status) == FINALISED,
                col(candidate.visit_date) < date(year + 1, 1, 1),
                *(
                    [col(candidate.scale_version_id).in_(list(definitions))]
                    if filters.scale is not None
                    else []
                ),
            )
            .order_by(col(candidate.visit_date).desc(), col(candidate.id).desc())
            .limit(1)
            .offset(offset)
            .correlate(Team)
            .scalar_subquery()
        )

    found_rows = (
        session.connection()
        .execute(
            sa.select(
                col(Team.id),
                col(Team.name),
                col(Team.program_type),
                col(latest.visit_date),
                col(latest.scale_version_id),
                col(latest.total_score),
                col(latest.level_key),
                col(previous.scale_version_id),
                col(previous.total_score),
            )  # fmt: skip
            .select_from(Team)
            .outerjoin(latest, col(latest.id) == nth(0))
            .outerjoin(previous, col(previous.id) == nth(1))
            .where(
                col(Team.is_active).is_(True),
                access.team_scope(principal),
                *team_conditions(filters, Team.id),
            )
            .order_by(col(Team.name))
        )
        .all()
    )
    regions = _team_regions(session, filters)
    outcomes: dict[tuple[int, str | None], tuple[str, LevelBand | None, int]] = {}
    rows = []
    for raw_id, name, program_type, visit, version_id, total, level_key, *before in found_rows:
        team_id = int(raw_id or 0)
        place = regions.get(team_id, "")
        if visit is None:
            rows.append(TeamRow(team_id, name, program_type, place, *(None,) * 7))
            continue
        key = (version_id, level_key)
        if key not in outcomes:  # a handful of (version, level) pairs for thousands of teams
            definition = definitions.get(version_id) or scale_service.definition_for(
                session, version_id
            )
            band = _band(definition, level_key)
            after = months_below_good if profiles.below_good(definition, band) else months
            outcomes[key] = (f"{definition.key} {definition.version}", band, after)
        scale, band, after = outcomes[key]
        before_version, before_total = before
        change = None
        if before_version == version_id and total is not None and before_total is not None:
            change = round(total - before_total, 2)
        rows.append(
            TeamRow(
                team_id=team_id,
                name=name,
                program_type=program_type,
                regions=place,
                visit_date=visit,
                scale=scale,
                total=total,
                level_key=level_key,
                level_title=band.title if band else None,
                change=change,
                due=profiles.add_months(visit, after),
            )
        )
    return rows


def _band(definition: ScaleDefinition, key: str | None) -> LevelBand | None:
    return next((band for band in definition.levels.bands if band.key == key), None)


def _team_regions(session: Session, filters: Filters) -> dict[int, str]:
    """The regions of every team the filters allow, as text."""
    found: dict[int, list[str]] = defaultdict(list)
    for team_id, name in session.connection().execute(
        sa.select(col(TeamMunicipality.team_id), col(Region.name))
        .join(Municipality, col(Municipality.code) == col(TeamMunicipality.municipality_code))
        .join(Region, col(Region.code) == col(Municipality.region_code))
        .where(*team_conditions(filters, TeamMunicipality.team_id))
        .distinct()
        .order_by(col(TeamMunicipality.team_id), col(Region.name))
    ):
        found[team_id].append(name)
    return {team_id: ", ".join(names) for team_id, names in found.items()}


LEVEL_RANK = {"exemplary": 0, "good": 1, "fair": 2, "not-ips": 3}


def sort_teams(rows: list[TeamRow], sort: str, descending: bool) -> list[TeamRow]:
    """The table of teams in the order asked for; teams without a value go last."""

    def key(row: TeamRow) -> Any:
        value: Any
        match sort:
            case "region":
                value = row.regions
            case "visit":
                value = row.visit_date
            case "total":
                value = row.total
            case "level":
                value = None if row.level_key is None else -LEVEL_RANK.get(row.level_key, 9)
            case "change":
                value = row.change
            case "due":
                value = row.due
            case _:
                value = danish(row.name)
        return value

    present = [row for row in rows if key(row) is not None]
    missing = [row for row in rows if key(row) is None]
    present.sort(key=lambda row: (key(row), danish(row.name)), reverse=descending)
    return present + sorted(missing, key=lambda row: danish(row.name))


_DANISH_LAST = str.maketrans({"æ": "z{", "ø": "z|", "å": "z}"})


def danish(text: str) -> str:
    """A sort key in Danish alphabetical order: Æ, Ø and Å after Z, in that order."""
    return text.casefold().translate(_DANISH_LAST)
