"""Teams and the municipalities they serve, seen through the caller's scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.errors import Conflict, Invalid
from app.models import (
    Municipality,
    ProgramType,
    Region,
    Review,
    ReviewStatus,
    Team,
    TeamMunicipality,
)
from app.services import access, audit
from app.services.access import Principal


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


def list_teams(
    session: Session, principal: Principal, *, include_inactive: bool = False
) -> list[TeamSummary]:
    """The teams the caller may see, each with its municipalities, regions and latest
    review the caller may see."""
    query = select(Team).where(access.team_scope(principal)).order_by(col(Team.name))
    if not include_inactive:
        query = query.where(col(Team.is_active).is_(True))
    teams = list(session.exec(query))
    ids = [team.id for team in teams if team.id is not None]
    municipalities = _municipalities(session, ids)
    regions = {region.code: region for region in session.exec(select(Region))}
    reviews = session.exec(
        select(Review)
        .where(col(Review.team_id).in_(ids), access.review_scope(principal))
        .order_by(col(Review.visit_date))
    )
    latest: dict[int, Review] = {}
    counts: dict[int, int] = {}
    under_way: set[int] = set()
    for review in reviews:
        if review.status == ReviewStatus.FINALISED:
            latest[review.team_id] = review
        else:
            under_way.add(review.team_id)
        counts[review.team_id] = counts.get(review.team_id, 0) + 1
    summaries = []
    for team in teams:
        assert team.id is not None
        served = municipalities[team.id]
        codes = sorted({m.region_code for m in served})
        summaries.append(
            TeamSummary(
                team,
                served,
                [regions[code] for code in codes],
                latest.get(team.id),
                team.id in under_way,
                counts.get(team.id, 0),
            )
        )
    return summaries


def team_summary(session: Session, principal: Principal, team_id: int) -> TeamSummary:
    team = access.visible_team(session, principal, team_id)
    served = _municipalities(session, [team_id])[team_id]
    codes = sorted({m.region_code for m in served})
    regions = list(session.exec(select(Region).where(col(Region.code).in_(codes))))
    return TeamSummary(team, served, regions)


def all_teams(session: Session) -> list[Team]:
    """Every team, active or not, by name: the choices when scoping a team leader."""
    return list(session.exec(select(Team).order_by(col(Team.name))))


def all_municipalities(session: Session) -> list[tuple[Region, list[Municipality]]]:
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
    session: Session, by: Principal, *, name: str, program_type: str, municipalities: list[int]
) -> Team:
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
    by: Principal,
    team: Team,
    *,
    name: str,
    program_type: str,
    is_active: bool,
    municipalities: list[int],
) -> Team:
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
