"""The national picture for STAR, put together: how many teams there are and were
measured, how many municipalities have a team against the corps' goal, how fidelity is
spread by year and region, which items are weak nationally, and every team's latest
result. The figures come from ``national_figures``, the table of teams from
``national_teams``, what an ambassador may see from ``national_small_numbers``.

An overview is made from every finalised review of a year, so it is kept per process for
the caller's scope and the filters, under the figures' version
(``audit.figures_version``, which every change to them moves): the figures change a few
times a day, and are read far more often. A kept overview is shared: treat it as
read-only.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import Session

from app.models import Role, ScaleVersion
from app.scales.schema import ScaleDefinition, Text
from app.services import audit, national_figures, national_teams
from app.services import scales as scale_service
from app.services.access import Principal
from app.services.national_figures import ItemMean, PrincipleMean, VersionCount
from app.services.national_filters import Filters, chosen_versions, review_conditions
from app.services.national_small_numbers import (
    hidden_years,
    may_show,
    sees_all_teams,
    without_few,
)
from app.services.national_teams import TeamRow


@dataclass
class Overview:
    """The national figures for some filters, as the caller may see them."""

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
        """Municipalities that make two thirds of those counted (the corps' goal)."""
        return -(-self.municipalities_total * 2 // 3)

    @property
    def reviews_in_year(self) -> int:
        return sum(self.levels.values())


OVERVIEWS_KEPT = 16  # a few filters for a few scopes: each holds a row per team (~4 MB at 10,000)
_OVERVIEWS: OrderedDict[tuple[Any, ...], Overview] = OrderedDict()
_KEEPING = threading.Lock()


def forget_figures() -> None:
    """Drop the overviews kept between requests (tests roll back what they made)."""
    _OVERVIEWS.clear()


def overview(
    session: Session,
    *,
    principal: Principal,
    filters: Filters,
    today: date,
    months_below_good: int,
    months: int,
) -> Overview:
    """The national figures for the filters: the chosen year, else the latest with reviews."""
    assigned = principal.user_id if principal.role == Role.AMBASSADOR else None
    scope = (principal.role, principal.regions, principal.teams, assigned)
    key = (scope, filters, today, months_below_good, months, audit.figures_version(session))
    found = _kept(key)
    if found is None:
        found = _overview(
            session, principal, filters, today=today, months_below_good=months_below_good,
            months=months,
        )  # fmt: skip
        _keep(key, found)
    return found


def _kept(key: tuple[Any, ...]) -> Overview | None:
    with _KEEPING:  # requests run in a pool of threads: one of them at a time in here
        found = _OVERVIEWS.get(key)
        if found is not None:
            _OVERVIEWS.move_to_end(key)
        return found


def _keep(key: tuple[Any, ...], found: Overview) -> None:
    with _KEEPING:
        _OVERVIEWS[key] = found
        while len(_OVERVIEWS) > OVERVIEWS_KEPT:
            _OVERVIEWS.popitem(last=False)


def _overview(
    session: Session,
    principal: Principal,
    filters: Filters,
    *,
    today: date,
    months_below_good: int,
    months: int,
) -> Overview:
    """The overview made afresh (with no finalised review at all, for this year)."""
    versions = chosen_versions(session, filters=filters)
    definitions = {v.id or 0: scale_service.definition_of(v) for v in versions}
    version_ids = list(definitions)
    every_year = review_conditions(filters=filters, version_ids=version_ids, with_year=False)
    by_year = national_figures.levels_by_year(session, every_year=every_year)
    # Levels of a year whose reviews come from a few teams, not all of them the caller's
    # own, would show those teams' levels: such a year is left out.
    hidden = hidden_years(session, principal=principal, every_year=every_year)
    years = sorted(by_year)
    year = filters.year or (years[-1] if years else today.year)
    in_year = review_conditions(filters=replace(filters, year=year), version_ids=version_ids)
    measured = national_figures.measured_teams(session, in_year=in_year)
    too_few = not sees_all_teams(principal=principal) and not may_show(
        session, principal=principal, team_ids=measured
    )
    covered = national_figures.coverage(session, filters=filters)
    found = Overview(
        filters=filters,
        year=year,
        years=years,
        teams_active=covered.teams_active,
        teams_measured=len(measured),
        municipalities_covered=covered.municipalities_covered,
        municipalities_total=covered.municipalities_total,
        levels={} if too_few else dict(by_year.get(year, {})),
        levels_by_year=[(y, dict(by_year[y])) for y in years if y not in hidden],
        by_region=[],
        items=[],
        principles=[],
        teams=national_teams.team_rows(
            session,
            principal=principal,
            filters=filters,
            definitions=definitions,
            year=year,
            months_below_good=months_below_good,
            months=months,
        ),
        level_titles=national_figures.level_titles(definitions=definitions.values()),
        hidden=too_few,
    )
    if not too_few:
        _add_the_years_figures(session, principal, found, in_year, versions, definitions)
    return found


def _add_the_years_figures(
    session: Session,
    principal: Principal,
    found: Overview,
    in_year: list[ColumnElement[bool]],
    versions: list[ScaleVersion],
    definitions: dict[int, ScaleDefinition],
) -> None:
    """The year's levels per region, its scale versions, and the means of the one most
    of its reviews were made with."""
    found.by_region, found.hidden_regions = national_figures.levels_by_region(
        session, principal=principal, in_year=in_year
    )
    found.versions_in_year = national_figures.versions_in_year(
        session, in_year=in_year, versions=versions
    )
    if not found.versions_in_year:
        return
    chosen = max(found.versions_in_year, key=lambda v: (v.reviews, v.id))
    found.means_version = chosen
    one = {chosen.id: definitions[chosen.id]}
    items, principles = national_figures.means(session, in_year=in_year, definitions=one)
    found.items, found.principles = without_few(
        session,
        principal=principal,
        in_year=in_year,
        definitions=one,
        items=items,
        principles=principles,
    )
