"""Server-side sessions: started by signing in, found from the cookie on every request,
kept alive by use, and ended by signing out, by a new password, by an administrator,
or when the account is disabled.

A session ends after ``session_idle_minutes`` without use or ``session_lifetime_hours``
after it began, whichever comes first. Ending one is a mark on its row, so a copy of
the cookie opens nothing afterwards.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select, update

from app.config import Settings
from app.errors import NotAuthenticated
from app.models import User, UserSession, utcnow
from app.services import audit
from app.services.access import Principal
from app.services.credentials import HOLDER, Credential, digest

SESSION_TOUCH_INTERVAL = timedelta(seconds=60)

_SESSION_BY_HASH = (
    sa.select(
        col(UserSession.id),
        col(UserSession.ended_at),
        col(UserSession.last_seen_at),
        col(UserSession.expires_at),
        col(UserSession.csrf_token),
        *HOLDER,
    )
    .join(User, col(User.id) == col(UserSession.user_id))
    .where(col(UserSession.token_hash) == sa.bindparam("token_hash"))
)


def start_session(
    session: Session,
    *,
    user: User,
    settings: Settings,
    client_address: str | None,
    user_agent: str | None,
    now: datetime,
) -> tuple[str, UserSession]:
    """A new session for ``user``: the cookie's token (returned once) and the stored row."""
    assert user.id is not None
    token = secrets.token_urlsafe(32)
    row = UserSession(
        token_hash=digest(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(hours=settings.session_lifetime_hours),
        client_address=client_address,
        user_agent=(user_agent or "")[:300] or None,
    )
    session.add(row)
    session.flush()
    return token, row


def find_session(
    connection: sa.Connection, *, token: str, settings: Settings, now: datetime | None = None
) -> Credential:
    """The live session for a cookie's token, or NotAuthenticated(expired=True)."""
    now = now or utcnow()
    row = connection.execute(_SESSION_BY_HASH, {"token_hash": digest(token)}).first()
    if row is None or row.ended_at is not None or not row.is_active:
        raise NotAuthenticated("session_ended", expired=True)
    idle = timedelta(minutes=settings.session_idle_minutes)
    if now >= row.expires_at or now - row.last_seen_at >= idle:
        raise NotAuthenticated("session_expired", expired=True)
    return Credential.of_row(row, last_used=row.last_seen_at, csrf_token=row.csrf_token)


def needs_touch(credential: Credential, *, now: datetime) -> bool:
    """Whether a session was last marked as seen long enough ago to mark it again."""
    return credential.last_used is None or now - credential.last_used >= SESSION_TOUCH_INTERVAL


def touch_session(session: Session, *, session_id: int, now: datetime) -> None:
    """Mark a session as seen at ``now`` (never moving the mark back)."""
    session.exec(
        update(UserSession)
        .where(col(UserSession.id) == session_id, col(UserSession.last_seen_at) < now)
        .values(last_seen_at=now)
    )


def sign_out(session: Session, *, by: Principal) -> None:
    """End the caller's own session, if they signed in with one."""
    if by.session_id is None:
        return
    row = session.get(UserSession, by.session_id)
    if row is None or row.ended_at is not None:
        return
    row.ended_at, row.end_reason = utcnow(), "signed_out"
    audit.record(session, action="auth.signed_out", by=by, entity_type="session", entity_id=row.id)


def end_user_sessions(
    session: Session, *, user_id: int, reason: str, keep: int | None = None
) -> int:
    """End every live session of a user (but ``keep``); the number ended."""
    rows = session.exec(
        select(UserSession).where(
            UserSession.user_id == user_id,
            col(UserSession.ended_at).is_(None),
            col(UserSession.id) != (keep or 0),
        )
    ).all()
    now = utcnow()
    for row in rows:
        row.ended_at, row.end_reason = now, reason
    return len(rows)


def end_sessions_of(session: Session, *, by: Principal, user: User) -> int:
    """An administrator signs a user out everywhere; the number of sessions ended."""
    assert user.id is not None
    ended = end_user_sessions(session, user_id=user.id, reason="ended_by_admin", keep=by.session_id)
    audit.record(
        session,
        action="session.ended",
        by=by,
        entity_type="user",
        entity_id=user.id,
        after={"sessions_ended": ended},
    )
    return ended


def live_sessions(session: Session, *, user_id: int, settings: Settings) -> list[UserSession]:
    """A user's sessions that are neither ended nor expired, the latest used first."""
    now = utcnow()
    idle = timedelta(minutes=settings.session_idle_minutes)
    return list(
        session.exec(
            select(UserSession)
            .where(
                UserSession.user_id == user_id,
                col(UserSession.ended_at).is_(None),
                col(UserSession.expires_at) > now,
                col(UserSession.last_seen_at) > now - idle,
            )
            .order_by(col(UserSession.last_seen_at).desc())
        )
    )
