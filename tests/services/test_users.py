"""Users and their scopes through the service alone: what a new or changed account
stores, what the audit trail keeps of it, and each refusal by its message key with
nothing stored."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session, col, func, select

from app.errors import Conflict, DomainError, Invalid, NotFound
from app.models import ApiToken, AuditEvent, Role, User, UserRegion, UserSession, UserTeam, utcnow
from app.security import verify_password
from app.services import access, sessions, tokens, users
from app.services.access import Principal
from tests.conftest import settings_for
from tests.factories import make_team, make_user

SYSTEM = Principal.system()


def events(session: Session, action: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.id))
    return list(session.exec(query))


def count(session: Session, table: type[Any]) -> int:
    return session.exec(select(func.count()).select_from(table)).one()


def test_a_new_user_is_stored_normalised_with_scope_and_on_record(session: Session) -> None:
    user = users.create_user(
        session,
        by=SYSTEM,
        username="  Amb.Ny ",
        display_name=" Ny Ambassadør ",
        role=Role.AMBASSADOR,
        password="a long enough password",
        regions=[1085, 1084, 1085],
    )
    stored = session.get(User, user.id)
    assert stored is not None and stored.username == "amb.ny"
    assert stored.display_name == "Ny Ambassadør" and stored.role == "ambassador"
    assert stored.password_hash is not None and stored.password_hash.startswith("$argon2id$")
    assert verify_password(stored.password_hash, "a long enough password")
    assert users.user_scope(session, user_id=user.id or 0) == ([1084, 1085], [])
    [created] = events(session, "user.created")
    assert (created.actor_id, created.channel, created.entity_id) == (None, "cli", str(user.id))
    assert created.after == {
        "username": "amb.ny",
        "display_name": "Ny Ambassadør",
        "role": "ambassador",
        "is_active": True,
        "regions": [1084, 1085],
        "teams": [],
        "password_set": True,
    }


def test_a_user_without_a_password_is_named_after_their_username(session: Session) -> None:
    team = make_team(session)
    user = users.create_user(
        session,
        by=SYSTEM,
        username="lead.one",
        display_name="",
        role=Role.TEAM_LEADER,
        password=None,
        teams=[team.id or 0],
    )
    assert user.display_name == "lead.one" and user.password_hash is None
    assert users.user_scope(session, user_id=user.id or 0) == ([], [team.id])
    [created] = events(session, "user.created")
    assert created.after is not None and created.after["password_set"] is False


@pytest.mark.parametrize(
    ("given", "error", "key"),
    [
        ({"username": "no spaces"}, Invalid, "err_username_unusable"),
        ({"username": "x"}, Invalid, "err_username_unusable"),
        ({"display_name": "n" * 201}, Invalid, "err_display_name_long"),
        ({"role": Role.AMBASSADOR}, Invalid, "err_ambassador_needs_region"),
        ({"role": Role.TEAM_LEADER}, Invalid, "err_leader_needs_team"),
        ({"regions": [1084]}, Invalid, "err_regions_only_ambassadors"),
        ({"teams": "a team"}, Invalid, "err_teams_only_leaders"),
        ({"role": Role.AMBASSADOR, "regions": [9999]}, Invalid, "err_unknown_region"),
        ({"role": Role.TEAM_LEADER, "teams": [2_000_000_000]}, Invalid, "err_unknown_team"),
        ({"password": "short"}, Invalid, "err_password_short"),
        ({"password": "password123"}, Invalid, "err_password_common"),
        ({"username": "The-Admin"}, Conflict, "err_username_taken"),
    ],
)
def test_a_refused_new_user_says_why_and_stores_nothing(
    session: Session, given: dict[str, Any], error: type[DomainError], key: str
) -> None:
    make_user(session, username="the-admin", role=Role.ADMIN)
    if given.get("teams") == "a team":
        given = given | {"teams": [make_team(session).id]}
    before = [count(session, table) for table in (User, UserRegion, UserTeam, AuditEvent)]
    form: dict[str, Any] = {
        "username": "someone-new",
        "display_name": "Someone",
        "role": Role.ANALYST,
        "password": None,
    }
    with pytest.raises(error) as refused:
        users.create_user(session, by=SYSTEM, **(form | given))
    assert refused.value.key == key
    assert [count(session, table) for table in (User, UserRegion, UserTeam, AuditEvent)] == before


def test_a_change_of_role_and_scope_is_stored_with_before_and_after(session: Session) -> None:
    team = make_team(session)
    user = make_user(session, role=Role.AMBASSADOR, regions=(1084,))
    users.update_user(
        session,
        by=SYSTEM,
        user=user,
        display_name="Now a leader",
        role=Role.TEAM_LEADER,
        is_active=True,
        regions=[],
        teams=[team.id or 0, team.id or 0],
    )
    assert users.user_scope(session, user_id=user.id or 0) == ([], [team.id])
    assert session.get(User, user.id).role == "team_leader"  # type: ignore[union-attr]
    [updated] = events(session, "user.updated")
    assert updated.before is not None and updated.after is not None
    assert (updated.before["role"], updated.before["regions"]) == ("ambassador", [1084])
    assert (updated.after["role"], updated.after["teams"]) == ("team_leader", [team.id])
    assert updated.after["display_name"] == "Now a leader"
    assert "sessions_ended" not in updated.after


def test_an_unchanged_user_records_nothing(session: Session) -> None:
    user = make_user(session, role=Role.ANALYST, display_name="Same")
    users.update_user(
        session, by=SYSTEM, user=user, display_name=" Same ", role=Role.ANALYST,
        is_active=True, regions=[], teams=[],
    )  # fmt: skip
    assert events(session, "user.updated") == []


def test_disabling_ends_sessions_and_revokes_tokens_for_good(session: Session) -> None:
    user = make_user(session, role=Role.ANALYST)
    settings = settings_for("sqlite://")
    sessions.start_session(
        session, user=user, settings=settings, client_address=None, user_agent=None, now=utcnow()
    )
    tokens.create_token(session, by=SYSTEM, user=user, name="script")

    def set_active(active: bool) -> None:
        users.update_user(
            session, by=SYSTEM, user=user, display_name=user.display_name, role=Role.ANALYST,
            is_active=active, regions=[], teams=[],
        )  # fmt: skip

    set_active(False)
    [disabled] = events(session, "user.updated")
    assert disabled.after is not None and disabled.after["is_active"] is False
    assert disabled.after["sessions_ended"] == 1 and disabled.after["tokens_revoked"] == 1
    [row] = session.exec(select(UserSession).where(UserSession.user_id == user.id)).all()
    assert row.ended_at is not None and row.end_reason == "user_disabled"
    set_active(True)
    [token] = session.exec(select(ApiToken).where(ApiToken.user_id == user.id)).all()
    assert token.revoked_at is not None, "enabling again does not bring the token back"
    assert session.get(User, user.id).is_active  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("role", "active"), [(Role.ANALYST, True), (Role.ADMIN, False)], ids=["demoted", "disabled"]
)
def test_an_administrator_cannot_lock_themselves_out(
    session: Session, role: Role, active: bool
) -> None:
    admin = make_user(session, role=Role.ADMIN)
    me = access.principal_for(session, user=admin)
    with pytest.raises(Conflict) as refused:
        users.update_user(
            session, by=me, user=admin, display_name="Me", role=role, is_active=active,
            regions=[], teams=[],
        )  # fmt: skip
    assert refused.value.key == "err_self_lockout"
    session.refresh(admin)
    assert admin.role == "admin" and admin.is_active and admin.display_name == "Test User"
    assert events(session, "user.updated") == []


def test_a_refused_change_names_the_reason(session: Session) -> None:
    user = make_user(session, role=Role.ANALYST)
    with pytest.raises(Invalid) as refused:
        users.update_user(
            session, by=SYSTEM, user=user, display_name="x", role=Role.AMBASSADOR,
            is_active=True, regions=[], teams=[],
        )  # fmt: skip
    assert refused.value.key == "err_ambassador_needs_region"
    assert events(session, "user.updated") == []


def test_users_are_found_by_id_or_name_as_typed(session: Session) -> None:
    user = make_user(session, username="lars.lund", display_name="Lars Lund")
    assert users.get_user(session, user_id=user.id or 0) is user
    assert users.find_user(session, username=" Lars.Lund ") is user
    assert users.get_user_by_name(session, username="LARS.LUND") is user
    assert users.find_user(session, username="nobody") is None
    with pytest.raises(NotFound) as missing:
        users.get_user(session, user_id=2_000_000_000)
    assert missing.value.key == "err_no_user_id"
    with pytest.raises(NotFound) as missing:
        users.get_user_by_name(session, username="ghost")
    assert missing.value.key == "err_no_user" and "'ghost'" in missing.value.detail
    assert users.display_names(session, user_ids=[user.id or 0]) == {user.id: "Lars Lund"}
    assert users.display_names(session, user_ids=[]) == {}
    assert user in users.list_users(session)
