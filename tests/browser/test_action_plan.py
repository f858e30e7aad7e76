"""The action plan on a tablet: the demo's team leader goes from the team page to the
latest review's recommendations, makes an action by touch, sees it on the team page and
moves it along with the keyboard; the feedback page passes axe while its forms are open."""

from __future__ import annotations

from datetime import date, timedelta

from playwright.sync_api import Page, expect
from sqlmodel import Session, col, select

from app.db.engines import create_db_engine
from app.models import ActionItem
from tests.browser.conftest import sign_in
from tests.browser.test_accessibility import violations
from tests.conftest import settings_for


def _actions(database: str, what: str) -> list[ActionItem]:
    engine = create_db_engine(settings_for(database))
    try:
        with Session(engine) as session:
            query = select(ActionItem).where(ActionItem.what == what).order_by(col(ActionItem.id))
            return list(session.exec(query))
    finally:
        engine.dispose()


def test_a_team_leader_turns_a_recommendation_into_an_action(
    anonymous_tablet: Page, live_server: str, live_database: str
) -> None:
    page = anonymous_tablet
    sign_in(page, live_server, "leder.aarhus")
    page.goto(f"{live_server}/teams")
    page.get_by_role("link", name="IPS-team Aarhus").tap()
    page.get_by_role("link", name="Lav handlinger ud fra anbefalingerne i seneste review").tap()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kommentarer og handlingsplan")

    first = page.locator("section.feedback-items").first.locator("article.feedback-item").first
    expect(first.locator(".recommendation")).to_be_visible()
    new = first.locator("details.new-action")
    new.locator("summary").tap()
    due = (date.today() + timedelta(days=60)).isoformat()
    new.get_by_label("Hvad vil teamet gøre?").fill("Fast møde med virksomhedskonsulenterne")
    new.get_by_label("Hvem er ansvarlig?").fill("Teamleder")
    new.get_by_label("Frist").fill(due)
    assert violations(page) == []
    new.get_by_role("button", name="Gem handlingen").tap()
    page.wait_for_url("**/feedback#action-*")

    [action] = _actions(live_database, "Fast møde med virksomhedskonsulenterne")
    expect(page).to_have_url(
        f"{live_server}/reviews/{action.review_id}/feedback#action-{action.id}"
    )
    expect(page.locator(f"#action-{action.id}")).to_contain_text("Åben")
    assert action.due_date.isoformat() == due and action.who == "Teamleder"

    page.goto(f"{live_server}/teams/{action.team_id}")
    row = page.locator(f"#action-{action.id}")
    expect(row).to_contain_text("Fast møde med virksomhedskonsulenterne")
    expect(row).to_contain_text(due)
    # The status form works from the keyboard: focus the select, choose, submit.
    select_box = row.get_by_label("Status for handlingen: Fast møde med virksomhedskonsulenterne")
    select_box.focus()
    select_box.select_option("in_progress")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server}/teams/{action.team_id}#action-{action.id}")
    expect(page.locator(f"#action-{action.id} .action-status")).to_have_text("I gang")
    assert (
        _actions(live_database, "Fast møde med virksomhedskonsulenterne")[0].status == "in_progress"
    )
    assert violations(page) == []
