"""Administration of API tokens through the real pages: shown once, kept as a hash,
revoked, and never made twice by one form."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import ApiToken, Role
from app.services.credentials import digest
from tests.factories import make_user
from tests.web.admin.helpers import events_since, last_event_id, message
from tests.web.signin import parse


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
