"""A team leader invites the team's consultants: the account is made for the leader's
team only, the one-time link is shown once (only its sha256 kept), the consultant sets a
password through it under the usual rules and then signs in; a used or expired link says
so; and a leader can close the account again."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import AuditEvent, Invitation, Role, User, UserTeam, utcnow
from app.services.credentials import digest
from tests.factories import make_team, make_user
from tests.web.signin import parse, sign_in, submit_login

NEW_PASSWORD = "tre blå ænder på en gren"


def invite(client: TestClient, session: Session, csrf: str, team_id: int, username: str) -> str:
    page = parse(
        client.post(
            f"/teams/{team_id}/consultants",
            data={"csrf_token": csrf, "display_name": "Kim Kjær", "username": username},
        ).text
    )
    field = page.select_one("#invitation-link")
    assert field is not None, page.get_text()
    return str(field["value"])


def test_a_leader_invites_a_consultant_who_sets_a_password_and_signs_in(
    client: TestClient, session: Session
) -> None:
    team = make_team(session)
    leader = make_user(session, role=Role.TEAM_LEADER, teams=(team,))
    csrf = sign_in(client, leader.username)
    team_page = parse(client.get(f"/teams/{team.id}").text)
    assert team_page.select_one(f"a[href='/teams/{team.id}/consultants']") is not None

    link = invite(client, session, csrf, team.id or 0, "Kim.Kjaer")

    user = session.exec(select(User).where(User.username == "kim.kjaer")).one()
    assert (user.role, user.password_hash, user.is_active) == ("consultant", None, True)
    assert session.get(UserTeam, (user.id, team.id)) is not None
    token = urlsplit(link).path.rsplit("/", 1)[1]
    [stored] = session.exec(select(Invitation)).all()
    assert stored.token_hash == digest(token) and token not in stored.token_hash
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "user.invited")).all()
    listed = parse(client.get(f"/teams/{team.id}/consultants").text)
    assert "Inviteret" in listed.select_one("table.consultants tbody").get_text()  # type: ignore[union-attr]
    assert listed.select_one("#invitation-link") is None  # shown once only

    client.cookies.clear()
    form = parse(client.get(urlsplit(link).path).text)
    assert "Velkommen, Kim Kjær" in form.get_text()
    differ = client.post(
        urlsplit(link).path, data={"password": NEW_PASSWORD, "repeat_password": "noget andet"}
    )
    assert differ.status_code == 422 and "ikke ens" in parse(differ.text).get_text().lower()
    short = client.post(urlsplit(link).path, data={"password": "kort", "repeat_password": "kort"})
    assert short.status_code == 422
    session.refresh(user)
    assert user.password_hash is None  # nothing half-saved
    done = client.post(
        urlsplit(link).path,
        data={"password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/login?welcome=kim.kjaer"
    login = parse(client.get(done.headers["location"]).text)
    assert "Din adgangskode er valgt" in login.get_text()
    assert login.select_one("input#username")["value"] == "kim.kjaer"  # type: ignore[index]
    assert submit_login(client, "kim.kjaer", NEW_PASSWORD).status_code == 303
    client.cookies.clear()
    again = client.get(urlsplit(link).path)
    assert again.status_code == 409 and "allerede brugt" in parse(again.text).get_text()


def test_an_expired_link_says_so_and_the_leader_makes_a_new_one(
    client: TestClient, session: Session
) -> None:
    team = make_team(session)
    csrf = sign_in(client, make_user(session, role=Role.TEAM_LEADER, teams=(team,)).username)
    link = invite(client, session, csrf, team.id or 0, "sanne")
    stored = session.exec(select(Invitation)).one()
    stored.expires_at = utcnow() - timedelta(minutes=1)
    session.add(stored)
    session.commit()
    user = session.exec(select(User).where(User.username == "sanne")).one()
    page = parse(client.get(f"/teams/{team.id}/consultants").text)
    assert "Linket er udløbet" in page.get_text()
    fresh = parse(
        client.post(f"/teams/{team.id}/consultants/{user.id}/link", data={"csrf_token": csrf}).text
    )
    assert fresh.select_one("#invitation-link") is not None
    client.cookies.clear()
    old = client.get(urlsplit(link).path)
    assert old.status_code == 409 and "udløbet" in parse(old.text).get_text()


def test_only_the_teams_own_leader_invites_and_a_closed_consultant_cannot_sign_in(
    client: TestClient, session: Session
) -> None:
    team, other = make_team(session), make_team(session, municipalities=(851,))
    leader = make_user(session, role=Role.TEAM_LEADER, teams=(team,))
    csrf = sign_in(client, leader.username)
    refused = client.post(
        f"/teams/{other.id}/consultants",
        data={"csrf_token": csrf, "display_name": "X", "username": "x-other"},
    )
    assert refused.status_code == 404  # another team is none of this leader's business
    taken = client.post(
        f"/teams/{team.id}/consultants",
        data={"csrf_token": csrf, "display_name": "Y", "username": leader.username},
    )
    assert taken.status_code == 409 and leader.username in parse(taken.text).get_text()
    assert session.exec(select(User).where(User.role == Role.CONSULTANT)).all() == []

    consultant = make_user(session, role=Role.CONSULTANT, teams=(team,))
    client.post(f"/teams/{team.id}/consultants/{consultant.id}/close", data={"csrf_token": csrf})
    session.refresh(consultant)
    assert consultant.is_active is False
    client.cookies.clear()
    assert submit_login(client, consultant.username).status_code != 303

    ambassador_csrf = sign_in(client, make_user(session, role=Role.AMBASSADOR).username)
    page = client.post(
        f"/teams/{team.id}/consultants",
        data={"csrf_token": ambassador_csrf, "display_name": "Z", "username": "z-amb"},
    )
    assert page.status_code == 403
    assert "kun invitere konsulenter til dit eget team" in parse(page.text).get_text()


def test_a_link_no_longer_sets_the_password_of_an_account_made_something_else(
    client: TestClient, session: Session
) -> None:
    from app.services import users
    from app.services.access import Principal

    team = make_team(session)
    csrf = sign_in(client, make_user(session, role=Role.TEAM_LEADER, teams=(team,)).username)
    link = invite(client, session, csrf, team.id or 0, "jens")
    jens = session.exec(select(User).where(User.username == "jens")).one()
    users.update_user(
        session, by=Principal.system(), user=jens, display_name=jens.display_name,
        role=Role.AMBASSADOR, is_active=True, regions=[1084], teams=[],
    )  # fmt: skip
    session.commit()
    client.cookies.clear()
    page = client.post(
        urlsplit(link).path, data={"password": NEW_PASSWORD, "repeat_password": NEW_PASSWORD}
    )
    assert page.status_code == 409 and "udløbet" in parse(page.text).get_text()
    session.refresh(jens)
    assert jens.password_hash is None
