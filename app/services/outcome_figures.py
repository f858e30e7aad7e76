"""Outcomes beside fidelity for STAR: the share of the people in the effort in work or
education quarter by quarter (the country or a region, and each region beside the
others), and each team's latest fidelity total against its outcome share.

Shares are weighted by the people they are shares of: a quarter's national share is the
sum of each municipality's share times its people, over the people of the
municipalities that gave it. A figure counting fewer than ``MINIMUM_PEOPLE`` people is
not shown, in a chart or a table: a share of three people says something about each of
them. A team's outcome share is over its latest ``POINT_QUARTERS`` quarters with figures
(a year, so one odd quarter does not place it), from its municipalities' figures where
all are in and its own otherwise (``outcomes.team_outcomes``' rule). The teams are those
of the overview's table, which is already the caller's scope.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from app.models import MEASURES, Municipality, OutcomeFigure, Region, Role, TeamMunicipality
from app.services import audit
from app.services.access import Principal
from app.services.national_filters import Filters
from app.services.national_teams import TeamRow
from app.services.outcome_sheet import quarter_label

MINIMUM_PEOPLE = 5
POINT_QUARTERS = 4
GOAL_MEASURE = "work_or_education"


@dataclass(frozen=True)
class QuarterShares:
    """One quarter's outcomes over some municipalities."""

    year: int
    quarter: int
    participants: int
    municipalities: int
    shares: dict[str, float]

    @property
    def label(self) -> str:
        return quarter_label(self.year, self.quarter)


@dataclass(frozen=True)
class TeamPoint:
    """A team's latest fidelity total beside its outcome share."""

    team_id: int
    name: str
    program_type: str
    regions: str
    total: float
    scale: str | None
    share: float
    participants: int
    quarters: list[str]


@dataclass
class NationalOutcomes:
    quarters: list[QuarterShares]  # within the filters, oldest first
    regions: list[tuple[str, list[QuarterShares]]] = field(default_factory=list)
    points: list[TeamPoint] = field(default_factory=list)
    teams_without: int = 0  # teams with a fidelity total but no outcome share to show


KEPT = 16  # a few filters for a few scopes, as the overview keeps them
_KEPT: OrderedDict[tuple[Any, ...], NationalOutcomes] = OrderedDict()
_KEEPING = threading.Lock()


def forget_figures() -> None:
    """Drop the outcomes kept between requests (tests roll back what they made)."""
    _KEPT.clear()


def kept_outcomes(
    session: Session, *, principal: Principal, filters: Filters, teams: list[TeamRow], today: date
) -> NationalOutcomes:
    """``national_outcomes`` for the national overview, kept between requests under the
    figures' version (an import, a team's own figures and a review finalised all move
    it), for the caller's scope and filters: the teams' points are the overview's rows,
    ten thousand of them in a country of synthetic teams."""
    assigned = principal.user_id if principal.role == Role.AMBASSADOR else None
    scope = (principal.role, principal.regions, principal.teams, assigned)
    key = (scope, filters, today, audit.figures_version(session))
    with _KEEPING:
        found = _KEPT.get(key)
        if found is not None:
            _KEPT.move_to_end(key)
            return found
    found = national_outcomes(session, filters=filters, teams=teams)
    with _KEEPING:
        _KEPT[key] = found
        while len(_KEPT) > KEPT:
            _KEPT.popitem(last=False)
    return found


def national_outcomes(
    session: Session, *, filters: Filters, teams: list[TeamRow], year: int | None = None
) -> NationalOutcomes:
    """Outcomes over the quarters within the region and program filters (the year and
    scale filters are about a year's fidelity, and do not narrow these), each region's
    beside the others' when no region is chosen, and the teams' points. With ``year``,
    only that year's quarters of the country or region (a half-year report's)."""
    if year is not None:
        return NationalOutcomes(
            quarters=_quarters(session, filters, by_region=False, year=year)[None]
        )
    found = NationalOutcomes(quarters=_quarters(session, filters, by_region=False)[None])
    if filters.region is None:
        names = dict(session.exec(select(Region.code, Region.name)).all())
        per_region = _quarters(session, filters, by_region=True)
        found.regions = [
            (names[code], per_region[code]) for code in sorted(names) if per_region.get(code)
        ]
    found.points, found.teams_without = _points(session, teams)
    return found


def _quarters(
    session: Session, filters: Filters, *, by_region: bool, year: int | None = None
) -> dict[int | None, list[QuarterShares]]:
    figure = OutcomeFigure
    region = col(Municipality.region_code)
    columns: list[Any] = [
        col(figure.year),
        col(figure.quarter),
        *([region] if by_region else []),
        sa.func.sum(col(figure.participants)),
        sa.func.count(),
    ]
    for measure in MEASURES:
        share = col(getattr(figure, measure + "_share"))
        columns.append(sa.func.sum(share * col(figure.participants)))
        columns.append(
            sa.func.sum(sa.case((share.is_not(None), col(figure.participants)), else_=0))
        )
    statement = (
        sa.select(*columns)
        .join(Municipality, col(Municipality.code) == col(figure.municipality_code))
        .where(col(figure.municipality_code).is_not(None))
        .group_by(col(figure.year), col(figure.quarter), *([region] if by_region else []))
        .order_by(col(figure.year), col(figure.quarter))
    )
    if filters.region is not None:
        statement = statement.where(region == filters.region)
    if filters.program_type is not None:
        statement = statement.where(col(figure.target_group) == filters.program_type)
    if year is not None:
        statement = statement.where(col(figure.year) == year)
    found: dict[int | None, list[QuarterShares]] = defaultdict(list)
    for row in session.connection().execute(statement):
        year, quarter, *rest = row
        place = rest.pop(0) if by_region else None
        people, places, *sums = rest
        if not people or people < MINIMUM_PEOPLE:
            continue
        shares = {}
        for index, measure in enumerate(MEASURES):
            weighted, over = sums[2 * index], sums[2 * index + 1]
            if weighted is not None and over and over >= MINIMUM_PEOPLE:
                shares[measure] = round(float(weighted) / float(over), 1)
        found[place].append(
            QuarterShares(int(year), int(quarter), int(people), int(places), shares)
        )
    return found


def _points(session: Session, teams: list[TeamRow]) -> tuple[list[TeamPoint], int]:
    """Each team with a fidelity total and an outcome share over its latest quarters."""
    measured = [row for row in teams if row.total is not None]
    if not measured:
        return [], 0
    ids = [row.team_id for row in measured]
    codes: dict[int, list[int]] = defaultdict(list)
    for team_id, code in session.exec(
        select(TeamMunicipality.team_id, TeamMunicipality.municipality_code).where(
            col(TeamMunicipality.team_id).in_(ids)
        )
    ).all():
        codes[team_id].append(code)
    every_code = sorted({code for found in codes.values() for code in found})
    # A point is over a team's latest four quarters with figures: the last three years
    # hold them for any team still reported on, whatever the length of the history.
    newest = session.exec(select(func.max(OutcomeFigure.year))).one()
    since = (newest or 0) - 2
    star: dict[tuple[int, str], dict[tuple[int, int], OutcomeFigure]] = defaultdict(dict)
    for figure in session.exec(
        select(OutcomeFigure).where(
            col(OutcomeFigure.municipality_code).in_(every_code), col(OutcomeFigure.year) >= since
        )
    ).all():
        key = (figure.municipality_code or 0, figure.target_group)
        star[key][(figure.year, figure.quarter)] = figure
    own: dict[int, dict[tuple[int, int], OutcomeFigure]] = defaultdict(dict)
    for figure in session.exec(
        select(OutcomeFigure).where(
            col(OutcomeFigure.team_id).in_(ids), col(OutcomeFigure.year) >= since
        )
    ).all():
        own[figure.team_id or 0][(figure.year, figure.quarter)] = figure
    points = []
    for row in measured:
        point = _point(row, codes.get(row.team_id, []), star, own.get(row.team_id, {}))
        if point is not None:
            points.append(point)
    return points, len(measured) - len(points)


def _point(
    row: TeamRow,
    codes: list[int],
    star: dict[tuple[int, str], dict[tuple[int, int], OutcomeFigure]],
    own: dict[tuple[int, int], OutcomeFigure],
) -> TeamPoint | None:
    per_quarter: dict[tuple[int, int], list[OutcomeFigure]] = {}
    periods = {p for code in codes for p in star.get((code, row.program_type), {})} | set(own)
    for period in periods:
        found = [star[(c, row.program_type)][period] for c in codes
                 if period in star.get((c, row.program_type), {})]  # fmt: skip
        if codes and len(found) == len(codes):
            per_quarter[period] = found
        elif period in own:
            per_quarter[period] = [own[period]]
        elif found:
            per_quarter[period] = found
    latest = sorted(per_quarter)[-POINT_QUARTERS:]
    weighted = people = 0.0
    for period in latest:
        for figure in per_quarter[period]:
            share = getattr(figure, GOAL_MEASURE + "_share")
            if share is not None:
                weighted += share * figure.participants
                people += figure.participants
    if people < MINIMUM_PEOPLE or row.total is None:
        return None
    return TeamPoint(
        team_id=row.team_id,
        name=row.name,
        program_type=row.program_type,
        regions=row.regions,
        total=row.total,
        scale=row.scale,
        share=round(weighted / people, 1),
        participants=round(people / len(latest)),  # a quarter's people, on average
        quarters=[quarter_label(*period) for period in latest],
    )
