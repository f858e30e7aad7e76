"""Administration through the real pages: users, scopes, tokens, teams and the audit trail.
Every change must leave exactly one audit event with the right before and after."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from app.i18n import MESSAGES
from app.models import (
    ApiToken,
    AuditEvent,
    Role,
    Team,
    TeamMunicipality,
    User,
    UserRegion,
    UserSession,
    UserTeam,
)
from app.security import verify_password
from app.services import audit, tokens
from app.services.access import Principal
from app.services.credentials import digest
from tests.factories import PASSWORD, make_team, make_user
from tests.web.signin import parse, sign_in


@pytest.fixture
def admin(session: Session) -> User:
    return make_user(session, role=Role.ADMIN, username="the-admin")


@pytest.fixture
def client(client: TestClient, admin: User) -> TestClient:
    token = sign_in(client, admin.username)
    client.headers["X-CSRF-Token"] = token
    return client


def last_event_id(session: Session) -> int:
    return session.exec(select(func.coalesce(func.max(AuditEvent.id), 0))).one()


def events_since(session: Session, since: int, *, skip_auth: bool = True) -> list[AuditEvent]:
    rows = session.exec(
        select(AuditEvent).where(col(AuditEvent.id) > since).order_by(col(AuditEvent.id))
    ).all()
    return [e for e in rows if not (skip_auth and e.action.startswith("auth."))]


def message(html: str) -> str:
    box = parse(html).select_one(".form-error")
    assert box is not None
    return box.get_text(" ", strip=True)


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


def test_a_token_is_shown_once_and_only_its_hash_is_kept(
    client: TestClient, session: Session
) -> None:
    user = make_user(session, role=Role.ANALYST)
    before = last_event_id(session)
    response = client.post(f"/admin/users/{user.id}/tokens", data={"name": "R nightly"})
    assert response.status_code == 201
    shown = parse(response.text).select_one("#new-token")
    assert shown is not None
    plain = shown.get_text(strip=True)
    token = session.exec(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    assert token.token_hash == digest(plain) and token.prefix == plain[:12]
    [event] = events_since(session, before)
    assert event.action == "api_token.created" and plain not in str(event.after)
    again = client.get(f"/admin/users/{user.id}").text
    assert plain not in again and token.prefix in again
    api = TestClient(client.app, headers={"Authorization": f"Bearer {plain}"})
    assert api.get("/api/v1/me").json()["username"] == user.username
    before = last_event_id(session)
    response = client.post(
        f"/admin/tokens/{token.id}/revoke", data={"back": "user"}, follow_redirects=False
    )
    assert response.headers["location"] == f"/admin/users/{user.id}?done=token_revoked"
    [event] = events_since(session, before)
    assert event.action == "api_token.revoked" and event.before == {"revoked": False}
    assert api.get("/api/v1/me").status_code == 401
    listing = parse(client.get("/admin/tokens").text)
    assert "tilbagekaldt" in listing.select_one("table.data tbody").get_text()  # type: ignore[union-attr]


def test_create_and_change_a_team_with_its_municipalities(
    client: TestClient, session: Session
) -> None:
    before = last_event_id(session)
    response = client.post(
        "/admin/teams",
        data={
            "name": "IPS Lolland-Falster",
            "program_type": "ips",
            "municipalities": ["360", "376"],
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    team = session.exec(select(Team).where(Team.name == "IPS Lolland-Falster")).one()
    codes = session.exec(
        select(TeamMunicipality.municipality_code).where(TeamMunicipality.team_id == team.id)
    )
    assert sorted(codes) == [360, 376]
    [event] = events_since(session, before)
    assert event.action == "team.created" and event.after == {
        "name": "IPS Lolland-Falster",
        "program_type": "ips",
        "is_active": True,
        "municipalities": [360, 376],
    }
    before = last_event_id(session)
    client.post(
        f"/admin/teams/{team.id}",
        data={"name": "IPS Lolland", "program_type": "ips_lignende", "municipalities": ["360"]},
    )
    [event] = events_since(session, before)
    assert event.action == "team.updated"
    assert event.before is not None and event.after is not None
    assert event.before["municipalities"] == [360, 376] and event.after["municipalities"] == [360]
    assert event.after["is_active"] is False and event.after["program_type"] == "ips_lignende"


@pytest.mark.parametrize(
    ("form", "says"),
    [
        ({"name": "X", "program_type": "ips"}, "mindst én kommune"),
        ({"name": "X", "program_type": "ips", "municipalities": ["1"]}, "Ukendt kommunekode"),
        ({"name": "X", "program_type": "other", "municipalities": ["101"]}, "Ukendt indsatstype"),
        ({"name": " ", "program_type": "ips", "municipalities": ["101"]}, "Giv teamet et navn"),
    ],
)
def test_bad_team_forms_are_refused(
    client: TestClient, session: Session, form: dict[str, object], says: str
) -> None:
    before = last_event_id(session)
    response = client.post("/admin/teams", data=form)
    assert response.status_code == 422 and says in message(response.text)
    assert events_since(session, before) == []


def test_a_non_number_in_a_form_is_a_422_page(client: TestClient) -> None:
    response = client.post(
        "/admin/teams", data={"name": "X", "program_type": "ips", "municipalities": ["abc"]}
    )
    assert response.status_code == 422
    assert "municipalities" in parse(response.text).select_one(".error-detail").get_text()  # type: ignore[union-attr]


def test_audit_page_lists_filters_and_pages(client: TestClient, session: Session) -> None:
    victim = make_user(session)
    for n in range(3):
        client.post(
            "/admin/teams",
            data={"name": f"Audited {n}", "program_type": "ips", "municipalities": ["101"]},
        )
    page = parse(client.get("/admin/audit?action=team").text)
    rows = page.select("table.audit tbody tr")
    assert [r.select_one("td.action .action-name").get_text(strip=True) for r in rows] == [
        "Team oprettet"
    ] * 3
    chosen = page.select_one("#f-action option[selected]")
    assert chosen is not None and chosen["value"] == "team" and chosen.text == "Teams (alle)"
    assert "Team oprettet" in [o.text for o in page.select("#f-action option")]
    after = rows[0].select_one("td.change dl.fields")
    assert after is not None
    fields = {d.dt.text: d.dd.text for d in after.select("div")}
    assert fields["navn"] == "Audited 2" and fields["aktiv"] == "ja"
    assert rows[0].select("td")[1].get_text(" ", strip=True).startswith("the-admin")
    assert "Audited 2" in rows[0].get_text(), "newest first"
    # htmx asks for the results alone.
    fragment = client.get("/admin/audit?action=team.", headers={"HX-Request": "true"}).text
    assert "<html" not in fragment and fragment.count("Team oprettet") == 3
    # More than a page: a link to older events.
    for _ in range(52):
        client.post(f"/admin/users/{victim.id}/sessions/end")  # harmless, and audited
    first = parse(client.get("/admin/audit?action=session.ended").text)
    assert len(first.select("table.audit tbody tr")) == 50
    older = first.select_one('#audit-results a[href*="before="]')
    assert older is not None and "action=session.ended" in str(older["href"])
    rest = parse(client.get(str(older["href"])).text)
    assert [
        r.select_one("td.action .action-name").get_text(strip=True)
        for r in rest.select("table.audit tbody tr")
    ] == ["Session afsluttet"] * 2
    assert rest.select_one('#audit-results a[href*="before="]') is None


def test_audit_filter_with_an_unknown_action_names_the_known_ones(client: TestClient) -> None:
    response = client.get("/admin/audit?action=signed_in")
    assert response.status_code == 422
    text = parse(response.text).get_text()
    assert "»signed_in« kendes ikke" in text and "auth.signed_in" in text


def test_every_action_the_code_records_is_named(client: TestClient) -> None:
    """Each action recorded anywhere in app/ is in the catalogue, named in both languages."""
    source = "\n".join(p.read_text() for p in Path("app").rglob("*.py"))
    written = set(re.findall(r'action="([a-z_]+\.[a-z_]+)"', source))
    written |= {f"{entity}.viewed" for entity in ("team", "review")}
    written |= {"scale_version.published", "scale_version.drafted"}
    assert written <= set(audit.ACTIONS), written - set(audit.ACTIONS)
    for action in audit.ACTIONS:
        for language in ("da", "en"):
            assert audit.action_label(action) in MESSAGES[language], (language, action)
    for group in audit.ACTION_GROUPS:
        assert f"audit_group_{group}" in MESSAGES["da"], group


def test_audit_filter_with_a_bad_date_is_a_clear_422(client: TestClient) -> None:
    response = client.get("/admin/audit?since=yesterday")
    assert response.status_code == 422
    assert "since skal være en dato som 2026-11-23" in parse(response.text).get_text()


def test_audit_csv_export_is_itself_audited(
    client: TestClient, session: Session, admin: User
) -> None:
    client.post(
        "/admin/teams", data={"name": "CSV team", "program_type": "ips", "municipalities": ["101"]}
    )
    response = client.get("/admin/audit.csv?action=team.")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:6] == ["id", "occurred_at", "actor", "channel", "client_address", "action"]
    assert [(r[2], r[5]) for r in rows[1:]] == [("the-admin", "team.created")]
    comma = client.get("/admin/audit.csv?action=team.&sep=,").text.lstrip("\ufeff")
    assert comma.splitlines()[0].startswith("id,occurred_at,actor,")
    exports = session.exec(select(AuditEvent).where(AuditEvent.action == "audit.exported")).all()
    assert [(e.actor_id, e.after) for e in exports] == [
        (admin.id, {"filters": {"action": "team."}})
    ] * 2


def test_the_audit_trail_cannot_be_changed_even_in_sql(session: Session) -> None:
    make_user(session, role=Role.ADMIN)
    session.add(AuditEvent(action="test.event", channel="system"))
    session.flush()
    for statement in ("UPDATE audit_event SET action = 'rewritten'", "DELETE FROM audit_event"):
        nested = session.begin_nested()
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            session.execute(sa.text(statement))
        nested.rollback()
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "test.event")).one()


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


def test_audit_filters_by_an_action_and_part_of_a_name(
    client: TestClient, session: Session, admin: User
) -> None:
    page = parse(client.get("/admin/audit?action=auth.signed_in&actor=ADMIN").text)
    actions = [
        r.select_one("td.action .action-name").get_text(strip=True)
        for r in page.select("table.audit tbody tr")
    ]
    assert actions == ["Logget ind"]
    assert parse(client.get("/admin/audit?actor=nobody-like-this").text).select_one(".empty")
    response = client.get("/admin/audit?since=2026-11-23&until=2026-11-01")
    assert response.status_code == 422
    assert "Fra-datoen 2026-11-23 ligger efter til-datoen 2026-11-01." in response.text


def test_audit_shows_danish_letters_as_themselves(client: TestClient, session: Session) -> None:
    client.post(
        "/admin/teams",
        data={"name": "Tværfagligt Ø", "program_type": "ips", "municipalities": ["101"]},
    )
    change = parse(client.get("/admin/audit?action=team.").text).select_one("td.change")
    assert change is not None and "Tværfagligt Ø" in change.get_text()


def test_a_failed_form_links_its_language_switch_to_the_page_it_came_from(
    client: TestClient, session: Session
) -> None:
    response = client.post(
        "/admin/teams",
        data={"name": "", "program_type": "ips"},
        headers={"Referer": "http://testserver/admin/teams/new"},
    )
    switch = parse(response.text).select_one('nav.language a[hreflang="en"]')
    assert switch is not None and switch["href"] == "/admin/teams/new?lang=en"


def test_sending_the_token_form_again_creates_no_second_token(
    client: TestClient, session: Session
) -> None:
    user = make_user(session, role=Role.ANALYST)
    page = parse(client.get(f"/admin/users/{user.id}").text)
    form_id = page.select_one('input[name="form_id"]')
    assert form_id is not None
    data = {"name": "Power BI", "form_id": str(form_id["value"])}
    first = client.post(f"/admin/users/{user.id}/tokens", data=data)
    assert first.status_code == 201
    again = client.post(f"/admin/users/{user.id}/tokens", data=data)  # a reload
    assert again.status_code == 409
    assert "allerede oprettet og kan ikke vises igen" in message(again.text)
    assert parse(again.text).select_one("#new-token") is None
    tokens = session.exec(select(ApiToken).where(ApiToken.user_id == user.id)).all()
    assert len(tokens) == 1
    # The page shown again carries a fresh form, which does create one.
    fresh = parse(again.text).select_one('input[name="form_id"]')
    assert fresh is not None and fresh["value"] != data["form_id"]
    data["form_id"] = str(fresh["value"])
    assert client.post(f"/admin/users/{user.id}/tokens", data=data).status_code == 201


def test_audit_days_are_calendar_days_where_the_users_are(session: Session) -> None:
    from datetime import UTC, date, datetime

    from app.services import audit

    late = AuditEvent(
        action="demo.loaded",
        channel="system",
        occurred_at=datetime(2026, 11, 22, 23, 30, tzinfo=UTC),  # 00:30 in Copenhagen
    )
    session.add(late)
    session.flush()

    def found(day: date, zone: str) -> bool:
        clauses = audit.event_filter(action="demo.loaded", since=day, until=day, timezone=zone)
        return bool(audit.list_events(session, clauses, limit=5, before_id=None))

    assert found(date(2026, 11, 23), "Europe/Copenhagen")
    assert not found(date(2026, 11, 22), "Europe/Copenhagen")
    assert found(date(2026, 11, 22), "UTC")
