"""Signing in, with a slowdown for guessers, and checking one's own password the same way.

Sign-in attempts are stored, so every worker process slows the same guesser by the same
rule. Within the window, the first failures are free; after that each further attempt
must wait twice as long as the last, up to the cap. Per account, a successful sign-in
starts the count afresh; per address it does not.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.config import Settings
from app.errors import TooManyAttempts
from app.models import SignInAttempt, User, utcnow
from app.security import hash_password, needs_rehash, verify_password
from app.services import audit
from app.services.access import Principal
from app.services.passwords import MAX_PASSWORD
from app.services.sessions import start_session
from app.services.users import MAX_USERNAME, USERNAME, find_user, get_user

ATTEMPT_WINDOW = timedelta(minutes=15)
FREE_FAILURES_PER_ACCOUNT = 5
FREE_FAILURES_PER_ADDRESS = 20
MAX_WAIT_SECONDS = 15 * 60


@dataclass
class SignIn:
    """The outcome of a sign-in attempt: a user and a session token, or why not."""

    user: User | None = None
    token: str | None = None
    retry_after: int = 0

    @property
    def ok(self) -> bool:
        return self.token is not None


def sign_in(
    session: Session,
    *,
    settings: Settings,
    username: str,
    password: str,
    client_address: str,
    user_agent: str | None = None,
    now: datetime | None = None,
) -> SignIn:
    """Check a username and password and start a session.

    Unknown user, disabled user and wrong password fail alike, after the same Argon2 work,
    so neither the answer nor its timing tells whether the account exists. While an
    account or address has to wait, nothing is checked.
    """
    key = username.strip().lower()[:MAX_USERNAME]
    _serialise_attempts(session, key, client_address)
    now = now or utcnow()
    wait = required_wait(session, username=key, client_address=client_address, now=now)
    if wait:
        audit.record(
            session,
            action="auth.sign_in_throttled",
            channel="web",
            entity_type="user",
            after={"username": _as_typed(key), "retry_after": wait},
            client_address=client_address,
        )
        return SignIn(retry_after=wait)
    user = find_user(session, username=key)
    valid = verify_password(
        user.password_hash if user and user.password_hash else _dummy_hash(), password
    )
    if user is None or not user.is_active or not user.password_hash or not valid:
        _record_failure(session, user, key=key, client_address=client_address, now=now)
        return SignIn()
    token = _start(
        session,
        user,
        settings=settings,
        password=password,
        key=key,
        client_address=client_address,
        user_agent=user_agent,
        now=now,
    )
    return SignIn(user=user, token=token)


def check_own_password(session: Session, *, by: Principal, password: str) -> bool:
    """Whether ``password`` is the caller's current one, slowed and audited like sign-in.

    A stolen session must not be a way to guess the password. Raises TooManyAttempts
    while the account or address has to wait."""
    assert by.user_id is not None
    user = get_user(session, user_id=by.user_id)
    address = by.client_address or "unknown"
    _serialise_attempts(session, user.username, address)
    now = utcnow()
    wait = required_wait(session, username=user.username, client_address=address, now=now)
    if wait:
        raise TooManyAttempts("too_many_attempts", retry_after=wait)
    if (
        len(password) <= MAX_PASSWORD
        and user.password_hash
        and verify_password(user.password_hash, password)
    ):
        return True
    session.add(
        SignInAttempt(
            occurred_at=now, username=user.username, client_address=address, succeeded=False
        )
    )
    audit.record(
        session,
        action="auth.password_check_failed",
        by=by,
        entity_type="user",
        entity_id=user.id,
    )
    return False


def required_wait(session: Session, *, username: str, client_address: str, now: datetime) -> int:
    """Seconds before this account or address may try again (0: now)."""
    since = now - ATTEMPT_WINDOW
    last_success = session.exec(
        select(func.max(SignInAttempt.occurred_at)).where(
            SignInAttempt.username == username, col(SignInAttempt.succeeded).is_(True)
        )
    ).one()
    account_since = max(since, last_success) if last_success else since
    account = session.exec(
        select(func.count(), func.max(SignInAttempt.occurred_at)).where(
            SignInAttempt.username == username,
            col(SignInAttempt.succeeded).is_(False),
            col(SignInAttempt.occurred_at) > account_since,
        )
    ).one()
    address = session.exec(
        select(func.count(), func.max(SignInAttempt.occurred_at)).where(
            SignInAttempt.client_address == client_address,
            col(SignInAttempt.succeeded).is_(False),
            col(SignInAttempt.occurred_at) > since,
        )
    ).one()
    return max(
        _wait(account[0], FREE_FAILURES_PER_ACCOUNT, _aware(account[1]), now),
        _wait(address[0], FREE_FAILURES_PER_ADDRESS, _aware(address[1]), now),
    )


def _start(
    session: Session,
    user: User,
    *,
    settings: Settings,
    password: str,
    key: str,
    client_address: str,
    user_agent: str | None,
    now: datetime,
) -> str:
    """Store a successful attempt, start a session and audit it; the session's token."""
    assert user.id is not None and user.password_hash is not None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    session.add(
        SignInAttempt(occurred_at=now, username=key, client_address=client_address, succeeded=True)
    )
    token, row = start_session(
        session,
        user=user,
        settings=settings,
        client_address=client_address,
        user_agent=user_agent,
        now=now,
    )
    audit.record(
        session,
        action="auth.signed_in",
        channel="web",
        actor_id=user.id,
        entity_type="session",
        entity_id=row.id,
        after={"username": _as_typed(key)},
        client_address=client_address,
    )
    return token


def _record_failure(
    session: Session, user: User | None, *, key: str, client_address: str, now: datetime
) -> None:
    """Store a failed attempt (it counts towards the slowdown) and audit why it failed."""
    reason = (
        "unknown_user"
        if user is None
        else "disabled"
        if not user.is_active
        else "no_password"
        if not user.password_hash
        else "wrong_password"
    )
    session.add(
        SignInAttempt(occurred_at=now, username=key, client_address=client_address, succeeded=False)
    )
    audit.record(
        session,
        action="auth.sign_in_failed",
        channel="web",
        actor_id=user.id if user else None,
        entity_type="user",
        entity_id=user.id if user else None,
        after={"username": _as_typed(key), "reason": reason},
        client_address=client_address,
    )


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def _wait(failures: int, free: int, last: datetime | None, now: datetime) -> int:
    if failures < free or last is None:
        return 0
    delay = min(2 ** (failures - free + 1), MAX_WAIT_SECONDS)
    remaining = (last + timedelta(seconds=delay) - now).total_seconds()
    return max(0, int(remaining + 0.999))


def _aware(value: datetime | None) -> datetime | None:
    # func.max() bypasses the column type, so SQLite hands back a naive value or a string.
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _serialise_attempts(session: Session, username: str, client_address: str) -> None:
    """Let one attempt per account and per address at a time count and check failures.

    Otherwise parallel guesses would all read the same failure count before any of them
    is stored. SQLite needs nothing: every write transaction holds the database's write
    lock from its start (BEGIN IMMEDIATE). PostgreSQL takes transaction-scoped advisory
    locks, always account first, then address, so two attempts cannot deadlock.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for key in (f"sign-in:user:{username}", f"sign-in:address:{client_address}"):
        session.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": key}
        )


def _as_typed(username: str) -> str:
    """What the audit keeps of a typed username: only something that could be one, so a
    password typed into the wrong field does not end up in the trail."""
    return username if USERNAME.fullmatch(username) else "(not a possible username)"
