"""The national overview on a tablet: the demo's STAR analyst sees the charts drawn, the
figures in their tables equal to the database's, sorts the teams by total and downloads
the workbook."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
from PIL import Image
from playwright.sync_api import Page, expect
from sqlmodel import Session, col, func, select

from app.db.engines import create_db_engine
from app.models import Review, ReviewStatus
from tests.browser.conftest import sign_in
from tests.conftest import settings_for


def _finalised_per_year(database: str) -> dict[str, int]:
    engine = create_db_engine(settings_for(database))
    try:
        with Session(engine) as session:
            dates = session.exec(
                select(col(Review.visit_date)).where(Review.status == ReviewStatus.FINALISED)
            ).all()
            counted: dict[str, int] = {}
            for day in dates:
                counted[str(day.year)] = counted.get(str(day.year), 0) + 1
            assert session.exec(select(func.count()).select_from(Review)).one() >= len(dates)
            return counted
    finally:
        engine.dispose()


def test_an_analyst_reads_the_national_picture_and_downloads_it(
    anonymous_tablet: Page, live_server: str, live_database: str, tmp_path: Path
) -> None:
    page = anonymous_tablet
    sign_in(page, live_server, "analytiker.star")
    page.get_by_role("link", name="Landsoverblik").tap()
    expect(page.get_by_role("heading", level=1)).to_have_text("Landsoverblik")

    # four fidelity charts, implementation status over the years and coverage, then the
    # outcomes over the quarters, region by region, and fidelity against outcomes
    expect(page.locator(".chart[data-drawn='true']")).to_have_count(9)
    for key in ("outcomes", "outcomes-regions", "fidelity-outcomes"):
        expect(page.locator(f"#chart-{key} .js-plotly-plot .main-svg").first).to_be_visible()
    # The page never scrolls sideways (a tablet would zoom it all out); the table does.
    assert page.evaluate("document.documentElement.scrollWidth") <= 820
    # The bars are there to see, in their colours (a pattern can hide the colour).
    drawing = Image.open(io.BytesIO(page.locator("#chart-levels-by-year .chart").screenshot()))
    pixels = drawing.convert("RGB").get_flattened_data()
    blue = sum(1 for r, g, b in pixels if b > 140 and r < 60 and 80 < g < 150)  # "God"
    assert blue > 2000, f"only {blue} pixels of the 'good' bars' blue"
    # The levels-by-year table: each year's total equals the finalised reviews that year.
    page.locator("#chart-levels-by-year summary").tap()
    rows = page.locator("[data-chart-table='levels-by-year'] tbody tr")
    shown = {
        row.locator("th").inner_text(): int(row.locator("td").last.inner_text())
        for row in rows.all()
    }
    assert shown == _finalised_per_year(live_database)

    # Sorting the teams by total, highest first, from the column header.
    page.locator("#national-teams thead").get_by_role("link", name="Total").tap()
    page.locator("#national-teams thead").get_by_role("link", name="Total").tap()
    expect(page.locator("#national-teams th[aria-sort='descending']")).to_have_count(1)
    totals = [
        float(text.replace(",", "."))
        for text in page.locator("#national-teams tbody td.num:nth-of-type(3)").all_inner_texts()
        if text != "–"
    ]
    assert totals == sorted(totals, reverse=True) and len(totals) >= 10

    with page.expect_download() as download:
        page.get_by_role("link", name="Hent arbejdsbog (Excel)").tap()
    path = tmp_path / "workbook.xlsx"
    download.value.save_as(path)
    book = openpyxl.load_workbook(path, read_only=True)
    assert book.sheetnames == [
        "Reviews",
        "Scorer",
        "Målinger",
        "Implementeringsvurderinger",
        "Resultater",
        "Items",
        "Filtre",
    ]
    page.screenshot(path=str(tmp_path / "national.png"), full_page=True)
