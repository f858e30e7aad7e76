"""Typed factories for test rows: each makes a valid row with sensible defaults.

Each commits what it made, as the app would have found it: inside a test that commit
only releases a savepoint of the test's rolled-back transaction, and a request that
fails (and rolls back its own work) can no longer take the test's setup with it."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from functools import cache

from sqlmodel import Session

from app.config import PROJECT_ROOT
from app.models import (
    ProgramType,
    Review,
    ReviewReviewer,
    ReviewStatus,
    Role,
    ScaleVersion,
    Team,
    TeamMunicipality,
    User,
    UserRegion,
    UserTeam,
)
from app.scales.implementation import ImplementationDefinition
from app.scales.loader import load_definition_file, load_scale_file, scale_file_path
from app.scales.schema import ScaleDefinition
from app.security import hash_password
from app.services import scales

SCALES_DIR = PROJECT_ROOT / "scales"
PASSWORD = "correct horse battery"


@cache
def shipped_scale(key: str = "ips-25", version: str = "2019") -> ScaleDefinition:
    return load_scale_file(scale_file_path(SCALES_DIR, key, version))


@cache
def shipped_instrument(
    key: str = "implementeringsstatus", version: str = "2026"
) -> ImplementationDefinition:
    definition = load_definition_file(scale_file_path(SCALES_DIR, key, version))
    assert isinstance(definition, ImplementationDefinition)
    return definition


def make_instrument_version(
    session: Session, *, key: str = "implementeringsstatus", version: str = "2026"
) -> ScaleVersion:
    result = scales.register_scale(
        session, scale=shipped_instrument(key, version), status="published", channel="cli"
    )
    session.commit()
    return result.scale_version


@cache
def password_hash() -> str:
    return hash_password(PASSWORD)


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
    session.commit()
    for code in municipalities:
        session.add(TeamMunicipality(team_id=team.id or 0, municipality_code=code))
    session.commit()
    return team


def make_review(
    session: Session,
    *,
    visit_date: date = date(2026, 3, 1),
    team: Team | None = None,
    finalised: bool = False,
    reviewers: tuple[User, ...] = (),
) -> Review:
    """A review on the published IPS-25 (of a new team unless given), still being scored
    unless ``finalised``."""
    version = make_scale_version(session)
    team = team or make_team(session)
    review = Review(team_id=team.id or 0, scale_version_id=version.id or 0, visit_date=visit_date)
    if finalised:
        review.status = ReviewStatus.FINALISED
        review.finalised_at = datetime(2026, 3, 20, 10, tzinfo=UTC)
        review.total_score, review.level_key = 101.0, "good"
    session.add(review)
    session.commit()
    for number, reviewer in enumerate(reviewers):
        session.add(
            ReviewReviewer(review_id=review.id or 0, user_id=reviewer.id or 0, is_lead=number == 0)
        )
    session.commit()
    return review


def make_user(
    session: Session,
    *,
    username: str | None = None,
    role: Role = Role.AMBASSADOR,
    regions: tuple[int, ...] | None = None,
    teams: tuple[Team, ...] = (),
    active: bool = True,
    display_name: str = "Test User",
) -> User:
    """A user who can sign in with PASSWORD; an ambassador gets Hovedstaden by default."""
    if regions is None:
        regions = (1084,) if role == Role.AMBASSADOR else ()
    user = User(
        username=username or f"user-{uuid.uuid4().hex[:8]}",
        display_name=display_name,
        role=role,
        password_hash=password_hash(),
        is_active=active,
    )
    session.add(user)
    session.commit()
    session.add_all(UserRegion(user_id=user.id or 0, region_code=code) for code in regions)
    session.add_all(UserTeam(user_id=user.id or 0, team_id=team.id or 0) for team in teams)
    session.commit()
    return user
