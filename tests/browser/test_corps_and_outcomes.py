"""On a tablet: an ambassador logs a course in the region's work, and an analyst imports
a quarter of STAR's figures (a file with a problem first, then a clean one). Each is
checked against what the database then holds; the new pages pass axe in both languages."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in
from tests.browser.test_accessibility import violations

pytestmark = pytest.mark.browser


def test_an_ambassador_logs_a_course_on_a_tablet(
    anonymous_tablet: Page, live_server: str, live_database: str
) -> None:
    page = anonymous_tablet
    sign_in(page, live_server, "amb.syd")
    page.get_by_role("link", name="Korpsets arbejde").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Korpsets arbejde: Region Syddanmark")
    held = (date.today() - timedelta(days=1)).isoformat()
    page.get_by_label("Slags").select_option("course")
    page.get_by_label("Dato").first.fill(held)
    page.get_by_label("Titel").fill("IPS-grundkursus på tabletten")
    page.get_by_label("Konsulenter").fill("13")
    page.get_by_label("Ledere").fill("2")
    page.get_by_role("button", name="Gem aktiviteten").tap()

    expect(page.locator("p.note[role=status]")).to_have_text("Aktiviteten er gemt.")
    row = page.locator("table.corps-activities tbody tr", has_text="på tabletten")
    expect(row).to_contain_text("Konsulenter: 13 · Ledere: 2")
    engine = sa.create_engine(live_database)
    try:
        with engine.connect() as connection:
            stored = connection.execute(
                sa.text(
                    "SELECT region_code, kind, consultants, leaders, held_on FROM corps_activity "
                    "WHERE title = 'IPS-grundkursus på tabletten'"
                )
            ).one()
    finally:
        engine.dispose()
    assert tuple(stored)[:4] == (1083, "course", 13, 2) and str(stored[4]) == held
    assert violations(page) == []


def test_an_analyst_imports_a_quarter(
    tablet: Page, live_server: str, live_database: str, tmp_path: Path
) -> None:
    page = tablet
    page.get_by_role("link", name="Resultater").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Resultater fra STARs monitorering")
    header = "Kvartal;Kommune;Målgruppe;Borgere i indsatsen;Ordinære timer eller uddannelse"
    wrong = tmp_path / "kvartal.csv"
    wrong.write_bytes(f"\ufeff{header}\r\n2015K1;Dragør;IPS;30;45\r\n".encode())
    page.get_by_label("Fil (CSV eller XLSX").set_input_files(wrong)
    page.get_by_role("button", name="Vis rækkerne").tap()
    expect(page.get_by_role("alert")).to_contain_text("Rækker med fejl: 1")
    expect(page.locator("tr.has-problem")).to_contain_text("større end de 30")
    assert violations(page) == []

    page.get_by_role("link", name="Indlæs en rettet fil").tap()
    right = tmp_path / "kvartal rettet.csv"
    right.write_bytes(f"\ufeff{header}\r\n2015K1;Dragør;IPS;30;12\r\n".encode())
    page.get_by_label("Fil (CSV eller XLSX").set_input_files(right)
    page.get_by_role("button", name="Vis rækkerne").tap()
    expect(page.locator("div.note[role=status]")).to_contain_text("Intet er gemt endnu")
    assert violations(page) == []
    page.get_by_role("button", name="Gem tallene").tap()
    expect(page.locator("p.note[role=status]")).to_have_text("Tallene er gemt.")
    expect(page.locator("#quarters-heading ~ div table")).to_contain_text("2015K1")
    engine = sa.create_engine(live_database)
    try:
        with engine.connect() as connection:
            stored = connection.execute(
                sa.text(
                    "SELECT participants, work_or_education, work_or_education_share "
                    "FROM outcome_figure WHERE year = 2015 AND municipality_code = 155"
                )
            ).one()
    finally:
        engine.dispose()
    assert tuple(stored) == (30, 12, 40.0)


ANALYST_PAGES = [
    "/outcomes",
    "/outcomes?lang=en",
    "/teams/1/outcomes",
    "/teams/1/outcomes?lang=en",
    "/corps",
    "/corps?lang=en",
    "/corps/regions/1084",
    "/corps/regions/1084?lang=en",
    "/reports/status",
    "/reports/status?lang=en",
    "/reports/status/1",
]
ADMIN_PAGES = [
    "/teams/12/outcomes",
    "/teams/12/outcomes?lang=en",
    "/corps/regions/1083",
    "/corps/regions/1083?lang=en",
    "/corps/activities/1",
    "/corps/activities/1?lang=en",
    "/corps/agreements/1",
    "/corps/agreements/1?lang=en",
    "/national",
    "/reports/status?region=1083",
    "/reports/status?region=1083&lang=en",
    "/reports/status/1?lang=en",
]


@pytest.mark.parametrize("path", ANALYST_PAGES)
def test_an_analysts_page_has_no_wcag_violations(live_server: str, tablet: Page, path: str) -> None:
    response = tablet.goto(live_server + path)
    assert response is not None and response.status == 200, path
    assert violations(tablet) == []


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_an_administrators_page_has_no_wcag_violations(
    live_server: str, anonymous_tablet: Page, path: str
) -> None:
    sign_in(anonymous_tablet, live_server, "admin")
    response = anonymous_tablet.goto(live_server + path)
    assert response is not None and response.status == 200, path
    assert violations(anonymous_tablet) == []
