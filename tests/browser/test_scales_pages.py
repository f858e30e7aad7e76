"""The scales pages on a tablet: tapping through, htmx swaps, language, touch targets."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def test_browse_a_scale_on_a_tablet(live_server: str, tablet: Page) -> None:
    tablet.goto(live_server + "/")
    expect(tablet.locator("h1")).to_have_text("Velkommen, Anders Andersen (analytiker, STAR)")
    expect(tablet.locator(".cards .card")).to_have_count(2)
    assert tablet.evaluate("typeof window.htmx") == "object", "htmx must load from /static/vendor"

    tablet.get_by_role("link", name="Se items: IPS-fidelitetsskala (IPS-25)").tap()
    expect(tablet).to_have_url(live_server + "/scales/ips-25/2019")
    expect(tablet.locator("#items article.item")).to_have_count(25)
    expect(tablet.locator("#items section.group h3")).to_have_count(3)
    # The URL and the items are there as soon as the page is parsed; htmx binds its links
    # only once the document has loaded, so a tap before then would be an ordinary link.
    tablet.wait_for_load_state("load")

    # Grouping by principle swaps only #items through htmx: the page is not reloaded.
    tablet.evaluate("window.__kept = true")
    tablet.locator("#items nav").get_by_role("link", name="princip").tap()
    expect(tablet.locator("#items section.group h3")).to_have_count(8)
    expect(tablet.locator('#items nav a[aria-current="true"]')).to_have_text("princip")
    assert tablet.evaluate("window.__kept") is True
    expect(tablet).to_have_url(live_server + "/scales/ips-25/2019?group=principle")
    expect(tablet.locator("#items article.item")).to_have_count(25)

    ARTIFACTS.mkdir(exist_ok=True)
    tablet.screenshot(path=str(ARTIFACTS / "scale-page-tablet.png"), full_page=False)


def test_switch_to_english_and_back(live_server: str, tablet: Page) -> None:
    tablet.goto(live_server + "/scales/ips-25/2019")
    tablet.get_by_role("link", name="English").tap()
    expect(tablet.locator("html")).to_have_attribute("lang", "en")
    expect(tablet.locator("#items article.item h4").first).to_have_text("1. Caseload size")
    tablet.goto(live_server + "/")
    expect(tablet.locator(".cards .card h3").first).to_have_text(
        "Supported Employment Fidelity Scale (IPS-25)"
    )
    tablet.get_by_role("link", name="Dansk").tap()
    expect(tablet.locator("html")).to_have_attribute("lang", "da")


def test_touch_targets_and_keyboard_focus(live_server: str, tablet: Page) -> None:
    tablet.goto(live_server + "/scales/ips-25/2019")
    for selector in (".language a", "#items nav a", "details.anchors > summary"):
        box = tablet.locator(selector).first.bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 44, selector
    tablet.keyboard.press("Tab")
    focused = tablet.evaluate("document.activeElement.className")
    assert focused == "skip-link"
    outline = tablet.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid", "keyboard focus must be visible"
    summary = tablet.locator("details.anchors > summary").first
    summary.focus()
    tablet.keyboard.press("Enter")
    expect(tablet.locator("details.anchors").first).to_have_attribute("open", "")


def test_keyboard_grouping_switch_keeps_focus_on_the_chosen_control(
    live_server: str, tablet: Page
) -> None:
    tablet.goto(live_server + "/scales/ips-25/2019")
    tablet.locator("#items nav").get_by_role("link", name="princip").focus()
    tablet.keyboard.press("Enter")
    expect(tablet.locator("#items section.group h3")).to_have_count(8)
    expect(tablet.locator('#items nav a[aria-current="true"]')).to_be_focused()
    tablet.keyboard.press("Shift+Tab")
    expect(tablet.locator("#items nav").get_by_role("link", name="sektion")).to_be_focused()


def test_drafts_are_not_shown(live_server: str, tablet: Page) -> None:
    response = tablet.goto(live_server + "/scales/ips-25/0-draft")
    assert response is not None and response.status == 404
    expect(tablet.locator(".error-detail")).to_contain_text("Siden findes ikke.")
