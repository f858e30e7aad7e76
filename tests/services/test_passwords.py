"""The rules a new password must meet (each refusal by its message key, in both
languages), and what setting one changes: the hash, the user's other sessions, the
audit trail."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from app.errors import Invalid
from app.models import AuditEvent, UserSession, utcnow
from app.security import verify_password
from app.services import access, passwords, sessions
from tests.conftest import settings_for
from tests.factories import PASSWORD, make_user


@pytest.mark.parametrize(
    ("password", "key"),
    [
        ("password123", "err_password_common"),
        ("qwertyuiop", "err_password_common"),
        ("Liverpool1", "err_password_common"),
        ("lars.lund2026", "err_password_own_name"),
        ("LundLund2026", "err_password_own_name"),
        ("abcdefghij", "err_password_guessable"),
        ("aaaaaaaaaaaa", "err_password_guessable"),
        ("short", "err_password_short"),
    ],
)
def test_a_common_or_own_name_password_is_refused_saying_why(password: str, key: str) -> None:
    with pytest.raises(Invalid) as refused:
        passwords.check_new_password(
            password, username="lars.lund", display_name="Lars Lund (teamleder, Aarhus)"
        )
    assert refused.value.key == key
    assert refused.value.message("da") and refused.value.message("en")


@pytest.mark.parametrize(
    "password", ["tulip lantern 47 river", "ips-demo-2026", "Hestestald-9-blomst", "x7$Qp!2vLm#9"]
)
def test_a_strong_password_is_taken(password: str) -> None:
    passwords.check_new_password(password, username="lars.lund", display_name="Lars Lund")


def test_the_length_limits_are_the_stated_ones() -> None:
    with pytest.raises(Invalid) as refused:
        passwords.check_new_password("t" * (passwords.MIN_PASSWORD - 1))
    assert refused.value.key == "err_password_short" and refused.value.params == {"min": 10}
    strong = "x7$Qp!2vLm#9"
    for length in (73, 100, passwords.MAX_PASSWORD):  # past what zxcvbn weighs: no crash
        passwords.check_new_password(strong.ljust(length, "a"))
    with pytest.raises(Invalid) as refused:
        passwords.check_new_password(strong.ljust(passwords.MAX_PASSWORD + 1, "a"))
    assert refused.value.key == "err_password_long" and refused.value.params == {"max": 1024}


def test_a_new_password_ends_every_other_session_and_is_on_record(session: Session) -> None:
    user = make_user(session)
    settings = settings_for("sqlite://")
    started = [
        sessions.start_session(
            session, user=user, settings=settings, client_address=None, user_agent=None,
            now=utcnow(),
        )[1]
        for _ in range(3)
    ]  # fmt: skip
    mine = access.principal_for(session, user=user, session_id=started[0].id)
    passwords.set_password(session, by=mine, user=user, password="tulip lantern 47 river")
    session.refresh(user)
    assert verify_password(user.password_hash or "", "tulip lantern 47 river")
    rows = session.exec(select(UserSession).where(UserSession.user_id == user.id)).all()
    assert {row.id: row.end_reason for row in rows} == {
        started[0].id: None,  # the session the change was made from goes on
        started[1].id: "password_changed",
        started[2].id: "password_changed",
    }
    [event] = session.exec(select(AuditEvent).where(AuditEvent.action == "user.password_set"))
    assert (event.actor_id, event.entity_id) == (user.id, str(user.id))
    assert event.after == {"sessions_ended": 2}


def test_a_refused_password_changes_nothing(session: Session) -> None:
    user = make_user(session, username="lars.lund", display_name="Lars Lund")
    settings = settings_for("sqlite://")
    sessions.start_session(
        session, user=user, settings=settings, client_address=None, user_agent=None, now=utcnow()
    )
    with pytest.raises(Invalid) as refused:
        passwords.set_password(
            session,
            by=access.principal_for(session, user=user),
            user=user,
            password="lars.lund2026",
        )
    assert refused.value.key == "err_password_own_name"
    assert verify_password(user.password_hash or "", PASSWORD)
    [row] = session.exec(select(UserSession).where(UserSession.user_id == user.id)).all()
    assert row.ended_at is None
    recorded = select(AuditEvent).where(AuditEvent.action == "user.password_set")
    assert session.exec(recorded).all() == []
