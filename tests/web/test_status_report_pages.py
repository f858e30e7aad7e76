"""The half-year status report's pages: an ambassador reads the region's report as it
stands, downloads it as a PDF and a workbook, marks it sent (a frozen edition with its
own page), and STAR's analyst reads it and the national roll-up; a later correction
does not change the sent edition."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlmodel import Session, select

from app.models import Role, StatusReport
from app.services.corps import Half
from tests.factories import make_user
from tests.web.signin import parse, sign_in


def test_an_ambassador_sends_the_regions_report_and_star_reads_it(
    client: TestClient, session: Session
) -> None:
    ambassador = make_user(session, role=Role.AMBASSADOR, regions=(1083,))
    csrf = sign_in(client, ambassador.username)
    half = Half.of(date.today())
    day = date.today().isoformat()
    client.post(
        "/corps/regions/1083/activities",
        data={"csrf_token": csrf, "kind": "course", "held_on": day, "title": "Grundkursus",
              "consultants": "9", "leaders": "1"},
    )  # fmt: skip
    page = parse(client.get(f"/reports/status?region=1083&half={half.key}").text)
    course = page.select_one("table.status-activities tr[data-kind=course]")
    assert course is not None and course.select_one("td").get_text() == "1"  # type: ignore[union-attr]
    assert "Konsulenter: 9" in course.get_text()

    pdf = client.get(f"/reports/status/pdf?region=1083&half={half.key}")
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Halvårsstatus: Region Syddanmark" in text and "Grundkursus" not in text
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(f"/reports/status/xlsx?region=1083&half={half.key}").content)
    )
    rows = {row[0]: row[1] for row in book.active.iter_rows(values_only=True) if row[0]}  # type: ignore[union-attr]
    assert rows["Kursus"] == 1 and rows["  Konsulenter"] == 9

    sent = client.post(
        "/reports/status/send",
        data={"csrf_token": csrf, "region": "1083", "half": half.key},
        follow_redirects=False,
    )
    [stored] = session.exec(select(StatusReport)).all()
    assert sent.headers["location"] == f"/reports/status/{stored.id}?done=sent"
    assert (stored.region_code, stored.half, stored.edition) == (1083, half.key, 1)
    assert stored.content["activities"]["course"]["consultants"] == 9

    # A correction afterwards: the sent edition still says what it said.
    client.post(
        "/corps/regions/1083/activities",
        data={"csrf_token": csrf, "kind": "course", "held_on": day, "title": "Ekstra kursus",
              "consultants": "4"},
    )  # fmt: skip
    frozen = parse(client.get(f"/reports/status/{stored.id}").text)
    row = frozen.select_one("table.status-activities tr[data-kind=course] td")
    assert row is not None and row.get_text() == "1"
    assert "Sendt udgave 1" in frozen.get_text()
    live = parse(client.get(f"/reports/status?region=1083&half={half.key}").text)
    assert live.select_one("table.status-activities tr[data-kind=course] td").get_text() == "2"  # type: ignore[union-attr]

    client.cookies.clear()
    analyst_csrf = sign_in(client, make_user(session, role=Role.ANALYST).username)
    national = parse(client.get(f"/reports/status?half={half.key}").text)
    assert national.select_one("h1").get_text().startswith("Halvårsstatus: Hele landet")  # type: ignore[union-attr]
    regions = [r.th.get_text() for r in national.select("table.status-rollup tbody tr")]  # type: ignore[union-attr]
    assert regions == ["Region Syddanmark", "I alt"]
    assert "Ikke sendt endnu" in national.get_text()
    assert national.select_one("form[action='/reports/status/send']") is None
    refused = client.post(
        "/reports/status/send",
        data={"csrf_token": analyst_csrf, "region": "1083", "half": half.key},
    )
    assert refused.status_code == 403 and "egne regioner" in refused.text
    assert len(session.exec(select(StatusReport)).all()) == 1
