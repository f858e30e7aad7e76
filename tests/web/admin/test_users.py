"""Administration of users through the real pages: creating, changing, disabling, a new
password and ending sessions. Every change must leave exactly one audit event with the
right before and after."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from app.models import Role, User, UserRegion, UserSession, UserTeam
from app.security import verify_password
from app.services import tokens
from app.services.access import Principal
from tests.factories import PASSWORD, make_team, make_user
from tests.web.admin.helpers import events_since, last_event_id, message
from tests.web.signin import parse, sign_in


def test_create_an_ambassador_with_regions(
    client: TestClient, session: Session, admin: User
) -> None:
    before = last_event_id(session)
    response = client.post(
        "/admin/users",
        data={
            "username": "Amb.Ny",
            "display_name": "Ny Ambassadør",
            "role": "ambassador",
            "password": "a long enough password",
            "regions": ["1084", "1085"],
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    user = session.exec(select(User).where(User.username == "amb.ny")).one()
    assert response.headers["location"] == f"/admin/users/{user.id}?done=user_created"
    notice = parse(client.get(response.headers["location"]).text).select_one(".notice")
    assert notice is not None and notice.get_text(strip=True) == "Brugeren er oprettet."
    regions = session.exec(select(UserRegion.region_code).where(UserRegion.user_id == user.id))
    assert sorted(regions) == [1084, 1085]
    [event] = events_since(session, before)
    assert (event.action, event.actor_id, event.channel) == ("user.created", admin.id, "web")
    assert event.entity_type == "user" and event.entity_id == str(user.id)
    assert event.before is None
    assert event.after == {
        "username": "amb.ny",
        "display_name": "Ny Ambassadør",
        "role": "ambassador",
        "is_active": True,
        "regions": [1084, 1085],
        "teams": [],
        "password_set": True,
    }
    assert "argon2" not in str(event.after), "no password hash in the audit trail"
    # The new user can sign in and sees the scope.
    other = TestClient(client.app)
    sign_in(other, "amb.ny", "a long enough password")
    assert other.get("/api/v1/me").json()["regions"] == [1084, 1085]


@pytest.mark.parametrize(
    ("form", "status", "says"),
    [
        ({"role": "ambassador"}, 422, "En ambassadør skal have mindst én region."),
        ({"role": "team_leader"}, 422, "En teamleder skal have mindst ét team."),
        ({"role": "analyst", "regions": ["1084"]}, 422, "Kun ambassadører har regioner"),
        ({"role": "ambassador", "regions": ["9999"]}, 422, "Ukendt regionskode 9999"),
        ({"role": "wizard"}, 422, "Ukendt rolle 'wizard'"),
        ({"role": "analyst", "password": "short"}, 422, "mindst 10 tegn"),
        (
            {"role": "analyst", "username": "the-admin"},
            409,
            "Brugernavnet 'the-admin' er allerede i brug.",
        ),
        ({"role": "analyst", "username": "no spaces"}, 422, "kan ikke bruges som brugernavn"),
    ],
)
def test_bad_user_forms_are_refused_with_a_reason_and_change_nothing(
    client: TestClient, session: Session, form: dict[str, object], status: int, says: str
) -> None:
    users_before = session.exec(select(func.count()).select_from(User)).one()
    before = last_event_id(session)
    data = {"username": "someone-new", "display_name": "X"} | form
    response = client.post("/admin/users", data=data)
    assert response.status_code == status
    assert says in message(response.text)
    assert session.exec(select(func.count()).select_from(User)).one() == users_before
    assert events_since(session, before) == []
    # The form keeps what was typed.
    kept = parse(response.text).select_one("#username")
    assert kept is not None and kept["value"] == data["username"]


def test_change_role_and_scope_records_before_and_after(
    client: TestClient, session: Session
) -> None:
    team = make_team(session, name="Team Vest")
    user = make_user(session, role=Role.AMBASSADOR, regions=(1084,))
    before = last_event_id(session)
    response = client.post(
        f"/admin/users/{user.id}",
        data={
            "display_name": "Now a leader",
            "role": "team_leader",
            "is_active": "true",
            "teams": [str(team.id)],
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    session.refresh(user)
    assert user.role == "team_leader"
    assert list(session.exec(select(UserTeam.team_id).where(UserTeam.user_id == user.id))) == [
        team.id
    ]
    assert list(session.exec(select(UserRegion).where(UserRegion.user_id == user.id))) == []
    [event] = events_since(session, before)
    assert event.action == "user.updated"
    assert event.before is not None and event.after is not None
    assert (event.before["role"], event.before["regions"], event.before["teams"]) == (
        "ambassador",
        [1084],
        [],
    )
    assert (event.after["role"], event.after["regions"], event.after["teams"]) == (
        "team_leader",
        [],
        [team.id],
    )
    assert event.after["display_name"] == "Now a leader"


def test_saving_an_unchanged_user_records_nothing(client: TestClient, session: Session) -> None:
    user = make_user(session, role=Role.ANALYST)
    before = last_event_id(session)
    client.post(
        f"/admin/users/{user.id}",
        data={"display_name": user.display_name, "role": "analyst", "is_active": "true"},
    )
    assert events_since(session, before) == []


def test_disabling_a_user_ends_their_sessions_at_once(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    user = make_user(session, role=Role.ANALYST)
    plain, _ = tokens.create_token(session, by=Principal.system(), user=user, name="script")
    theirs = TestClient(app)
    sign_in(theirs, user.username)
    assert theirs.get("/teams", follow_redirects=False).status_code == 200
    before = last_event_id(session)
    client.post(f"/admin/users/{user.id}", data={"display_name": "x", "role": "analyst"})
    session.refresh(user)
    assert user.is_active is False
    [event] = events_since(session, before)
    assert event.before is not None and event.after is not None
    assert event.before["is_active"] is True and event.after["is_active"] is False
    assert event.after["sessions_ended"] == 1 and event.after["tokens_revoked"] == 1
    assert theirs.get("/teams", follow_redirects=False).status_code == 303
    # Enabling the account again does not bring the old token back.
    client.post(
        f"/admin/users/{user.id}", data={"display_name": "x", "role": "analyst", "is_active": "1"}
    )
    api = TestClient(app, headers={"Authorization": f"Bearer {plain}"})
    assert api.get("/api/v1/me").status_code == 401
    rows = session.exec(select(UserSession).where(UserSession.user_id == user.id)).all()
    assert [row.end_reason for row in rows] == ["user_disabled"]


def test_an_admin_cannot_lock_themselves_out(
    client: TestClient, session: Session, admin: User
) -> None:
    response = client.post(
        f"/admin/users/{admin.id}", data={"display_name": "Me", "role": "analyst"}
    )
    assert response.status_code == 409
    assert "din egen administratorrolle" in message(response.text)
    session.refresh(admin)
    assert admin.role == "admin" and admin.is_active


def test_reset_password_and_end_sessions(
    app: FastAPI, client: TestClient, session: Session
) -> None:
    user = make_user(session)
    theirs = TestClient(app)
    sign_in(theirs, user.username)
    before = last_event_id(session)
    response = client.post(
        f"/admin/users/{user.id}/password",
        data={"password": "brand new password"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    session.refresh(user)
    assert verify_password(user.password_hash or "", "brand new password")
    [event] = events_since(session, before)
    assert event.action == "user.password_set" and event.after == {"sessions_ended": 1}
    assert theirs.get("/teams", follow_redirects=False).status_code == 303
    sign_in(theirs, user.username, "brand new password")
    before = last_event_id(session)
    client.post(f"/admin/users/{user.id}/sessions/end")
    [event] = events_since(session, before)
    assert event.action == "session.ended" and event.after == {"sessions_ended": 1}
    assert theirs.get("/teams", follow_redirects=False).status_code == 303


def test_someone_elses_password_is_never_in_a_page(client: TestClient, session: Session) -> None:
    user = make_user(session)
    page = client.get(f"/admin/users/{user.id}").text
    assert PASSWORD not in page and "argon2" not in page


def test_users_list_names_regions_and_teams(client: TestClient, session: Session) -> None:
    team = make_team(session, name="Team Øst")
    make_user(session, username="amb-two", role=Role.AMBASSADOR, regions=(1081, 1084))
    make_user(session, username="lead-one", role=Role.TEAM_LEADER, teams=(team,))
    rows = {
        r.select("td")[0].get_text(strip=True): r.select("td")[3].get_text(" ", strip=True)
        for r in parse(client.get("/admin/users").text).select("table.data tbody tr")
    }
    assert rows["amb-two"] == "Region Nordjylland, Region Hovedstaden"
    assert rows["lead-one"] == "Team Øst"
    assert rows["the-admin"] == "hele landet"
