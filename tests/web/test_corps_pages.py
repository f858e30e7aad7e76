"""The corps' pages: an ambassador logs a course and an agreement in their region (the
page lists them, the database holds them), a refused form keeps what was typed and marks
the fields it concerns, an agreement is ended on its own page, and the national overview
counts the municipalities with an agreement beside those with a measured team."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import CollaborationAgreement, CorpsActivity, Role
from tests.factories import make_user
from tests.web.signin import parse, sign_in


def test_an_ambassador_records_a_course_and_an_agreement(
    client: TestClient, session: Session
) -> None:
    ambassador = make_user(session, role=Role.AMBASSADOR, regions=(1084,))
    csrf = sign_in(client, ambassador.username)
    landing = client.get("/corps", follow_redirects=False)
    assert landing.headers["location"] == "/corps/regions/1084"  # their one region
    page = parse(client.get("/corps/regions/1084").text)
    assert page.select_one("h1").get_text() == "Korpsets arbejde: Region Hovedstaden"  # type: ignore[union-attr]
    assert page.select_one("nav.main-nav a[href='/corps']") is not None

    course = {
        "csrf_token": csrf, "kind": "course", "held_on": "2026-09-15",
        "title": "IPS-grundkursus, dag 1", "consultants": "11", "leaders": "2",
        "psychiatry_staff": "4",
    }  # fmt: skip
    saved = client.post("/corps/regions/1084/activities", data=course, follow_redirects=False)
    assert saved.headers["location"] == "/corps/regions/1084?done=activity_saved&half=2026H2"
    page = parse(client.get(saved.headers["location"]).text)
    row = page.select_one("table.corps-activities tbody tr")
    assert row is not None
    assert [c.get_text(" ", strip=True) for c in row.select("td, th")] == [
        "2026-09-15", "Kursus", "IPS-grundkursus, dag 1",
        "Konsulenter: 11 · Ledere: 2 · Psykiatriens medarbejdere: 4",
    ]  # fmt: skip
    [stored] = session.exec(select(CorpsActivity)).all()
    assert (stored.region_code, stored.consultants, stored.created_by_id) == (
        1084, 11, ambassador.id)  # fmt: skip

    refused = client.post(
        "/corps/regions/1084/activities",
        data={**course, "held_on": "2099-01-01", "consultants": "elleve", "leaders": ""},
    )
    assert refused.status_code == 422
    page = parse(refused.text)
    assert "efter i dag" in page.select_one("[role=alert]").get_text()  # type: ignore[union-attr]
    assert page.select_one("#activity-held_on")["aria-invalid"] == "true"  # type: ignore[index]
    assert page.select_one("#activity-consultants")["value"] == "elleve"  # type: ignore[index]
    assert page.select_one("#activity-title")["value"] == "IPS-grundkursus, dag 1"  # type: ignore[index]
    assert len(session.exec(select(CorpsActivity)).all()) == 1

    agreement = {
        "csrf_token": csrf, "partner": "Psykiatrisk Center Ballerup", "signed_on": "2025-02-01",
        "municipalities": ["151", "153"], "document": "Samarbejdsaftale Ballerup-Brøndby.pdf",
    }  # fmt: skip
    client.post("/corps/regions/1084/agreements", data=agreement, follow_redirects=False)
    [made] = session.exec(select(CollaborationAgreement)).all()
    overlap = client.post(
        "/corps/regions/1084/agreements",
        data={**agreement, "signed_on": "2025-06-01", "municipalities": ["153"]},
    )
    assert overlap.status_code == 422
    message = parse(overlap.text).select_one("[role=alert]").get_text()  # type: ignore[union-attr]
    assert "Brøndby har allerede en aftale" in message
    assert len(session.exec(select(CollaborationAgreement)).all()) == 1

    page = parse(client.get(f"/corps/agreements/{made.id}").text)
    assert {i["value"] for i in page.select("input[name=municipalities][checked]")} == {
        "151", "153"
    }  # fmt: skip
    ended = client.post(
        f"/corps/agreements/{made.id}",
        data={**agreement, "ended_on": "2025-01-31"},
    )
    assert ended.status_code == 422  # ends before it starts
    assert "slutter (2025-01-31), før den begynder" in ended.text
    client.post(f"/corps/agreements/{made.id}", data={**agreement, "ended_on": "2026-06-30"})
    session.refresh(made)
    assert made.ended_on == date(2026, 6, 30)
    page = parse(client.get("/corps/regions/1084").text)
    state = page.select_one("table.corps-agreements tbody tr td:last-child")
    assert state is not None and state.get_text(strip=True) == "Ophørt"


def test_an_ambassador_reads_but_does_not_record_in_another_region(
    client: TestClient, session: Session
) -> None:
    csrf = sign_in(client, make_user(session, role=Role.AMBASSADOR, regions=(1084,)).username)
    page = parse(client.get("/corps/regions/1081").text)
    assert page.select_one("form[action='/corps/regions/1081/activities']") is None
    refused = client.post(
        "/corps/regions/1081/activities",
        data={"csrf_token": csrf, "kind": "webinar", "held_on": "2026-10-01", "title": "x"},
    )
    assert refused.status_code == 403
    assert session.exec(select(CorpsActivity)).all() == []


def test_the_overview_counts_agreements_beside_measured_teams(
    client: TestClient, session: Session
) -> None:
    admin = make_user(session, role=Role.ADMIN)
    csrf = sign_in(client, admin.username)
    client.post(
        "/corps/regions/1081/agreements",
        data={"csrf_token": csrf, "partner": "Psykiatrien i Region Nordjylland",
              "signed_on": "2024-05-01", "municipalities": ["851", "860", "813"]},
    )  # fmt: skip
    page = parse(client.get("/national").text)
    card = page.select_one("#figure-agreements")
    assert card is not None and "3 af 98 kommuner" in card.get_text()
    assert page.select_one("#figure-coverage") is not None  # measured teams, as before
    region = parse(client.get("/national?region=1081").text)
    assert "3 af 11 kommuner" in region.select_one("#figure-agreements").get_text()  # type: ignore[union-attr]


def test_unknown_regions_and_halves_are_answered_not_crashed_on(
    client: TestClient, session: Session
) -> None:
    sign_in(client, make_user(session, role=Role.ANALYST).username)
    missing = client.get("/corps/regions/9")
    assert missing.status_code == 404 and "Regionen »9« findes ikke" in missing.text
    for query in ("region=abc", "region=%C2%B2", "region=99999999999", "half=2026H9"):
        answer = client.get(f"/reports/status?{query}")
        assert answer.status_code in (404, 422), query
        assert parse(answer.text).select_one("h1") is not None
    old = parse(client.get("/corps/regions/1084?half=2019H1").text)
    assert old.select_one("#half option[selected]")["value"] == "2019H1"  # type: ignore[index]
