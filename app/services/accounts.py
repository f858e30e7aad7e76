"""Accounts: users and their scopes, passwords, sign-in with slowdown, server-side
sessions and API tokens.

Secrets never reach the database in a usable form: passwords are Argon2id hashes, and
session cookies and API tokens are random 256-bit values stored as their sha256 (a
fast hash is right for values that cannot be guessed). Sign-in attempts are stored, so
every worker process slows the same guesser by the same rule.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, col, select, update

from app.config import Settings
from app.errors import Conflict, Invalid, NotAuthenticated, NotFound, TooManyAttempts
from app.models import (
    ApiToken,
    Channel,
    Region,
    Role,
    SignInAttempt,
    Team,
    User,
    UserRegion,
    UserSession,
    UserTeam,
    utcnow,
)
from app.security import hash_password, needs_rehash, verify_password
from app.services import audit
from app.services.access import Principal

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
MAX_USERNAME = 64
MIN_PASSWORD = 10
WEAKEST_GUESSES = 1_000_000  # zxcvbn's score 2 and up: "somewhat guessable" or better
MAX_PASSWORD = 1024  # longer input is refused before hashing
TOKEN_PREFIX = "ipsf_"

# Sign-in slowdown. Within the window, the first failures are free; after that each
# further attempt must wait twice as long as the last, up to the cap. Per account, a
# successful sign-in starts the count afresh; per address it does not.
ATTEMPT_WINDOW = timedelta(minutes=15)
FREE_FAILURES_PER_ACCOUNT = 5
FREE_FAILURES_PER_ADDRESS = 20
MAX_WAIT_SECONDS = 15 * 60

SESSION_TOUCH_INTERVAL = timedelta(seconds=60)
TOKEN_TOUCH_INTERVAL = timedelta(minutes=5)

WRONG_CREDENTIALS = "wrong_credentials"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_username(raw: str) -> str:
    username = raw.strip().lower()
    if not USERNAME.fullmatch(username):
        raise Invalid.of("err_username_unusable", value=raw[:70])
    return username


def check_new_password(password: str, *, username: str = "", display_name: str = "") -> None:
    """Refuse a password that is too short or too long, among the most common ones, or
    made of the user's own name: each with a message that says which.

    "Common" and "made of" are zxcvbn's judgement (Dropbox's estimator, with its list of
    30,000 passwords seen most often in leaks, keyboard rows, sequences, repeats and
    dates): a password it can guess in under a million tries is refused, and the reason
    names what it recognised. Only the first 100 characters are weighed; a longer
    password is strong by its length alone (and zxcvbn slows on long input)."""
    if len(password) < MIN_PASSWORD:
        raise Invalid.of("err_password_short", min=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        raise Invalid.of("err_password_long", max=MAX_PASSWORD)
    from zxcvbn import zxcvbn  # noqa: PLC0415 (its word lists take a moment to load)

    names = [username, display_name, *display_name.replace("(", " ").replace(")", " ").split()]
    judged = zxcvbn(password[:100], user_inputs=[name for name in names if len(name) >= 3])
    if judged["guesses"] >= WEAKEST_GUESSES:
        return
    kinds = _kinds(judged["sequence"])
    if "user_inputs" in kinds:
        raise Invalid.of("err_password_own_name")
    if "passwords" in kinds:
        raise Invalid.of("err_password_common")
    raise Invalid.of("err_password_guessable")


def _kinds(matches: list[dict[str, Any]]) -> set[str]:
    """What zxcvbn recognised in a password: its word lists by name, its other patterns
    (a repeat's own parts too: "LundLund" is the name twice)."""
    found = set()
    for match in matches:
        found.add(match.get("dictionary_name") or match["pattern"])
        found |= _kinds(match.get("base_matches") or [])
    return found


# Users and scopes


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound.of("err_no_user_id", id=user_id)
    return user


def find_user(session: Session, username: str) -> User | None:
    return session.exec(select(User).where(User.username == username.strip().lower())).first()


def get_user_by_name(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise NotFound.of("err_no_user", username=username)
    return user


def user_scope(session: Session, user_id: int) -> tuple[list[int], list[int]]:
    regions = session.exec(
        select(UserRegion.region_code)
        .where(UserRegion.user_id == user_id)
        .order_by(col(UserRegion.region_code))
    ).all()
    teams = session.exec(
        select(UserTeam.team_id).where(UserTeam.user_id == user_id).order_by(col(UserTeam.team_id))
    ).all()
    return list(regions), list(teams)


def snapshot(session: Session, user: User) -> dict[str, Any]:
    """What the audit trail keeps of a user: never the password hash."""
    assert user.id is not None
    regions, teams = user_scope(session, user.id)
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": str(user.role),
        "is_active": user.is_active,
        "regions": regions,
        "teams": teams,
    }


def _check_scope(
    session: Session, role: Role, regions: list[int], teams: list[int]
) -> tuple[list[int], list[int]]:
    regions, teams = sorted(set(regions)), sorted(set(teams))
    if role == Role.AMBASSADOR and not regions:
        raise Invalid.of("err_ambassador_needs_region")
    if role == Role.TEAM_LEADER and not teams:
        raise Invalid.of("err_leader_needs_team")
    if role != Role.AMBASSADOR and regions:
        raise Invalid.of("err_regions_only_ambassadors")
    if role != Role.TEAM_LEADER and teams:
        raise Invalid.of("err_teams_only_leaders")
    known_regions = set(session.exec(select(Region.code).where(col(Region.code).in_(regions))))
    if unknown := [code for code in regions if code not in known_regions]:
        allowed = ", ".join(str(code) for code in session.exec(select(Region.code)))
        raise Invalid.of("err_unknown_region", code=unknown[0], allowed=allowed)
    known_teams = set(session.exec(select(Team.id).where(col(Team.id).in_(teams))))
    if unknown := [team for team in teams if team not in known_teams]:
        raise Invalid.of("err_unknown_team", id=unknown[0])
    return regions, teams


def _set_scope(session: Session, user_id: int, regions: list[int], teams: list[int]) -> None:
    for row in session.exec(select(UserRegion).where(UserRegion.user_id == user_id)):
        if row.region_code not in regions:
            session.delete(row)
    for row_team in session.exec(select(UserTeam).where(UserTeam.user_id == user_id)):
        if row_team.team_id not in teams:
            session.delete(row_team)
    current_regions, current_teams = user_scope(session, user_id)
    session.add_all(
        UserRegion(user_id=user_id, region_code=code)
        for code in regions
        if code not in current_regions
    )
    session.add_all(
        UserTeam(user_id=user_id, team_id=team) for team in teams if team not in current_teams
    )
    session.flush()


def create_user(
    session: Session,
    by: Principal,
    *,
    username: str,
    display_name: str,
    role: Role,
    password: str | None,
    regions: list[int] = (),  # type: ignore[assignment]
    teams: list[int] = (),  # type: ignore[assignment]
) -> User:
    """A new user with a role and scope; without a password they cannot sign in yet."""
    name = normalise_username(username)
    display = display_name.strip() or name
    if len(display) > 200:
        raise Invalid.of("err_display_name_long")
    if password is not None:
        check_new_password(password, username=name, display_name=display)
    regions, teams = _check_scope(session, role, list(regions), list(teams))
    if find_user(session, name) is not None:
        raise Conflict.of("err_username_taken", username=name)
    user = User(
        username=name,
        display_name=display,
        role=role,
        password_hash=None if password is None else hash_password(password),
    )
    session.add(user)
    session.flush()
    assert user.id is not None
    _set_scope(session, user.id, regions, teams)
    audit.record(
        session,
        action="user.created",
        by=by,
        entity_type="user",
        entity_id=user.id,
        after=snapshot(session, user) | {"password_set": password is not None},
    )
    return user


def update_user(
    session: Session,
    by: Principal,
    user: User,
    *,
    display_name: str,
    role: Role,
    is_active: bool,
    regions: list[int],
    teams: list[int],
) -> User:
    """Change a user's name, role, scope or status. Disabling ends their sessions."""
    assert user.id is not None
    display = display_name.strip() or user.username
    if len(display) > 200:
        raise Invalid.of("err_display_name_long")
    if user.id == by.user_id and (role != Role.ADMIN or not is_active):
        raise Conflict.of("err_self_lockout")
    regions, teams = _check_scope(session, role, regions, teams)
    before = snapshot(session, user)
    user.display_name, user.role, user.is_active = display, role, is_active
    _set_scope(session, user.id, regions, teams)
    after = snapshot(session, user)
    if after == before:
        return user
    # Role and scope are read afresh on every request, so they apply at once. Disabling
    # ends the sessions and revokes the tokens, so enabling the account again later does
    # not bring back access that may have leaked meanwhile.
    if not is_active and before["is_active"]:
        after["sessions_ended"] = end_user_sessions(session, user.id, "user_disabled")
        after["tokens_revoked"] = _revoke_all_tokens(session, by, user.id)
    audit.record(
        session,
        action="user.updated",
        by=by,
        entity_type="user",
        entity_id=user.id,
        before=before,
        after=after,
    )
    return user


def set_password(session: Session, by: Principal, user: User, password: str) -> None:
    """A new password; every session of the user ends, so an old one cannot linger."""
    check_new_password(password, username=user.username, display_name=user.display_name)
    assert user.id is not None
    user.password_hash = hash_password(password)
    ended = end_user_sessions(session, user.id, "password_changed", keep=by.session_id)
    audit.record(
        session,
        action="user.password_set",
        by=by,
        entity_type="user",
        entity_id=user.id,
        after={"sessions_ended": ended},
    )


def display_names(session: Session, user_ids: list[int]) -> dict[int, str]:
    """The display names of these users, by id."""
    if not user_ids:
        return {}
    rows = session.exec(select(User.id, User.display_name).where(col(User.id).in_(user_ids)))
    return {user_id: name for user_id, name in rows if user_id is not None}


def list_users(session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.username))))


# Sign-in


@dataclass
class SignIn:
    """The outcome of a sign-in attempt: a user and a session token, or why not."""

    user: User | None = None
    token: str | None = None
    retry_after: int = 0

    @property
    def ok(self) -> bool:
        return self.token is not None


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def _wait(failures: int, free: int, last: datetime | None, now: datetime) -> int:
    if failures < free or last is None:
        return 0
    delay = min(2 ** (failures - free + 1), MAX_WAIT_SECONDS)
    remaining = (last + timedelta(seconds=delay) - now).total_seconds()
    return max(0, int(remaining + 0.999))


def required_wait(session: Session, username: str, client_address: str, now: datetime) -> int:
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


def sign_in(
    session: Session,
    settings: Settings,
    *,
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
    wait = required_wait(session, key, client_address, now)
    context = {"username": _as_typed(key)}
    if wait:
        audit.record(
            session,
            action="auth.sign_in_throttled",
            channel="web",
            entity_type="user",
            after=context | {"retry_after": wait},
            client_address=client_address,
        )
        return SignIn(retry_after=wait)
    user = find_user(session, key)
    valid = verify_password(
        user.password_hash if user and user.password_hash else _dummy_hash(), password
    )
    if user is None or not user.is_active or not user.password_hash or not valid:
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
            SignInAttempt(
                occurred_at=now, username=key, client_address=client_address, succeeded=False
            )
        )
        audit.record(
            session,
            action="auth.sign_in_failed",
            channel="web",
            actor_id=user.id if user else None,
            entity_type="user",
            entity_id=user.id if user else None,
            after=context | {"reason": reason},
            client_address=client_address,
        )
        return SignIn()
    assert user.id is not None and user.password_hash is not None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    session.add(
        SignInAttempt(occurred_at=now, username=key, client_address=client_address, succeeded=True)
    )
    token, row = start_session(
        session, user, settings, client_address=client_address, user_agent=user_agent, now=now
    )
    audit.record(
        session,
        action="auth.signed_in",
        channel="web",
        actor_id=user.id,
        entity_type="session",
        entity_id=row.id,
        after=context,
        client_address=client_address,
    )
    return SignIn(user=user, token=token)


def check_own_password(session: Session, by: Principal, password: str) -> bool:
    """Whether ``password`` is the caller's current one, under the same slowdown and
    audit as signing in: a stolen session must not be a way to guess the password.
    Raises TooManyAttempts while the account or address has to wait."""
    assert by.user_id is not None
    user = get_user(session, by.user_id)
    address = by.client_address or "unknown"
    _serialise_attempts(session, user.username, address)
    now = utcnow()
    wait = required_wait(session, user.username, address, now)
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


# Sessions


def start_session(
    session: Session,
    user: User,
    settings: Settings,
    *,
    client_address: str | None,
    user_agent: str | None,
    now: datetime,
) -> tuple[str, UserSession]:
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


@dataclass(frozen=True)
class Credential:
    """A live session or API token, and who holds it, as authentication reads them.

    ``last_used`` is the session's ``last_seen_at`` or the token's ``last_used_at``;
    ``csrf_token`` belongs to a session only. ``regions`` and ``teams`` are the user's
    scope (an ambassador's regions, a team leader's teams).
    """

    id: int
    user_id: int
    username: str
    display_name: str
    role: Role
    last_used: datetime | None
    csrf_token: str | None = None
    regions: frozenset[int] = frozenset()
    teams: frozenset[int] = frozenset()

    def principal(self, *, channel: Channel, **extra: Any) -> Principal:
        return Principal(
            self.user_id,
            self.username,
            self.display_name,
            self.role,
            regions=self.regions,
            teams=self.teams,
            channel=channel,
            **extra,
        )


def _listed(column: Any) -> Any:
    """The user's values of a scope table's column, as one comma-separated string."""
    table = column.table
    return (
        sa.select(sa.func.aggregate_strings(sa.cast(column, sa.String), ","))
        .where(table.c.user_id == col(User.id))
        .scalar_subquery()
    )


def _ids(listed: str | None) -> frozenset[int]:
    return frozenset(int(value) for value in listed.split(",")) if listed else frozenset()


# Authentication runs on every request, so each lookup is one prepared statement that
# reads the credential, its user and their scope together (SQLAlchemy caches the
# compiled form).
_HOLDER: tuple[Any, ...] = (
    col(User.id).label("user_id"),
    col(User.username),
    col(User.display_name),
    col(User.role),
    col(User.is_active),
    _listed(col(UserRegion.region_code)).label("regions"),
    _listed(col(UserTeam.team_id)).label("teams"),
)
_SESSION_BY_HASH = (
    sa.select(
        col(UserSession.id),
        col(UserSession.ended_at),
        col(UserSession.last_seen_at),
        col(UserSession.expires_at),
        col(UserSession.csrf_token),
        *_HOLDER,
    )
    .join(User, col(User.id) == col(UserSession.user_id))
    .where(col(UserSession.token_hash) == sa.bindparam("token_hash"))
)
_TOKEN_BY_HASH = (
    sa.select(col(ApiToken.id), col(ApiToken.revoked_at), col(ApiToken.last_used_at), *_HOLDER)
    .join(User, col(User.id) == col(ApiToken.user_id))
    .where(col(ApiToken.token_hash) == sa.bindparam("token_hash"))
)


def find_session(
    connection: sa.Connection, token: str, settings: Settings, now: datetime | None = None
) -> Credential:
    """The live session for a cookie's token, or NotAuthenticated(expired=True)."""
    now = now or utcnow()
    row = connection.execute(_SESSION_BY_HASH, {"token_hash": digest(token)}).first()
    if row is None or row.ended_at is not None or not row.is_active:
        raise NotAuthenticated("session_ended", expired=True)
    idle = timedelta(minutes=settings.session_idle_minutes)
    if now >= row.expires_at or now - row.last_seen_at >= idle:
        raise NotAuthenticated("session_expired", expired=True)
    return Credential(
        row[0],
        row.user_id,
        row.username,
        row.display_name,
        Role(row.role),
        row.last_seen_at,
        row.csrf_token,
        _ids(row.regions),
        _ids(row.teams),
    )


def needs_touch(session: Credential, now: datetime) -> bool:
    return session.last_used is None or now - session.last_used >= SESSION_TOUCH_INTERVAL


def touch_session(session: Session, session_id: int, now: datetime) -> None:
    session.exec(
        update(UserSession)
        .where(col(UserSession.id) == session_id, col(UserSession.last_seen_at) < now)
        .values(last_seen_at=now)
    )


def sign_out(session: Session, by: Principal) -> None:
    if by.session_id is None:
        return
    row = session.get(UserSession, by.session_id)
    if row is None or row.ended_at is not None:
        return
    row.ended_at, row.end_reason = utcnow(), "signed_out"
    audit.record(session, action="auth.signed_out", by=by, entity_type="session", entity_id=row.id)


def end_user_sessions(
    session: Session, user_id: int, reason: str, *, keep: int | None = None
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


def end_sessions_of(session: Session, by: Principal, user: User) -> int:
    """An administrator signs a user out everywhere."""
    assert user.id is not None
    ended = end_user_sessions(session, user.id, "ended_by_admin", keep=by.session_id)
    audit.record(
        session,
        action="session.ended",
        by=by,
        entity_type="user",
        entity_id=user.id,
        after={"sessions_ended": ended},
    )
    return ended


def live_sessions(session: Session, user_id: int, settings: Settings) -> list[UserSession]:
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


# API tokens


def create_token(
    session: Session, by: Principal, user: User, name: str, *, form_id: str | None = None
) -> tuple[str, ApiToken]:
    """A new bearer token for ``user``: the plain token is returned once, never stored.

    ``form_id`` names the form that asked (a page puts a fresh one in each form): the
    same form sent again, by a reload say, creates no second token.
    """
    assert user.id is not None
    if form_id is not None:
        if not form_id or len(form_id) > 64:
            raise Invalid.of("err_token_form")
        if session.exec(select(ApiToken).where(ApiToken.form_id == form_id)).first():
            raise Conflict.of("err_token_form_used")
    label = name.strip()
    if not label or len(label) > 100:
        raise Invalid.of("err_token_name")
    if not user.is_active:
        raise Conflict.of("err_token_user_disabled", username=user.username)
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=label,
        token_hash=digest(plain),
        prefix=plain[:12],
        created_by_id=by.user_id,
        form_id=form_id,
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        action="api_token.created",
        by=by,
        entity_type="api_token",
        entity_id=token.id,
        after={"user": user.username, "name": label, "prefix": token.prefix},
    )
    return plain, token


def find_token(connection: sa.Connection, plain: str) -> Credential:
    """The token and its holder, or NotAuthenticated with the reason."""
    row = connection.execute(_TOKEN_BY_HASH, {"token_hash": digest(plain)}).first()
    if row is None:
        raise NotAuthenticated("unknown_token")
    user_id = row.user_id
    if row.revoked_at is not None:
        raise NotAuthenticated("revoked_token", user_id=user_id)
    if not row.is_active:
        raise NotAuthenticated("token_user_disabled", user_id=user_id)
    return Credential(
        row[0],
        user_id,
        row.username,
        row.display_name,
        Role(row.role),
        row.last_used_at,
        regions=_ids(row.regions),
        teams=_ids(row.teams),
    )


def touch_token(session: Session, token_id: int, now: datetime) -> None:
    session.exec(
        update(ApiToken)
        .where(
            col(ApiToken.id) == token_id,
            (col(ApiToken.last_used_at).is_(None))
            | (col(ApiToken.last_used_at) < now - TOKEN_TOUCH_INTERVAL),
        )
        .values(last_used_at=now)
    )


def needs_token_touch(token: Credential, now: datetime) -> bool:
    return token.last_used is None or now - token.last_used >= TOKEN_TOUCH_INTERVAL


def revoke_token(session: Session, by: Principal, token: ApiToken) -> ApiToken:
    if token.revoked_at is not None:
        raise Conflict.of("err_token_revoked_already", prefix=token.prefix)
    token.revoked_at, token.revoked_by_id = utcnow(), by.user_id
    audit.record(
        session,
        action="api_token.revoked",
        by=by,
        entity_type="api_token",
        entity_id=token.id,
        before={"revoked": False},
        after={"revoked": True, "name": token.name, "prefix": token.prefix},
    )
    return token


def _revoke_all_tokens(session: Session, by: Principal, user_id: int) -> int:
    tokens = session.exec(
        select(ApiToken).where(ApiToken.user_id == user_id, col(ApiToken.revoked_at).is_(None))
    ).all()
    for token in tokens:
        token.revoked_at, token.revoked_by_id = utcnow(), by.user_id
    return len(tokens)


def get_token(session: Session, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound.of("err_no_token", id=token_id)
    return token


def list_tokens(session: Session, user_id: int | None = None) -> list[tuple[ApiToken, str]]:
    query = (
        select(ApiToken, User.username)
        .join(User, col(User.id) == col(ApiToken.user_id))
        .order_by(col(ApiToken.created_at).desc())
    )
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return [(token, username) for token, username in session.exec(query)]
