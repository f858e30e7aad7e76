"""A whole review in a real browser at tablet size with touch: an ambassador plans it,
two reviewers score every item by tapping (and find every score after a reload), the lead
settles the one disagreement and finalises, and the team's leader sees the locked result.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from app.scales.schema import Item
from tests.browser.conftest import ARTIFACTS, TABLET, sign_in
from tests.browser.test_accessibility import violations
from tests.factories import shipped_scale

SCALE = shipped_scale()
TEAM = "IPS-team Aarhus"


@pytest.fixture
def person(browser: Browser, live_server: str) -> Iterator[object]:
    """Opens a fresh signed-in tablet for each person; the pages fail the test on script
    errors, CSP violations and failed requests."""
    contexts = []
    errors: list[str] = []

    def open_as(username: str) -> Page:
        context = browser.new_context(
            viewport=TABLET, has_touch=True, is_mobile=True, device_scale_factor=1, locale="da-DK"
        )
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(f"script error: {error}"))
        page.on(
            "console",
            lambda m: (
                errors.append(m.text)
                if m.type == "error" and not m.text.startswith("Failed to load resource")
                else None  # a refused save's 4xx is expected; the tests check its answer
            ),
        )
        page.on("dialog", lambda dialog: dialog.accept())
        sign_in(page, live_server, username)
        return page

    yield open_as
    for context in contexts:
        context.close()
    assert errors == [], errors


def score_item(page: Page, item: Item, level: int) -> None:
    """Tap the item's answer as a reviewer would and wait until it says it is saved."""
    card = page.locator(f"#item-{item.key}")
    if item.per_consultant and item.kind == "banded":
        card.locator('input[name="consultant_figure"]').first.fill("5")
        card.locator('input[name="consultant_figure"]').first.blur()
    elif item.per_consultant:
        card.locator('select[name="consultant_score"]').first.select_option(str(level))
    elif item.kind == "checklist":
        for box in card.locator('input[name="ticked"]').all():
            box.tap()
            expect(card.locator(".save-state")).to_contain_text("Gemt på serveren")
    else:
        card.locator("label.level-choice").nth(level - 1).tap()
    expect(card.locator(".save-state")).to_contain_text("Gemt på serveren 20")


def test_a_review_from_plan_to_the_team_leader(person: object, live_server: str) -> None:
    open_as = person  # type: ignore[assignment]
    lead: Page = open_as("amb.midt")  # type: ignore[operator]
    lead.goto(live_server + "/reviews/new")
    assert violations(lead) == []
    lead.get_by_label("Søg efter team eller kommune").fill(TEAM.split()[-1].lower())
    lead.get_by_role("button", name="Søg", exact=True).tap()
    lead.get_by_role("link", name=TEAM, exact=True).tap()
    expect(lead.locator("form.stack")).to_contain_text(TEAM)
    assert violations(lead) == []
    lead.get_by_label("Besøgets første dag").fill("2026-11-20")
    lead.locator('input[name="reviewers"][value="amb.midt"]').check()
    lead.locator('input[name="reviewers"][value="amb.nord"]').check()
    lead.locator('input[name="lead"][value="amb.midt"]').check()
    lead.get_by_role("button", name="Planlæg review").tap()
    expect(lead.locator("h1")).to_contain_text(TEAM)
    review_url = lead.url
    lead.get_by_role("link", name="Begynd scoringen").tap()
    expect(lead.locator("#progress")).to_contain_text("0 af 25 vurderet")
    assert violations(lead) == []

    for item in SCALE.items:
        score_item(lead, item, 4)
    expect(lead.locator("#progress")).to_contain_text("25 af 25 vurderet")
    ARTIFACTS.mkdir(exist_ok=True)
    lead.screenshot(path=str(ARTIFACTS / "scoring-tablet.png"))
    lead.reload()
    expect(lead.locator("#progress")).to_contain_text("25 af 25 vurderet")
    for item in SCALE.items:
        if item.kind in ("anchored", "banded") and not item.per_consultant:
            checked = lead.locator(f'#item-{item.key} input[name="score"]:checked')
            expect(checked).to_have_value("4")
    lead.get_by_role("button", name="Indsend min scoring").tap()
    expect(lead.locator(".reviewer-list")).to_contain_text("indsendt")

    second = open_as("amb.nord")  # type: ignore[operator]
    second.goto(review_url + "/score")
    expect(second.locator(".items")).not_to_contain_text("Morten")  # blind: no lead's notes
    for item in SCALE.items:
        score_item(second, item, 3 if item.key == "vocational-generalists" else 4)
    second.get_by_role("button", name="Indsend min scoring").tap()
    expect(second.locator("body")).to_contain_text("Den ansvarlige bedømmer afklarer konsensus")

    lead.goto(review_url + "/consensus")
    disagreement = lead.locator("article.disagreement")
    expect(disagreement).to_have_count(1)
    expect(disagreement).to_have_attribute("id", "item-vocational-generalists")
    disagreement.locator("label.level-choice").nth(3).tap()
    expect(disagreement.locator(".save-state")).to_contain_text("Gemt på serveren 20")
    disagreement.locator("textarea[name=rationale]").fill("Konsulenterne varetager selv alle faser")
    expect(disagreement.locator(".open-points")).to_contain_text("afklaret")
    # Every item scored at or below the threshold asks for a recommendation.
    low = lead.locator("article.item-card", has_text="mangler anbefaling")
    for card_id in [card.get_attribute("id") for card in low.all()]:
        card = lead.locator(f"#{card_id}")
        card.locator("textarea[name=recommendation]").fill("Læg en plan sammen med ledelsen")
        expect(card.locator(".open-points")).to_contain_text("afklaret")
    expect(lead.locator("#finalise-panel")).to_contain_text("kan afsluttes")
    assert violations(lead) == []
    lead.get_by_label("Styrker", exact=True).fill("Et tæt samarbejde med psykiatrien")
    expect(lead.locator("#state-summary")).to_contain_text("Gemt")
    with lead.expect_navigation():
        lead.get_by_role("button", name="Afslut og lås reviewet").tap()
    assert "/finalize" not in lead.url, lead.locator("main").inner_text()
    expect(lead.locator(".badge-review-finalised")).to_be_visible()

    leader = open_as("leder.aarhus")  # type: ignore[operator]
    leader.goto(review_url)
    expect(leader.locator(".level")).to_contain_text("God")
    expect(leader.locator("body")).to_contain_text("Et tæt samarbejde med psykiatrien")
    assert violations(leader) == []
    leader.screenshot(path=str(ARTIFACTS / "finalised-review-tablet.png"), full_page=False)


def test_a_figure_suggests_the_score_and_a_chosen_level_stands(
    person: object, live_server: str
) -> None:
    open_as = person  # type: ignore[assignment]
    lead: Page = open_as("amb.hovedstaden")  # type: ignore[operator]
    lead.goto(live_server + "/teams")
    lead.get_by_role("link", name="IPS-team København").tap()
    lead.locator("tr", has_text="scoring i gang").locator("a").first.tap()
    lead.get_by_role("link", name="Fortsæt scoringen").tap()
    item = next(
        i
        for i in SCALE.items[9:]
        if i.kind == "banded" and not i.per_consultant and i.banding and i.banding.maximum
    )
    assert item.banding is not None
    bands = {band.score: band for band in item.banding.bands}
    low, high = min(bands), max(bands)

    def figure_of(score: int) -> str:
        band = bands[score]
        value = band.min if band.min is not None else band.max
        return f"{value:g}".replace(".", ",")

    card = lead.locator(f"#item-{item.key}")
    figure = card.locator('input[name="figure"]')
    state = card.locator(".save-state")
    figure.fill(figure_of(low))
    figure.blur()
    expect(state).to_contain_text(f"Score {low}")
    expect(card.locator('input[name="score"]:checked')).to_have_value(str(low))
    # A corrected figure takes its suggestion along: the old one was only a suggestion.
    figure.fill(figure_of(high))
    figure.blur()
    expect(state).to_contain_text(f"Score {high}")
    expect(card.locator('input[name="score"]:checked')).to_have_value(str(high))
    # A level the reviewer chose stands when the figure changes again.
    chosen = 3 if 3 not in (low, high) else 2
    card.locator("label.level-choice").nth(chosen - 1).tap()
    expect(state).to_contain_text(f"Score {chosen}")
    figure.fill(figure_of(low))
    figure.blur()
    expect(state).to_contain_text(f"tallet giver {low}")
    expect(state).to_contain_text(f"Score {chosen}")
    # A figure outside the scale is refused, and the buttons still show the stored level.
    if item.banding.minimum is not None:
        figure.fill(f"{item.banding.minimum - 5:g}")
        figure.blur()
        expect(state).to_contain_text("Ikke gemt")
        expect(card.locator('input[name="score"]:checked')).to_have_value(str(chosen))
