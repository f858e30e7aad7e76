"""Signing in through the service: the session it starts, the failures it stores and
audits alike whether or not the account exists, the slowdown that every worker reads
from the same table, and one's own password checked under the same rule."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlmodel import Session, col, func, select

from app.config import Settings
from app.errors import TooManyAttempts
from app.models import AuditEvent, SignInAttempt, UserSession, utcnow
from app.services import access, signin
from app.services.credentials import digest
from tests.conftest import settings_for
from tests.factories import PASSWORD, make_user


@pytest.fixture
def settings() -> Settings:
    return settings_for("sqlite://")


def events(session: Session, action: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.id))
    return list(session.exec(query))


def attempts(session: Session, **where: object) -> int:
    query = select(func.count()).select_from(SignInAttempt)
    for name, value in where.items():
        query = query.where(getattr(SignInAttempt, name) == value)
    return session.exec(query).one()


def wait(session: Session, username: str, address: str, now: datetime) -> int:
    return signin.required_wait(session, username=username, client_address=address, now=now)


def fail_many(session: Session, username: str, count: int, address: str = "10.9.9.9") -> None:
    """``count`` failed attempts a moment ago, as another worker would have stored them."""
    for _ in range(count):
        session.add(
            SignInAttempt(
                occurred_at=utcnow() - timedelta(seconds=1),
                username=username,
                client_address=address,
                succeeded=False,
            )
        )
    session.flush()


def test_a_sign_in_starts_a_session_stored_by_its_digest(
    session: Session, settings: Settings
) -> None:
    user = make_user(session)
    outcome = signin.sign_in(
        session,
        settings=settings,
        username=f" {user.username.upper()} ",
        password=PASSWORD,
        client_address="10.1.2.3",
        user_agent="a browser",
    )
    assert outcome.ok and outcome.user is user and outcome.retry_after == 0
    row = session.exec(select(UserSession).where(UserSession.user_id == user.id)).one()
    assert outcome.token is not None and row.token_hash == digest(outcome.token)
    assert row.expires_at - row.created_at == timedelta(hours=settings.session_lifetime_hours)
    assert (row.client_address, row.user_agent, row.ended_at) == ("10.1.2.3", "a browser", None)
    assert user.last_login_at == row.created_at
    assert attempts(session, username=user.username, succeeded=True) == 1
    [signed_in] = events(session, "auth.signed_in")
    assert (signed_in.actor_id, signed_in.entity_id) == (user.id, str(row.id))
    assert signed_in.after == {"username": user.username}


@pytest.mark.parametrize("case", ["wrong_password", "unknown_user", "disabled", "no_password"])
def test_every_failure_is_stored_and_audited_alike(
    session: Session, settings: Settings, case: str
) -> None:
    user = make_user(session, active=case != "disabled")
    if case == "no_password":
        user.password_hash = None
        session.commit()
    username = "nobody-here" if case == "unknown_user" else user.username
    outcome = signin.sign_in(
        session,
        settings=settings,
        username=username,
        password="not the password" if case == "wrong_password" else PASSWORD,
        client_address="10.1.2.3",
    )
    assert not outcome.ok and outcome.user is None and outcome.retry_after == 0
    assert session.exec(select(func.count()).select_from(UserSession)).one() == 0
    assert attempts(session, username=username, succeeded=False) == 1
    [failed] = events(session, "auth.sign_in_failed")
    assert failed.after == {"username": username, "reason": case}
    assert failed.actor_id == (None if case == "unknown_user" else user.id)


def test_an_account_that_must_wait_is_not_even_checked(
    session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = make_user(session)
    fail_many(session, user.username, signin.FREE_FAILURES_PER_ACCOUNT)

    def no_checking(*args: object) -> bool:
        raise AssertionError("a throttled attempt must not reach Argon2")

    monkeypatch.setattr(signin, "verify_password", no_checking)
    outcome = signin.sign_in(
        session, settings=settings, username=user.username, password=PASSWORD,
        client_address="10.1.2.3",
    )  # fmt: skip
    assert not outcome.ok and 1 <= outcome.retry_after <= 2
    assert attempts(session, username=user.username) == signin.FREE_FAILURES_PER_ACCOUNT
    [throttled] = events(session, "auth.sign_in_throttled")
    assert throttled.after == {"username": user.username, "retry_after": outcome.retry_after}
    assert session.exec(select(func.count()).select_from(UserSession)).one() == 0


def test_ones_own_password_is_checked_under_the_same_slowdown(session: Session) -> None:
    user = make_user(session)
    me = access.principal_for(session, user=user, client_address="10.4.4.4")
    assert signin.check_own_password(session, by=me, password=PASSWORD)
    assert not signin.check_own_password(session, by=me, password="x" * 2000)  # never hashed
    for _ in range(signin.FREE_FAILURES_PER_ACCOUNT - 1):
        assert not signin.check_own_password(session, by=me, password="a guess")
    failures = events(session, "auth.password_check_failed")
    assert len(failures) == signin.FREE_FAILURES_PER_ACCOUNT
    assert {event.actor_id for event in failures} == {user.id}
    with pytest.raises(TooManyAttempts) as refused:
        signin.check_own_password(session, by=me, password=PASSWORD)
    assert refused.value.retry_after >= 1
    assert attempts(session, username=user.username, client_address="10.4.4.4") == len(failures)


def test_the_wait_doubles_and_a_success_resets_the_account(session: Session) -> None:
    user = make_user(session)
    now = utcnow()
    for n in range(8):
        session.add(
            SignInAttempt(
                occurred_at=now - timedelta(seconds=1),
                username=user.username,
                client_address=f"10.0.0.{n}",
                succeeded=False,
            )
        )
    session.flush()
    assert wait(session, user.username, "10.1.1.1", now) == 15  # 2**4 - 1 s
    session.add(
        SignInAttempt(occurred_at=now, username=user.username, client_address="x", succeeded=True)
    )
    session.flush()
    assert wait(session, user.username, "10.1.1.1", now) == 0
    later = now + signin.ATTEMPT_WINDOW + timedelta(seconds=2)
    assert wait(session, "anyone", "10.0.0.1", later) == 0


def test_one_address_guessing_many_accounts_is_slowed(session: Session) -> None:
    now = utcnow()
    for n in range(signin.FREE_FAILURES_PER_ADDRESS):
        session.add(
            SignInAttempt(
                occurred_at=now, username=f"guess{n}", client_address="10.6.6.6", succeeded=False
            )
        )
    session.flush()
    assert wait(session, "fresh-name", "10.6.6.6", now) == 2
    assert wait(session, "fresh-name", "10.6.6.7", now) == 0
