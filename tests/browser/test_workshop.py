"""The workshop in a real browser, at tablet and desktop size: a panel member starts a
draft, edits an item (and is told beside the field what is wrong), tries it in the
sandbox, compares it, discusses an item and sends it for approval; another panel member
approves it; an administrator publishes it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from app.services.demo import DEMO_PASSWORD
from tests.browser.conftest import TABLET

pytestmark = pytest.mark.browser

DEVICES = {
    "tablet": {"viewport": TABLET, "has_touch": True, "is_mobile": True},
    "desktop": {"viewport": {"width": 1366, "height": 900}, "has_touch": False},
}


class Person:
    """One person at their own device (their own cookies), tapping or clicking."""

    def __init__(self, browser: Browser, device: str, live_server: str, username: str) -> None:
        self.context = browser.new_context(locale="da-DK", **DEVICES[device])  # type: ignore[arg-type]
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.touch = DEVICES[device]["has_touch"]
        self.server = live_server
        self.page.goto(f"{live_server}/login?next=/")
        self.page.get_by_label("Brugernavn").fill(username)
        self.page.get_by_label("Adgangskode").fill(DEMO_PASSWORD)
        self.press(self.page.get_by_role("button", name="Log ind"))
        self.page.wait_for_url(live_server + "/")

    def press(self, target: Locator) -> None:
        # A page just navigated to may still scroll to its anchor or move focus as it
        # finishes loading; a tap before that can land where the target no longer is.
        self.page.wait_for_load_state("load")
        if self.touch:
            target.tap()
        else:
            target.click()

    def goto(self, path: str) -> Page:
        self.page.goto(self.server + path)
        return self.page


@pytest.fixture(params=list(DEVICES))
def device(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def people(browser: Browser, live_server: str, device: str) -> Iterator[dict[str, Person]]:
    found = {
        name: Person(browser, device, live_server, name)
        for name in ("panel.bjerg", "panel.dahl", "admin")
    }
    yield found
    for person in found.values():
        assert person.errors == [], person.errors
        person.context.close()


def test_a_draft_goes_from_proposal_to_publication(people: dict[str, Person], device: str) -> None:
    version = f"2030{device[0]}"  # one draft per device size
    bjerg = people["panel.bjerg"]
    page = bjerg.goto("/scales")
    page.get_by_label("Udgangspunkt").select_option("ips-25:2019")
    page.get_by_label("Det nye udkasts version").fill(version)
    bjerg.press(page.get_by_role("button", name="Start udkastet"))
    expect(page).to_have_url(f"{bjerg.server}/scales/ips-25/{version}")
    expect(page.locator("#workshop")).to_contain_text("under arbejde")

    # An item edited: a gap between bands is refused beside its field, nothing saved.
    bjerg.press(page.locator("#workshop-caseload-size").get_by_role("link", name="Rediger item 1"))
    band = page.locator("#f-banding-bands-1-min")
    band.fill("23")
    bjerg.press(page.get_by_role("button", name="Gem"))
    expect(band).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#problem-banding-bands-1-min")).to_contain_text("gap between bands")
    expect(page.locator("#form-problems")).to_be_focused()
    band.fill("21")
    page.locator("input[name=evidence][value=OBS]").check()
    bjerg.press(page.get_by_role("button", name="Gem"))
    expect(page.locator("p.notice[role=status]")).to_contain_text("Ændringen er gemt")

    # The sandbox: a figure of 18 citizens per consultant scores 5; nothing is stored.
    bjerg.press(page.get_by_role("link", name="Prøv versionen som bedømmer"))
    page.get_by_label("Borgere pr. fuldtidskonsulent (borgere)").fill("18")
    bjerg.press(page.get_by_role("button", name="Beregn"))
    expect(page.locator("#preview-score-caseload-size")).to_have_text("Score: 5")
    expect(page.locator("#sandbox-principles tbody tr")).to_have_count(8)

    # Compared with the version it started from: the item's new evidence source shows.
    page = bjerg.goto(f"/scales/ips-25/{version}")
    bjerg.press(page.get_by_role("link", name="Sammenlign med 2019"))
    expect(page.locator("#compare-summary")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Sagsstammens størrelse")

    # A comment on the item, then the draft sent for approval.
    page = bjerg.goto(f"/scales/ips-25/{version}")
    discussion = page.locator("#workshop-caseload-size details.discussion")
    bjerg.press(discussion.locator("summary"))
    discussion.get_by_label("Ny kommentar til dette item").fill("OBS tilføjet: bør besøget ses?")
    bjerg.press(discussion.get_by_role("button", name="Kommenter"))
    expect(page.locator("#workshop-caseload-size .thread")).to_contain_text("OBS tilføjet")
    bjerg.press(page.get_by_role("button", name="Send til godkendelse"))
    expect(page.locator("#workshop")).to_contain_text("sendt til godkendelse")
    expect(page.get_by_role("button", name="Godkend")).to_have_count(0)  # not one's own

    dahl = people["panel.dahl"]
    page = dahl.goto(f"/scales/ips-25/{version}")
    dahl.press(page.get_by_role("button", name="Godkend"))
    expect(page.locator("#workshop")).to_contain_text("godkendt, venter på udgivelse")

    admin = people["admin"]
    page = admin.goto(f"/scales/ips-25/{version}")
    admin.press(page.get_by_role("button", name="Udgiv versionen"))
    expect(page.locator("h1 .badge")).to_have_text("offentliggjort")
    history = page.locator("ol.history li")
    expect(history).to_have_count(3)
    expect(history.nth(1)).to_contain_text("David Dahl")
    expect(page.get_by_role("link", name="Rediger skalaen som helhed")).to_have_count(0)

    # Retired again, so the version stops being offered (and the shared demo server's
    # other tests find the scales they expect).
    admin.press(page.get_by_role("button", name="Udfas versionen"))
    expect(page.locator("h1 .badge")).to_have_text("udgået")


def test_a_target_item_is_scored_through_the_tablets_outbox(
    browser: Browser, live_server: str, live_database: str
) -> None:
    """The new kind on the real scoring screen: the counts typed on a tablet go through
    the outbox, the server works the score out, and a reload puts the counts back."""
    from datetime import date

    from sqlmodel import Session

    from app.db.engines import create_db_engine
    from app.models import Review, ReviewReviewer, Role
    from app.services import scales as scale_service
    from tests.conftest import settings_for
    from tests.factories import PASSWORD, make_team, make_user, shipped_scale

    engine = create_db_engine(settings_for(live_database))
    try:
        with Session(engine) as session:
            youth = shipped_scale("ips-unge-uddannelse", "2026")
            row = scale_service.register_scale(
                session, scale=youth.model_copy(update={"version": "2026t"}), channel="cli"
            ).scale_version
            reviewer = make_user(session, role=Role.AMBASSADOR)
            team = make_team(session, municipalities=(101,))
            review = Review(
                team_id=team.id or 0, scale_version_id=row.id or 0, visit_date=date(2026, 3, 1)
            )
            session.add(review)
            session.commit()
            session.add(
                ReviewReviewer(review_id=review.id or 0, user_id=reviewer.id or 0, is_lead=True)
            )
            session.commit()
            review_id, username = review.id, reviewer.username
    finally:
        engine.dispose()

    context = browser.new_context(locale="da-DK", **DEVICES["tablet"])  # type: ignore[arg-type]
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{live_server}/login?next=/")
        page.get_by_label("Brugernavn").fill(username)
        page.get_by_label("Adgangskode").fill(PASSWORD)
        page.get_by_role("button", name="Log ind").tap()
        page.wait_for_url(live_server + "/")
        page.goto(f"{live_server}/reviews/{review_id}/score")
        page.wait_for_function("() => document.documentElement.dataset.outbox === 'ready'")
        card = page.locator("#item-rapid-education-contact")
        card.get_by_label("Unge med kontakt inden for otte uger").fill("54")
        card.get_by_label("Unge med uddannelsesmål, optaget i perioden").fill("75")
        card.get_by_label("Unge med uddannelsesmål, optaget i perioden").blur()
        expect(card.locator(".save-state")).to_contain_text("Gemt på serveren", timeout=15000)
        answer = page.request.get(f"{live_server}/api/v1/reviews/{review_id}")
        mine = answer.json()["my_ratings"]["rapid-education-contact"]
        assert mine["score"] == 4  # 72% of the cases: nine tenths of the 80% target
        page.reload()
        page.wait_for_function("() => document.documentElement.dataset.outbox === 'ready'")
        expect(card.locator('input[name="met"]')).to_have_value("54")
        expect(card.locator('input[name="cases"]')).to_have_value("75")
    finally:
        context.close()
    assert errors == [], errors


def test_an_instrument_draft_is_edited_in_its_forms(people: dict[str, Person], device: str) -> None:
    """The implementation-status instrument: its status bands and a point changed, a point
    added to an element, each refusal beside its field."""
    version = f"2031{device[0]}"
    bjerg = people["panel.bjerg"]
    page = bjerg.goto("/scales")
    page.get_by_label("Udgangspunkt").select_option("implementeringsstatus:2026")
    page.get_by_label("Det nye udkasts version").fill(version)
    bjerg.press(page.get_by_role("button", name="Start udkastet"))
    expect(page).to_have_url(f"{bjerg.server}/scales/implementeringsstatus/{version}")

    bjerg.press(page.get_by_role("link", name="Rediger instrumentet"))
    low = page.locator("#f-status-bands-1-min")
    low.fill("2,2")
    bjerg.press(page.get_by_role("button", name="Gem"))
    expect(low).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#problem-status-bands-1-min")).to_contain_text("gap between status")
    expect(page.locator("#form-problems")).to_be_focused()
    low.fill("2,0")
    page.locator("#f-status-bands-1-max").fill("3,9")
    page.locator("#f-status-bands-2-min").fill("4,0")
    bjerg.press(page.get_by_role("button", name="Gem"))
    expect(page.locator("p.notice[role=status]")).to_contain_text("Ændringen er gemt")
    expect(page.locator("#status-heading + table")).to_contain_text("2,0–3,9")

    # Point 1 gets its own words for step 3 and moves to the last element.
    bjerg.press(page.get_by_role("link", name="Rediger punkt 1", exact=True))
    page.locator("#f-levels-3-da").fill("Principperne er gennemgået med alle")
    bjerg.press(page.get_by_role("button", name="Gem"))
    expect(page.locator("#f-levels-3-en")).to_have_attribute("aria-invalid", "true")
    page.locator("#f-levels-3-en").fill("The principles are gone through with everyone")
    page.get_by_label("Element", exact=True).select_option("data")
    bjerg.press(page.get_by_role("button", name="Gem"))
    point = page.locator("#point-staff-work-by-principles")
    expect(point).to_contain_text("Principperne er gennemgået med alle")
    expect(page.locator("#element-data").locator("..")).to_contain_text(
        "Medarbejdere og samarbejdspartnere"
    )

    # A point added to element 2.
    bjerg.press(page.get_by_role("link", name="Tilføj et punkt til element 2"))
    page.get_by_label("Punktets nøgle").fill("faelles-ledelsesmoede")
    title = page.locator("#group-title")
    title.get_by_label("Dansk").fill("Fælles ledelsesmøde hvert kvartal")
    title.get_by_label("Engelsk").fill("A joint management meeting every quarter")
    text = page.locator("#group-description")
    text.get_by_label("Dansk").fill("Jobcenter, psykiatri og teamet mødes på ledelsesniveau.")
    text.get_by_label("Engelsk").fill("Job centre, psychiatry and the team meet as managers.")
    bjerg.press(page.get_by_role("button", name="Gem"))
    expect(page.locator("#point-faelles-ledelsesmoede")).to_contain_text("Fælles ledelsesmøde")
