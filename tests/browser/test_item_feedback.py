"""What an item says the moment the reviewer acts, in Debian's Chromium at tablet size:
"not rated" waits for its reason instead of being refused, and a consensus score says at
once what it still needs before the review can be finalised (not only when finalising)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlmodel import Session

from app.services import access, scoring
from tests.browser.test_offline import (
    SCALE,
    _engine,
    _scene,
    open_scoring,
    ready,
    sign_in,
    state_of,
    tablets,  # noqa: F401 (the fixture)
    tap_level,
    waiting,
)
from tests.factories import make_review, make_team, make_user

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
    engine = _engine(live_database)
    with Session(engine) as session:
        lead, second = make_user(session), make_user(session)
        review = make_review(
            session, team=make_team(session, municipalities=(101,)), reviewers=(lead, second)
        )
        for user, odd in ((lead, 4), (second, 2)):
            who = access.principal_for(session, user)
            for item in SCALE.items:
                score = odd if item.key == ANCHORED.key else 4
                scoring.save_rating(
                    session, who, review.id or 0, item.key,
                    scoring.RatingInput(score=score), client_id=None,
                )  # fmt: skip
            session.commit()
            scoring.submit(session, who, review.id or 0)
            session.commit()
        review_id, lead_name = review.id, lead.username
    engine.dispose()
    _, page = tablets()
    sign_in(page, live_server, lead_name)
    page.goto(f"{live_server}/reviews/{review_id}/consensus")
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
