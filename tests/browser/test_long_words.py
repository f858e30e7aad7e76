"""A long unbroken word or address in what people type (a note, a rationale, a team's
comment) wraps on every page: once, a 52,000 px consensus page on a tablet stopped the
taps on its level buttons. Checked at tablet width in Chromium, and in the PDF."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from pypdf import PdfReader
from sqlmodel import Session

from app.models import Review, Team
from app.services import access, action_plan, consensus, feedback
from tests.browser.conftest import TABLET
from tests.browser.test_offline import (
    SCALE,
    _engine,
    ready,
    review_in_consensus,
    sign_in,
    state_of,
    tablets,  # noqa: F401 (the fixture)
    tap_level,
)
from tests.factories import make_user

pytestmark = pytest.mark.browser
WORD = "https://example.org/" + "a" * 3000  # no space, no hyphen: nothing to break at
ANCHORED = next(item for item in SCALE.items if item.kind == "anchored")


def width_fits(page: Page, *, shows: bool = True) -> None:
    """The page shows the long word (a page without it would fit anyway) and is no wider
    than the tablet."""
    if shows:  # as text, or in a field (whose value inner_text leaves out)
        shown = page.locator("main").inner_text() + page.content()
        assert WORD[:300] in shown, f"{page.url} shows the word"
    wide = page.evaluate("() => document.documentElement.scrollWidth")
    assert wide <= TABLET["width"], f"{page.url} is {wide} px wide"


def test_long_words_wrap_on_every_page(
    tablets: Callable[[], tuple[BrowserContext, Page]],  # noqa: F811
    live_server: str,
    live_database: str,
) -> None:
    scene = review_in_consensus(live_database, split=ANCHORED.key, scores=(4, 2), note=WORD)
    review_id = scene.review_id
    _, page = tablets()
    sign_in(page, live_server, scene.reviewer)

    page.goto(f"{live_server}/reviews/{review_id}/consensus")
    ready(page)
    width_fits(page)
    tap_level(page, ANCHORED.key, 3)  # the buttons still take taps
    expect(state_of(page, ANCHORED.key)).to_contain_text("Gemt på serveren", timeout=15000)
    card = page.locator(f"#item-{ANCHORED.key}")
    card.locator("textarea[name='rationale']").fill(WORD)
    card.locator("textarea[name='recommendation']").fill(WORD)
    card.locator("textarea[name='recommendation']").blur()
    expect(state_of(page, ANCHORED.key)).not_to_contain_text("Mangler", timeout=15000)
    page.locator("#strengths").fill(WORD)
    page.locator("#summary").fill(WORD)
    page.locator("#summary").blur()
    page.wait_for_timeout(1500)
    page.reload()
    ready(page)
    width_fits(page)
    page.goto(f"{live_server}/reviews/{review_id}/score")
    width_fits(page)
    page.goto(f"{live_server}/reviews/{review_id}")
    width_fits(page, shows=False)  # in consensus: what it says comes with the finalising

    engine = _engine(live_database)
    with Session(engine) as session:
        admin = access.Principal.system()
        consensus.finalise(session, principal=admin, review_id=review_id)
        session.commit()
        review = session.get(Review, review_id)
        assert review is not None
        team_id = review.team_id
        leader = make_user(session, role="team_leader", teams=(session.get(Team, team_id),))
        as_leader = access.principal_for(session, user=leader)
        feedback.save_comment(
            session,
            principal=as_leader,
            review_id=review_id,
            item_key=ANCHORED.key,
            body=WORD,
            feedback_days=14,
        )
        action_plan.create_action(  # the team page shows the team's actions
            session, principal=as_leader, review_id=review_id, item_key=ANCHORED.key,
            change=action_plan.ActionInput(
                what=WORD[:900], who="Teamlederen", due_date="2027-01-31"
            ),
            today=date(2026, 12, 6),
        )  # fmt: skip
        session.commit()
    engine.dispose()
    for path in (f"/reviews/{review_id}", f"/reviews/{review_id}/report",
                 f"/reviews/{review_id}/feedback", f"/teams/{team_id}"):  # fmt: skip
        page.goto(live_server + path)
        width_fits(page)
    pdf = page.request.get(f"{live_server}/reviews/{review_id}/report.pdf")
    assert pdf.ok
    reader = PdfReader(io.BytesIO(pdf.body()))
    lines = [line for p in reader.pages for line in p.extract_text().splitlines()]
    assert "".join(lines).count("a" * 500) >= 2, "the long word is in the PDF"
    assert max(len(line) for line in lines) < 200, "wrapped onto lines of the page's width"
