"""The team page on a tablet: a team leader sees the latest result, the charts drawn
from the database's figures, and a table beneath each chart that says the same."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from playwright.sync_api import Page, expect
from sqlmodel import Session, col, select

from app.db.engines import create_db_engine
from app.models import RaterKind, Rating, Review, ReviewStatus, Team, TeamMunicipality
from tests.browser.conftest import sign_in
from tests.conftest import settings_for


def _finalised(database: str, team_name: str) -> list[Review]:
    engine = create_db_engine(settings_for(database))
    try:
        with Session(engine) as session:
            team = session.exec(select(Team).where(Team.name == team_name)).one()
            return list(
                session.exec(
                    select(Review)
                    .where(Review.team_id == team.id, Review.status == ReviewStatus.FINALISED)
                    .order_by(col(Review.visit_date))
                )
            )
    finally:
        engine.dispose()


def _consensus(database: str, review_id: int) -> dict[str, float | None]:
    engine = create_db_engine(settings_for(database))
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.select(col(Rating.item_key), col(Rating.score)).where(
                    col(Rating.review_id) == review_id,
                    col(Rating.rater_kind) == RaterKind.CONSENSUS,
                )
            )
            return {str(row[0]): row[1] for row in rows}
    finally:
        engine.dispose()


def _danish(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")


def test_a_team_leader_sees_the_profile_drawn_from_the_database(
    anonymous_tablet: Page, live_server: str, live_database: str, tmp_path: Path
) -> None:
    page = anonymous_tablet
    sign_in(page, live_server, "leder.aarhus")
    page.goto(f"{live_server}/teams")
    page.get_by_role("link", name="IPS-team Aarhus").tap()

    reviews = _finalised(live_database, "IPS-team Aarhus")
    latest = reviews[-1]
    assert latest.total_score is not None
    expect(page.locator(".result-number")).to_have_text(_danish(latest.total_score))
    expect(page.locator(".level-badge")).to_be_visible()

    drawn = page.locator(".chart[data-drawn='true']")
    # four fidelity charts, the outcomes beside fidelity and the implementation status
    expect(drawn).to_have_count(6)
    expect(page.locator("#chart-outcomes .scatterlayer .trace")).not_to_have_count(0)
    for key in ("totals", "principles", "sections", "items"):
        chart = page.locator(f"#chart-{key} .js-plotly-plot")
        expect(chart).to_have_count(1)
        expect(chart.locator(".main-svg").first).to_be_visible()
    expect(page.locator("#chart-totals .scatterlayer .point")).to_have_count(len(reviews))
    expect(page.locator("#chart-items .barlayer .point")).to_have_count(25)

    # The totals table: one row per finalised review, with the stored total.
    page.locator("#chart-totals summary").tap()
    rows = page.locator("[data-chart-table='totals'] tbody tr")
    expect(rows).to_have_count(len(reviews))
    for row, review in zip(rows.all(), reviews, strict=True):
        cells = row.locator("th, td").all_inner_texts()
        assert cells[0] == review.visit_date.isoformat()
        assert review.total_score is not None
        assert cells[2] == _danish(review.total_score)

    # The items table: the latest consensus score of every item, in the scale's order.
    page.locator("#chart-items summary").tap()
    scores = _consensus(live_database, latest.id or 0)
    item_rows = page.locator("[data-chart-table='items'] tbody tr")
    expect(item_rows).to_have_count(25)
    shown = [row.locator("td").first.inner_text() for row in item_rows.all()]
    stored = sorted(scores.values(), key=lambda s: -1 if s is None else s)
    assert sorted(shown) == sorted(_danish(s) if s is not None else "Ikke vurderet" for s in stored)

    page.screenshot(path=str(tmp_path / "team-profile.png"), full_page=True)
    assert (tmp_path / "team-profile.png").stat().st_size > 10_000


def test_a_team_without_a_finalised_review_shows_a_helpful_empty_state(
    anonymous_tablet: Page, live_server: str, live_database: str
) -> None:
    engine = create_db_engine(settings_for(live_database))
    try:
        with Session(engine) as session:
            team = Team(name="IPS-team Bornholm (ny)", program_type="ips")
            session.add(team)
            session.flush()
            session.add(TeamMunicipality(team_id=team.id or 0, municipality_code=400))
            session.commit()
    finally:
        engine.dispose()
    page = anonymous_tablet
    sign_in(page, live_server, "admin")
    page.goto(f"{live_server}/teams")
    page.get_by_role("link", name="IPS-team Bornholm (ny)").tap()
    expect(page.locator(".team-result .empty-state")).to_contain_text(
        "endnu ikke et afsluttet review"
    )
    expect(page.locator(".team-outcomes .empty-state")).to_have_text(
        "Der er endnu ingen tal for teamet."
    )
    expect(page.locator(".chart")).to_have_count(0)
    assert page.evaluate("typeof window.Plotly") == "undefined", "no charts, no plotly.js"
