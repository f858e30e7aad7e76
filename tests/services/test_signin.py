"""Signing in through the service: the slowdown that every worker reads from the same
table."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from app.models import SignInAttempt, utcnow
from app.services import signin
from tests.factories import make_user


def wait(session: Session, username: str, address: str, now: datetime) -> int:
    return signin.required_wait(session, username=username, client_address=address, now=now)


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
