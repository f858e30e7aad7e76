"""What an item says the moment the reviewer acts, in Debian's Chromium at tablet size:
"not rated" waits for its reason instead of being refused, and a consensus score says at
once what it still needs before the review can be finalised (not only when finalising)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.test_offline import (
    SCALE,
    _scene,
    open_scoring,
    ready,
    review_in_consensus,
    sign_in,
    state_of,
    tablets,  # noqa: F401 (the fixture)
    tap_level,
    waiting,
)

pytestmark = pytest.mark.browser
ANCHORED = next(item for item in SCALE.items if item.kind == "anchored")


def test_not_rated_waits_for_its_reason_and_then_is_saved(
    tablets: Callable[[], tuple[BrowserContext, Page]],  # noqa: F811
    live_server: str,
    live_database: str,
) -> None:
    scene = _scene(live_database)
    _, page = tablets()
    sign_in(page, live_server, scene.reviewer)
    open_scoring(page, live_server, scene.review_id)
    refused: list[int] = []
    page.on("response", lambda r: refused.append(r.status) if r.status >= 400 else None)
    card = page.locator(f"#item-{ANCHORED.key}")

    card.locator('input[name="not_rated"]').check()

    expect(state_of(page, ANCHORED.key)).to_contain_text("Skriv hvorfor")
    page.wait_for_timeout(1500)  # longer than the pause after typing: nothing is sent
    assert refused == [] and waiting(page) == 0
    card.locator("textarea[name='not_rated_reason']").fill("Ingen sager at se på")
    card.locator("textarea[name='not_rated_reason']").blur()
    expect(state_of(page, ANCHORED.key)).to_contain_text("Gemt på serveren", timeout=15000)
    expect(state_of(page, ANCHORED.key)).to_contain_text("Ingen sager at se på")
    assert refused == []


def test_a_consensus_score_says_at_once_what_it_still_needs(
    tablets: Callable[[], tuple[BrowserContext, Page]],  # noqa: F811
    live_server: str,
    live_database: str,
) -> None:
    scene = review_in_consensus(live_database, split=ANCHORED.key, scores=(4, 2))
    _, page = tablets()
    sign_in(page, live_server, scene.reviewer)
    page.goto(f"{live_server}/reviews/{scene.review_id}/consensus")
    ready(page)

    tap_level(page, ANCHORED.key, 3)  # the reviewers said 4 and 2

    state = state_of(page, ANCHORED.key)
    expect(state).to_contain_text("Mangler en begrundelse")
    expect(state).to_contain_text("Gemt på serveren", timeout=15000)
    expect(state).to_contain_text("Mangler en begrundelse")  # still said beside "saved"
    card = page.locator(f"#item-{ANCHORED.key}")
    card.locator("textarea[name='rationale']").fill("Delvist dokumenteret")
    card.locator("textarea[name='rationale']").blur()
    expect(state).not_to_contain_text("Mangler en begrundelse", timeout=15000)
    tap_level(page, ANCHORED.key, 1)  # at or below the threshold: a recommendation too
    expect(state).to_contain_text("Mangler en anbefaling")
