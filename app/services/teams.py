"""Teams and the municipalities they serve, seen through the caller's scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, and_, func, or_
from sqlmodel import Session, col, select

from app.errors import Conflict, Invalid
from app.models import (
    FINALISED,
    Municipality,
    ProgramType,
    Region,
    Review,
    ReviewStatus,
    Team,
    TeamMunicipality,
    folded,
)
from app.services import access, audit, paging
from app.services.access import Principal
from app.services.paging import Page, PageRequest


@dataclass
class TeamSummary:
    team: Team
    municipalities: list[Municipality] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)
    latest: Review | None = None  # the latest finalised review the caller may see
    in_progress: bool = False  # a review the caller may see is under way
    review_count: int = 0


def _municipalities(session: Session, team_ids: list[int]) -> dict[int, list[Municipality]]:
    rows = session.exec(
        select(TeamMunicipality.team_id, Municipality)
        .join(Municipality, col(Municipality.code) == col(TeamMunicipality.municipality_code))
        .where(col(TeamMunicipality.team_id).in_(team_ids))
        .order_by(col(Municipality.name))
    )
    found: dict[int, list[Municipality]] = {team_id: [] for team_id in team_ids}
    for team_id, municipality in rows:
        found[team_id].append(municipality)
    return found


@dataclass(frozen=True)
class TeamQuery:
    """Which teams a list shows: a search over team and municipality names, and whether
    inactive teams are included."""

    search: str | None = None
    include_inactive: bool = False
    plannable: bool = False  # only the teams the caller may plan a review of

    def as_query(self) -> dict[str, str]:
        return {"q": self.search} if self.search else {}


def _team_conditions(principal: Principal, query: TeamQuery) -> list[ColumnElement[bool]]:
    conditions = [access.team_scope(principal)]
    if not query.include_inactive:
        conditions.append(col(Team.is_active).is_(True))
    if query.plannable:
        conditions.append(access.plannable_teams(principal))
    if query.search:
        needle = query.search.lower()
        served = (
            select(TeamMunicipality.team_id)
            .join(Municipality, col(Municipality.code) == col(TeamMunicipality.municipality_code))
            .where(folded(col(Municipality.name)).contains(needle, autoescape=True))
        )
        conditions.append(
            or_(
                folded(col(Team.name)).contains(needle, autoescape=True),
                col(Team.id).in_(served),
            )
        )
    return conditions


def team_page(
    session: Session, *, principal: Principal, query: TeamQuery, page: PageRequest
) -> Page[TeamSummary]:
    """One page of the teams the caller may see, by name, each with its municipalities,
    regions and latest review the caller may see. A page past the end is refused."""
    conditions = _team_conditions(principal, query)
    total = session.exec(select(func.count()).select_from(Team).where(*conditions)).one()
    paging.check_within(page, total=total)
    chosen = list(
        session.exec(
            select(Team)
            .where(*conditions)
            .order_by(col(Team.name), col(Team.id))
            .offset(page.offset)
            .limit(page.size)
        )
    )
    return Page(
        summaries(session, principal=principal, teams=chosen), page.number, page.size, total
    )


def team_slice(
    session: Session,
    *,
    principal: Principal,
    query: TeamQuery,
    after: tuple[str, int] | None,
    limit: int,
) -> tuple[list[TeamSummary], tuple[str, int] | None]:
    """Up to ``limit`` teams after the (name, id) ``after``, by name, and the key the
    next slice starts after (None: this was the last). For the API's cursors."""
    statement = select(Team).where(*_team_conditions(principal, query))
    if after is not None:
        name, team_id = after
        statement = statement.where(
            or_(col(Team.name) > name, and_(col(Team.name) == name, col(Team.id) > team_id))
        )
    found = list(session.exec(statement.order_by(col(Team.name), col(Team.id)).limit(limit + 1)))
    following = None
    if len(found) > limit:
        found = found[:limit]
        following = (found[-1].name, found[-1].id or 0)
    return summaries(session, principal=principal, teams=found), following


def summaries(session: Session, *, principal: Principal, teams: list[Team]) -> list[TeamSummary]:
    """Each team with its municipalities, regions, latest finalised review, whether a
    review is under way and how many reviews there are, all as the caller may see them;
    a few queries for the whole list, each bounded by the teams given."""
    ids = [team.id for team in teams if team.id is not None]
    if not ids:
        return []
    municipalities = _municipalities(session, ids)
    regions = {region.code: region for region in session.exec(select(Region))}
    latest = {
        review.team_id: review
        for review in latest_reviews(session, principal=principal, team_ids=ids)
    }
    counts = dict(
        session.exec(
            select(Review.team_id, func.count())
            .where(col(Review.team_id).in_(ids), access.review_scope(principal))
            .group_by(col(Review.team_id))
        ).all()
    )
    under_way = set(
        session.exec(
            select(Review.team_id).where(
                col(Review.team_id).in_(ids),
                col(Review.status) != ReviewStatus.FINALISED,
                access.review_scope(principal),
            )
        )
    )
    found = []
    for team in teams:
        assert team.id is not None
        served = municipalities[team.id]
        codes = sorted({m.region_code for m in served})
        found.append(
            TeamSummary(
                team,
                served,
                [regions[code] for code in codes],
                latest.get(team.id),
                team.id in under_way,
                int(counts.get(team.id, 0)),
            )
        )
    return found


def newest_finalised(principal: Principal) -> ScalarSelect[int | None]:
    """The id of a team's latest finalised review the caller may see, for a query about
    ``Team``: one step into the index of finalised reviews by team and date."""
    return (
        select(Review.id)
        .where(
            col(Review.team_id) == col(Team.id),
            col(Review.status) == FINALISED,
            access.review_scope(principal),
        )
        .order_by(col(Review.visit_date).desc(), col(Review.id).desc())
        .limit(1)
        .correlate(Team)
        .scalar_subquery()
    )


def latest_reviews(session: Session, *, principal: Principal, team_ids: list[int]) -> list[Review]:
    """The latest finalised review of each of the teams that has one, as the caller may
    see it."""
    newest = newest_finalised(principal)
    return list(
        session.exec(
            select(Review).join(Team, col(Review.id) == newest).where(col(Team.id).in_(team_ids))
        )
    )


def team_summary(session: Session, *, principal: Principal, team_id: int) -> TeamSummary:
    """One team as the team list shows it, if ``principal`` may see it."""
    team = access.visible_team(session, principal=principal, team_id=team_id)
    served = _municipalities(session, [team_id])[team_id]
    codes = sorted({m.region_code for m in served})
    regions = list(session.exec(select(Region).where(col(Region.code).in_(codes))))
    return TeamSummary(team, served, regions)


def teams_by_id(session: Session, *, ids: list[int]) -> list[Team]:
    """The teams with these ids, by name (a user's scope, as the admin form shows it)."""
    if not ids:
        return []
    return list(session.exec(select(Team).where(col(Team.id).in_(ids)).order_by(col(Team.name))))


def team_named(session: Session, *, name: str) -> Team:
    """The team of exactly this name, in any case (what the admin types to add a team to
    a leader's scope); Invalid naming it when there is none."""
    wanted = " ".join(name.split())
    found = session.exec(select(Team).where(folded(col(Team.name)) == wanted.lower())).first()
    if found is None:
        raise Invalid.of("err_no_team_named", name=wanted)
    return found


def name_suggestions(session: Session, *, text: str | None, limit: int = 10) -> list[str]:
    """Up to ``limit`` team names containing ``text`` (any case), by name."""
    if not text:
        return []
    needle = text.lower()
    return list(
        session.exec(
            select(Team.name)
            .where(folded(col(Team.name)).contains(needle, autoescape=True))
            .order_by(col(Team.name))
            .limit(limit)
        )
    )


def all_municipalities(session: Session) -> list[tuple[Region, list[Municipality]]]:
    """Every region with its municipalities by name (the team form's choices)."""
    regions = list(session.exec(select(Region).order_by(col(Region.code))))
    municipalities = list(session.exec(select(Municipality).order_by(col(Municipality.name))))
    return [(r, [m for m in municipalities if m.region_code == r.code]) for r in regions]


def _check(session: Session, name: str, program_type: str, codes: list[int]) -> list[int]:
    if not name.strip() or len(name.strip()) > 200:
        raise Invalid.of("err_team_name")
    if program_type not in {p.value for p in ProgramType}:
        allowed = ", ".join(p.value for p in ProgramType)
        raise Invalid.of("err_program_type", value=program_type, allowed=allowed)
    codes = sorted(set(codes))
    if not codes:
        raise Invalid.of("err_team_needs_municipality")
    known = set(session.exec(select(Municipality.code).where(col(Municipality.code).in_(codes))))
    if unknown := [code for code in codes if code not in known]:
        raise Invalid.of("err_unknown_municipality", code=unknown[0])
    return codes


def _snapshot(session: Session, team: Team) -> dict[str, Any]:
    assert team.id is not None
    codes = session.exec(
        select(TeamMunicipality.municipality_code)
        .where(TeamMunicipality.team_id == team.id)
        .order_by(col(TeamMunicipality.municipality_code))
    )
    return {
        "name": team.name,
        "program_type": str(team.program_type),
        "is_active": team.is_active,
        "municipalities": list(codes),
    }


def _name_taken(session: Session, name: str, team_id: int | None) -> bool:
    other = session.exec(select(Team).where(func.lower(Team.name) == name.lower())).first()
    return other is not None and other.id != team_id


def create_team(
    session: Session, *, by: Principal, name: str, program_type: str, municipalities: list[int]
) -> Team:
    """A new team serving ``municipalities``; administrators only."""
    access.require_admin(by)
    codes = _check(session, name, program_type, municipalities)
    if _name_taken(session, name.strip(), None):
        raise Conflict.of("err_team_name_taken", name=name.strip())
    team = Team(name=name.strip(), program_type=program_type)
    session.add(team)
    session.flush()
    assert team.id is not None
    session.add_all(TeamMunicipality(team_id=team.id, municipality_code=c) for c in codes)
    session.flush()
    audit.record(
        session,
        action="team.created",
        by=by,
        entity_type="team",
        entity_id=team.id,
        after=_snapshot(session, team),
    )
    return team


def update_team(
    session: Session,
    *,
    by: Principal,
    team: Team,
    name: str,
    program_type: str,
    is_active: bool,
    municipalities: list[int],
) -> Team:
    """The team renamed, re-typed, (de)activated or given other municipalities; audited."""
    access.require_admin(by)
    assert team.id is not None
    codes = _check(session, name, program_type, municipalities)
    if _name_taken(session, name.strip(), team.id):
        raise Conflict.of("err_team_name_taken", name=name.strip())
    before = _snapshot(session, team)
    team.name, team.program_type, team.is_active = name.strip(), program_type, is_active
    for link in session.exec(select(TeamMunicipality).where(TeamMunicipality.team_id == team.id)):
        if link.municipality_code not in codes:
            session.delete(link)
    session.add_all(
        TeamMunicipality(team_id=team.id, municipality_code=code)
        for code in codes
        if code not in before["municipalities"]
    )
    session.flush()
    after = _snapshot(session, team)
    if after != before:
        audit.record(
            session,
            action="team.updated",
            by=by,
            entity_type="team",
            entity_id=team.id,
            before=before,
            after=after,
        )
    return team
