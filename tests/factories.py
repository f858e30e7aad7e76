"""Typed factories for test rows: each makes a valid row with sensible defaults."""

from __future__ import annotations

import uuid
from datetime import date
from functools import cache

from sqlmodel import Session

from app.config import PROJECT_ROOT
from app.models import ProgramType, Review, Role, ScaleVersion, Team, TeamMunicipality, User
from app.scales.loader import load_scale_file, scale_file_path
from app.scales.schema import ScaleDefinition
from app.services import scales

SCALES_DIR = PROJECT_ROOT / "scales"


@cache
def shipped_scale(key: str = "ips-25", version: str = "2019") -> ScaleDefinition:
    return load_scale_file(scale_file_path(SCALES_DIR, key, version))


def make_scale_version(
    session: Session, *, key: str = "ips-25", version: str = "2019", draft: bool = False
) -> ScaleVersion:
    result = scales.register_scale(
        session,
        scale=shipped_scale(key, version),
        status="draft" if draft else "published",
        channel="cli",
    )
    return result.scale_version


def make_team(
    session: Session,
    *,
    name: str | None = None,
    program_type: ProgramType = ProgramType.IPS,
    municipalities: tuple[int, ...] = (101,),
) -> Team:
    team = Team(name=name or f"Team {uuid.uuid4().hex[:8]}", program_type=program_type)
    session.add(team)
    session.flush()
    for code in municipalities:
        session.add(TeamMunicipality(team_id=team.id or 0, municipality_code=code))
    session.flush()
    return team


def make_review(session: Session, *, visit_date: date = date(2026, 3, 1)) -> Review:
    """A review of a new team on the published IPS-25, still being scored."""
    version = make_scale_version(session)
    team = make_team(session)
    review = Review(team_id=team.id or 0, scale_version_id=version.id or 0, visit_date=visit_date)
    session.add(review)
    session.flush()
    return review


def make_user(
    session: Session, *, username: str | None = None, role: Role = Role.AMBASSADOR
) -> User:
    user = User(
        username=username or f"user-{uuid.uuid4().hex[:8]}", display_name="Test User", role=role
    )
    session.add(user)
    session.flush()
    return user
