"""Implementation status in numbers, from confirmed measurements only: a team's statuses
over the years beside its fidelity total, and for STAR the share of teams at each status
per element and year, and the municipalities with a measured team over the years against
the corps' two-thirds goal.

The national figures count the narrow ``implementation_status`` rows (one per element
and one overall per confirmed round), grouped in the database; they are kept per process
for the caller's scope and the filters under the figures' version, as the national
overview is. An ambassador sees a year's figures only if they come from at least
``NATIONAL_MINIMUM_TEAMS`` teams or from their own teams alone (the small-number rule).
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from app.models import (
    FINALISED,
    ImplementationStatus,
    MeasurementRound,
    Municipality,
    Review,
    Role,
    TeamMunicipality,
)
from app.scales.schema import LevelBand, Text
from app.services import access, audit
from app.services import scales as scale_service
from app.services.access import Principal
from app.services.national_filters import Filters, team_conditions
from app.services.national_small_numbers import may_show, sees_all_teams

OVERALL = ""  # the element key of a round's overall status
HISTORY_YEARS = 20


@dataclass(frozen=True)
class Scheme:
    """The elements and statuses of the newest instrument, in its order: what the charts
    and tables are drawn with (an older instrument's keys are matched by key)."""

    elements: list[tuple[str, Text]]
    bands: list[LevelBand]  # lowest first

    def band(self, key: str | None) -> LevelBand | None:
        return next((band for band in self.bands if band.key == key), None)


@dataclass(frozen=True)
class TeamYear:
    year: int
    round_id: int
    means: dict[str, float | None]  # by element key; OVERALL for the whole
    statuses: dict[str, str | None]
    fidelity_total: float | None
    fidelity_maximum: float | None


@dataclass(frozen=True)
class TeamHistory:
    scheme: Scheme
    years: list[TeamYear]  # oldest first


def scheme(session: Session) -> Scheme | None:
    """The newest published instrument's elements and statuses (None without one)."""
    row = scale_service.latest_instrument(session)
    if row is None:
        return None
    instrument = scale_service.instrument_of(row)
    return Scheme(
        elements=[(element.key, element.title) for element in instrument.elements],
        bands=sorted(instrument.status.bands, key=lambda band: band.min),
    )


def team_history(session: Session, *, principal: Principal, team_id: int) -> TeamHistory | None:
    """The team's confirmed implementation statuses by year, with the fidelity total of
    the year's review where it is finalised (None before the first confirmed round)."""
    access.visible_team(session, principal=principal, team_id=team_id)
    found = scheme(session)
    if found is None:
        return None
    rows = session.exec(
        select(MeasurementRound, Review.total_score, Review.result)
        .outerjoin(
            Review,
            (col(Review.id) == col(MeasurementRound.review_id)) & (col(Review.status) == FINALISED),
        )
        .where(MeasurementRound.team_id == team_id, col(MeasurementRound.assessed_at).is_not(None))
        .order_by(col(MeasurementRound.year).desc())
        .limit(HISTORY_YEARS)
    ).all()
    if not rows:
        return None
    years = []
    for measurement, total, result in reversed(rows):
        stored: dict[str, Any] = measurement.result or {}
        elements = {e["key"]: e for e in stored.get("elements", [])}
        years.append(
            TeamYear(
                year=measurement.year,
                round_id=measurement.id or 0,
                means={OVERALL: stored.get("mean")}
                | {key: e.get("mean") for key, e in elements.items()},
                statuses={OVERALL: stored.get("status")}
                | {key: e.get("status") for key, e in elements.items()},
                fidelity_total=total,
                fidelity_maximum=(result or {}).get("maximum"),
            )
        )
    return TeamHistory(found, years)


# The national figures -----------------------------------------------------------------------


@dataclass(frozen=True)
class YearCoverage:
    year: int
    covered: int  # municipalities served by a team whose measurement was confirmed
    total: int

    @property
    def share(self) -> float:
        return self.covered / self.total if self.total else 0.0


@dataclass(frozen=True)
class NationalImplementation:
    scheme: Scheme
    years: list[int]  # the years with confirmed measurements the caller may see
    # (element key, year) -> status key -> teams; OVERALL for the whole
    counts: dict[tuple[str, int], dict[str, int]]
    coverage: list[YearCoverage]
    hidden_years: list[int]

    @property
    def goal(self) -> int:
        """Municipalities that make two thirds of those counted."""
        total = self.coverage[0].total if self.coverage else 0
        return -(-total * 2 // 3)

    def teams(self, element_key: str, year: int) -> int:
        return sum(self.counts.get((element_key, year), {}).values())


KEPT = 16
_KEPT: OrderedDict[tuple[Any, ...], NationalImplementation | None] = OrderedDict()
_KEEPING = threading.Lock()


def forget_figures() -> None:
    """Drop the figures kept between requests (tests roll back what they made)."""
    _KEPT.clear()


def national_implementation(
    session: Session, *, principal: Principal, filters: Filters
) -> NationalImplementation | None:
    """The implementation figures over the years within the region and program filters
    (the year and scale filters do not apply: they are about a year's fidelity)."""
    assigned = principal.user_id if principal.role == Role.AMBASSADOR else None
    scope = (principal.role, principal.regions, principal.teams, assigned)
    key = (scope, filters.region, filters.program_type, audit.figures_version(session))
    with _KEEPING:
        if key in _KEPT:
            _KEPT.move_to_end(key)
            return _KEPT[key]
    found = _national(session, principal, filters)
    with _KEEPING:
        _KEPT[key] = found
        while len(_KEPT) > KEPT:
            _KEPT.popitem(last=False)
    return found


def _national(
    session: Session, principal: Principal, filters: Filters
) -> NationalImplementation | None:
    found = scheme(session)
    if found is None:
        return None
    status = ImplementationStatus
    within = team_conditions(filters=filters, team_id=status.team_id)
    counts: dict[tuple[str, int], dict[str, int]] = defaultdict(dict)
    statement = (
        sa.select(col(status.element_key), col(status.year), col(status.status_key), func.count())
        .where(*within)
        .group_by(col(status.element_key), col(status.year), col(status.status_key))
    )
    for element_key, year, status_key, count in session.connection().execute(statement):
        if status_key is not None:
            counts[(element_key, year)][status_key] = count
    years = sorted({year for (_, year) in counts})
    hidden = _hidden_years(session, principal, filters, years)
    shown = [year for year in years if year not in hidden]
    return NationalImplementation(
        scheme=found,
        years=shown,
        counts={key: value for key, value in counts.items() if key[1] in shown},
        coverage=_coverage(session, filters, shown),
        hidden_years=sorted(hidden),
    )


def _hidden_years(
    session: Session, principal: Principal, filters: Filters, years: list[int]
) -> set[int]:
    if sees_all_teams(principal=principal) or not years:
        return set()
    teams_by_year: dict[int, set[int]] = defaultdict(set)
    statement = (
        sa.select(col(ImplementationStatus.year), col(ImplementationStatus.team_id))
        .where(
            col(ImplementationStatus.element_key) == OVERALL,
            *team_conditions(filters=filters, team_id=ImplementationStatus.team_id),
        )
        .distinct()
    )
    for year, team_id in session.connection().execute(statement):
        teams_by_year[year].add(team_id)
    return {
        year
        for year, team_ids in teams_by_year.items()
        if not may_show(session, principal=principal, team_ids=team_ids)
    }


def _coverage(session: Session, filters: Filters, years: list[int]) -> list[YearCoverage]:
    """Per year, the municipalities served by a team whose measurement was confirmed."""
    if not years:
        return []
    in_region = (
        [col(Municipality.region_code) == filters.region] if filters.region is not None else []
    )
    statement = (
        sa.select(
            col(ImplementationStatus.year),
            func.count(func.distinct(TeamMunicipality.municipality_code)),
        )
        .join(TeamMunicipality, col(TeamMunicipality.team_id) == col(ImplementationStatus.team_id))
        .join(Municipality, col(Municipality.code) == col(TeamMunicipality.municipality_code))
        .where(
            col(ImplementationStatus.element_key) == OVERALL,
            col(ImplementationStatus.year).in_(years),
            *team_conditions(filters=filters, team_id=ImplementationStatus.team_id),
            *in_region,
        )
        .group_by(col(ImplementationStatus.year))
    )
    covered = dict(session.connection().execute(statement).all())
    total_statement = select(func.count()).select_from(Municipality)
    if filters.region is not None:
        total_statement = total_statement.where(Municipality.region_code == filters.region)
    total = session.exec(total_statement).one()
    return [YearCoverage(year, int(covered.get(year, 0)), total) for year in years]
