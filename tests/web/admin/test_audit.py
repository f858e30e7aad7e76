"""The audit trail through the real pages: listed, filtered and paged, downloaded as CSV
(itself on record), every action named, and never changed."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.i18n import translator
from app.models import AuditEvent, Role, User
from app.services import audit
from tests.factories import make_user
from tests.web.signin import parse


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
            assert audit.action_label(action) in translator(language), (language, action)
    for group in audit.ACTION_GROUPS:
        assert f"audit_group_{group}" in translator("da"), group


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
        return bool(audit.list_events(session, found=clauses, limit=5, before_id=None))

    assert found(date(2026, 11, 23), "Europe/Copenhagen")
    assert not found(date(2026, 11, 22), "Europe/Copenhagen")
    assert found(date(2026, 11, 22), "UTC")
