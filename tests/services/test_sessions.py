"""Sessions through the service: what a cookie's token finds, when a session stops
opening anything (idle, too old, ended, account disabled), and each way one ends."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, select

from app.config import Settings
from app.errors import NotAuthenticated
from app.models import AuditEvent, Role, User, UserSession, utcnow
from app.services import access, sessions
from app.services.access import Principal
from tests.conftest import settings_for
from tests.factories import make_team, make_user


@pytest.fixture
def settings() -> Settings:
    return settings_for("sqlite://")


def start(
    session: Session, user: User, settings: Settings, now: datetime | None = None
) -> tuple[str, UserSession]:
    return sessions.start_session(
        session,
        user=user,
        settings=settings,
        client_address="10.1.2.3",
        user_agent="x" * 400,
        now=now or utcnow(),
    )


def found(session: Session, token: str, settings: Settings, now: datetime | None = None) -> int:
    """The id of the session the token opens."""
    credential = sessions.find_session(
        session.connection(), token=token, settings=settings, now=now
    )
    return credential.id


def test_a_token_finds_its_session_with_the_holder_and_their_scope(
    session: Session, settings: Settings
) -> None:
    team_a, team_b = make_team(session), make_team(session)
    leader = make_user(session, role=Role.TEAM_LEADER, teams=(team_b, team_a))
    token, row = start(session, leader, settings)
    assert row.user_agent == "x" * 300, "kept short"
    credential = sessions.find_session(session.connection(), token=token, settings=settings)
    assert (credential.id, credential.user_id) == (row.id, leader.id)
    assert credential.role == Role.TEAM_LEADER
    assert credential.csrf_token == row.csrf_token and credential.regions == frozenset()
    assert credential.teams == {team_a.id, team_b.id}
    principal = credential.principal(channel="web", session_id=row.id)
    assert principal.user_id == leader.id and principal.teams == credential.teams


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("idle", "session_expired"),
        ("too old", "session_expired"),
        ("ended", "session_ended"),
        ("disabled", "session_ended"),
        ("unknown", "session_ended"),
    ],
)
def test_a_dead_session_is_not_authenticated_and_says_it_expired(
    session: Session, settings: Settings, how: str, reason: str
) -> None:
    user = make_user(session)
    token, row = start(session, user, settings)
    now = utcnow()
    if how == "idle":
        now += timedelta(minutes=settings.session_idle_minutes)
    elif how == "too old":
        row.last_seen_at = now = row.expires_at + timedelta(seconds=1)
    elif how == "ended":
        row.ended_at = now
    elif how == "disabled":
        user.is_active = False
    elif how == "unknown":
        token = "not-a-token"
    session.flush()
    with pytest.raises(NotAuthenticated) as refused:
        found(session, token, settings, now)
    assert refused.value.detail == reason and refused.value.expired


def test_a_session_in_use_lives_on_until_the_idle_limit(
    session: Session, settings: Settings
) -> None:
    token, row = start(session, make_user(session), settings)
    idle = timedelta(minutes=settings.session_idle_minutes)
    later = row.last_seen_at + idle - timedelta(seconds=1)
    assert found(session, token, settings, later) == row.id
    credential = sessions.find_session(session.connection(), token=token, settings=settings)
    assert not sessions.needs_touch(credential, now=row.last_seen_at + timedelta(seconds=59))
    assert sessions.needs_touch(credential, now=later)
    sessions.touch_session(session, session_id=row.id or 0, now=later)
    sessions.touch_session(session, session_id=row.id or 0, now=row.created_at)  # never back
    session.refresh(row)
    assert row.last_seen_at == later
    assert found(session, token, settings, later + idle - timedelta(seconds=1)) == row.id


def test_signing_out_ends_only_ones_own_session(session: Session, settings: Settings) -> None:
    user = make_user(session)
    _, mine = start(session, user, settings)
    _, other = start(session, user, settings)
    me = access.principal_for(session, user=user, session_id=mine.id)
    sessions.sign_out(session, by=me)
    sessions.sign_out(session, by=me)  # again: nothing more happens
    sessions.sign_out(session, by=access.principal_for(session, user=user))  # a token: no session
    assert (mine.end_reason, other.ended_at) == ("signed_out", None)
    signed_out = session.exec(select(AuditEvent).where(AuditEvent.action == "auth.signed_out"))
    assert [(e.actor_id, e.entity_id) for e in signed_out] == [(user.id, str(mine.id))]


def test_an_administrator_ends_a_users_sessions_but_their_own(
    session: Session, settings: Settings
) -> None:
    admin = make_user(session, role=Role.ADMIN)
    _, admins = start(session, admin, settings)
    _, first = start(session, admin, settings)
    _, second = start(session, admin, settings)
    by = access.principal_for(session, user=admin, session_id=admins.id)
    assert sessions.end_sessions_of(session, by=by, user=admin) == 2
    assert [row.end_reason for row in (admins, first, second)] == [
        None,
        "ended_by_admin",
        "ended_by_admin",
    ]
    assert sessions.live_sessions(session, user_id=admin.id or 0, settings=settings) == [admins]
    [ended] = session.exec(select(AuditEvent).where(AuditEvent.action == "session.ended"))
    assert ended.entity_id == str(admin.id) and ended.after == {"sessions_ended": 2}
    assert sessions.end_sessions_of(session, by=Principal.system(), user=admin) == 1


def test_live_sessions_leave_out_ended_idle_and_expired_ones(
    session: Session, settings: Settings
) -> None:
    user = make_user(session)
    now = utcnow()
    rows = {name: start(session, user, settings, now)[1] for name in ("live", "ended", "idle")}
    rows["newer"] = start(session, user, settings, now + timedelta(seconds=5))[1]
    rows["old"] = start(session, user, settings, now - timedelta(hours=13))[1]
    rows["old"].last_seen_at = now
    rows["ended"].ended_at = now
    rows["idle"].last_seen_at = now - timedelta(minutes=settings.session_idle_minutes + 1)
    session.flush()
    live = sessions.live_sessions(session, user_id=user.id or 0, settings=settings)
    assert [row.id for row in live] == [rows["newer"].id, rows["live"].id], "latest used first"
