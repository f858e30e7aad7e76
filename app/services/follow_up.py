"""The teams due for a follow-up review: those whose next review is due soon or overdue,
and those never reviewed, as the front page lists them for the people who plan visits.

A team's next review is due ``FIDELITY_FOLLOW_UP_MONTHS`` after its latest finalised
review, sooner after a result below "good" (``profiles.next_due``). The list reads one row per
team: its latest finalised review the caller may see, found by one step into the index of
finalised reviews by team and date. So its cost follows the number of teams, never the
length of their history; and since every change it depends on (a review planned,
finalised or reopened, a team changed, a reviewer taken off) raises the figures' version,
the list is kept per process under that version.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.models import Review, ReviewStatus, Role, Team
from app.services import access, audit, teams
from app.services import scales as scale_service
from app.services.access import Principal
from app.services.profiles import add_months, below_good, level_of

DUE_SOON_DAYS = 60


@dataclass(frozen=True)
class DueTeam:
    """A team whose next review is due soon or overdue (or that has never had one)."""

    team_id: int
    name: str
    last_visit: date | None
    due: date | None  # None: never reviewed
    in_progress: bool

    def overdue(self, today: date) -> bool:
        return self.due is None or self.due < today


@dataclass(frozen=True)
class DueList:
    """The first teams due for a review, most overdue first, and how many are due."""

    teams: list[DueTeam]
    total: int


_DUE: dict[tuple[Any, ...], DueList] = {}


def due_teams(
    session: Session,
    *,
    principal: Principal,
    today: date,
    months_below_good: int,
    months: int,
    limit: int = 20,
) -> DueList:
    """The first ``limit`` active teams the caller may plan for that are due for a review.

    Due: their next review is due within ``DUE_SOON_DAYS`` days or overdue; teams never
    reviewed come first, then the most overdue."""
    assigned = principal.user_id if principal.role == Role.AMBASSADOR else None
    key = (
        principal.role, principal.regions, assigned, today, months_below_good, months, limit,
        audit.figures_version(session),
    )  # fmt: skip
    found = _DUE.get(key)
    if found is None:
        found = _due_teams(
            session, principal, today=today, months_below_good=months_below_good,
            months=months, limit=limit,
        )  # fmt: skip
        if len(_DUE) >= 64:
            _DUE.clear()
        _DUE[key] = found
    return found


def forget_figures() -> None:
    """Drop the lists kept between requests (tests roll back what they made)."""
    _DUE.clear()


def _due_teams(
    session: Session,
    principal: Principal,
    *,
    today: date,
    months_below_good: int,
    months: int,
    limit: int,
) -> DueList:
    newest = teams.newest_finalised(principal)
    open_review = (
        select(Review.id)
        .where(col(Review.team_id) == col(Team.id), col(Review.status) != ReviewStatus.FINALISED)
        .correlate(Team)
        .exists()
    )
    rows = session.connection().execute(
        sa.select(
            col(Team.id),
            col(Team.name),
            col(Review.visit_date),
            col(Review.scale_version_id),
            col(Review.level_key),
            open_review,
        )
        .select_from(Team)
        .outerjoin(Review, col(Review.id) == newest)
        .where(col(Team.is_active).is_(True), access.plannable_teams(principal))
    )
    soon = date.fromordinal(today.toordinal() + DUE_SOON_DAYS)
    after: dict[tuple[int, str | None], int] = {}  # a few (version, level) pairs for all
    found = []
    for team_id, name, visit, version_id, level_key, under_way in rows:
        due = None
        if visit is not None:
            key = (version_id, level_key)
            if key not in after:
                definition = scale_service.definition_for(session, scale_version_id=version_id)
                level = level_of(definition, key=level_key)
                after[key] = months_below_good if below_good(definition, level=level) else months
            due = add_months(visit, months=after[key])
        if due is None or due <= soon:
            found.append(DueTeam(team_id or 0, name, visit, due, bool(under_way)))
    found.sort(key=lambda t: (t.due is not None, t.due or today, t.name))
    return DueList(found[:limit], len(found))
