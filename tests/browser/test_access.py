"""Signed in as each demo role on a tablet: each sees their part and nothing else."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import TABLET, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def admin_page(browser: Browser, live_server: str) -> Iterator[Page]:
    context = browser.new_context(viewport=TABLET, has_touch=True, locale="da-DK")
    page = context.new_page()
    sign_in(page, live_server, "admin")
    yield page
    context.close()


def reviews_of(page: Page, live_server: str, team: str) -> list[dict[str, object]]:
    """The team's reviews from the API's list, read page by page."""
    found: list[dict[str, object]] = []
    address: str | None = "/api/v1/reviews?limit=20"
    while address:
        answer = page.request.get(live_server + address).json()
        found += [review for review in answer["items"] if review["team_name"] == team]
        address = answer["next"]
    return found


def test_a_team_leader_cannot_reach_another_teams_review_by_url(
    anonymous_tablet: Page, admin_page: Page, live_server: str
) -> None:
    kobenhavn = reviews_of(admin_page, live_server, "IPS-team København")
    finalised = next(r for r in kobenhavn if r["status"] == "finalised")
    aarhus = reviews_of(admin_page, live_server, "IPS-team Aarhus")[0]

    page = anonymous_tablet
    sign_in(page, live_server, "leder.aarhus")
    expect(page.locator("h1")).to_have_text("Velkommen, Lars Lund (teamleder, Aarhus)")
    page.get_by_role("link", name="Teams", exact=True).tap()
    expect(page.locator("table.data tbody tr")).to_have_count(1)
    expect(page.locator("table.data tbody tr a").first).to_have_text("IPS-team Aarhus")

    # Their own review opens ...
    page.goto(f"{live_server}/reviews/{aarhus['id']}")
    expect(page.locator("h1")).to_contain_text("Review af IPS-team Aarhus")
    # ... another team's review, typed into the address bar, does not even exist for them.
    response = page.goto(f"{live_server}/reviews/{finalised['id']}")
    assert response is not None and response.status == 404
    expect(page.locator(".error-detail")).to_contain_text("Siden findes ikke.")
    expect(page.locator("main")).not_to_contain_text("København")
    api = page.request.get(f"{live_server}/api/v1/reviews/{finalised['id']}")
    assert api.status == 404 and api.json()["detail"] == "not found"
    # The attempt is on record for the administrator.
    admin_page.goto(f"{live_server}/admin/audit?action=access.denied&actor=leder.aarhus")
    expect(admin_page.locator("table.audit tbody tr").first).to_contain_text(
        f"/reviews/{finalised['id']}"
    )


def test_the_team_leader_of_a_team_under_review_does_not_see_it_before_it_is_final(
    anonymous_tablet: Page, admin_page: Page, live_server: str
) -> None:
    in_progress = next(
        r
        for r in reviews_of(admin_page, live_server, "IPS-team København")
        if r["status"] != "finalised"
    )
    sign_in(anonymous_tablet, live_server, "leder.kobenhavn")
    anonymous_tablet.goto(f"{live_server}/teams")
    anonymous_tablet.get_by_role("link", name="IPS-team København").tap()
    reviews = anonymous_tablet.locator("section[aria-labelledby='reviews-heading'] tbody tr")
    expect(reviews).to_have_count(3)
    expect(anonymous_tablet.locator("main")).not_to_contain_text("scores")
    response = anonymous_tablet.goto(f"{live_server}/reviews/{in_progress['id']}")
    assert response is not None and response.status == 404


def test_the_ambassador_of_the_north_sees_the_north(
    anonymous_tablet: Page, live_server: str
) -> None:
    sign_in(anonymous_tablet, live_server, "amb.nord")
    anonymous_tablet.goto(f"{live_server}/teams")
    names = anonymous_tablet.locator("table.data tbody tr td:first-child").all_inner_texts()
    # Nordjylland's two teams, and the two in Sjælland where the demo made her second
    # reviewer: an ambassador also sees the teams of the reviews they are assigned to.
    assert names == [
        "IPS-team Aalborg",
        "IPS-team Hjørring",
        "IPS-team Næstved",
        "IPS-team Roskilde",
    ]
    expect(anonymous_tablet.locator(".main-nav")).not_to_contain_text("Brugere")


def test_an_expired_session_returns_to_the_same_page_after_sign_in(
    anonymous_tablet: Page, live_server: str
) -> None:
    page = anonymous_tablet
    sign_in(page, live_server, "analytiker.star")
    page.context.clear_cookies()  # as if the session had run out overnight
    page.context.add_cookies(
        [{"name": "fidelity_session", "value": "expired-or-ended", "url": live_server}]
    )
    page.goto(f"{live_server}/teams?lang=da")
    expect(page.locator(".notice")).to_contain_text("Din session er udløbet")
    page.get_by_label("Brugernavn").fill("analytiker.star")
    page.get_by_label("Adgangskode").fill("ips-demo-2026")
    page.get_by_role("button", name="Log ind").tap()
    page.wait_for_url(f"{live_server}/teams?lang=da")
    expect(page.locator("h1")).to_have_text("Teams")


def test_sign_out_from_the_header(tablet: Page, live_server: str) -> None:
    tablet.get_by_role("button", name="Log ud").tap()
    tablet.wait_for_url(f"{live_server}/login?signed_out=1")
    expect(tablet.locator(".notice")).to_have_text("Du er logget ud.")
    tablet.goto(f"{live_server}/teams")
    expect(tablet).to_have_url(f"{live_server}/login?next=%2Fteams")


def test_wrong_password_keeps_the_username_and_says_so(
    anonymous_tablet: Page, live_server: str
) -> None:
    page = anonymous_tablet
    page.goto(f"{live_server}/login")
    page.get_by_label("Brugernavn").fill("amb.syd")
    page.get_by_label("Adgangskode").fill("wrong password")
    page.get_by_role("button", name="Log ind").tap()
    expect(page.get_by_role("alert")).to_have_text("Brugernavn eller adgangskode er forkert.")
    expect(page.get_by_label("Brugernavn")).to_have_value("amb.syd")
    expect(page.get_by_label("Adgangskode")).to_be_focused()


def test_admin_creates_copies_and_revokes_a_token_with_confirmation(
    admin_page: Page, live_server: str
) -> None:
    page = admin_page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page.goto(f"{live_server}/admin/users")
    page.get_by_role("link", name="analytiker.star").tap()
    page.get_by_label("Navn på nøglen").fill("Browser-test")
    page.get_by_role("button", name="Opret API-nøgle").tap()
    notice = page.locator(".token-once")
    expect(notice).to_be_focused()
    token = page.locator("#new-token").inner_text().strip()
    assert token.startswith("ipsf_")
    page.get_by_role("button", name="Kopiér").tap()
    expect(page.get_by_role("button", name="Kopieret")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == token

    page.goto(f"{live_server}/admin/tokens")
    revoke = page.get_by_role("button", name="Tilbagekald: Browser-test")
    page.once("dialog", lambda dialog: dialog.dismiss())
    revoke.tap()
    expect(revoke).to_be_visible()  # dismissed: nothing happened
    page.once("dialog", lambda dialog: dialog.accept())
    revoke.tap()
    expect(page.locator(".notice")).to_have_text(
        "API-nøglen er tilbagekaldt; den virker ikke længere."
    )
    assert (
        page.request.get(
            f"{live_server}/api/v1/me", headers={"Authorization": f"Bearer {token}"}
        ).status
        == 401
    )


def test_a_form_error_takes_focus(admin_page: Page, live_server: str) -> None:
    page = admin_page
    page.goto(f"{live_server}/admin/teams/new")
    page.get_by_label("Navn").fill("Uden kommuner")
    page.get_by_label("IPS", exact=True).check()
    page.get_by_role("button", name="Opret team").tap()
    error = page.locator(".form-error")
    expect(error).to_have_text("Et team dækker mindst én kommune; vælg en eller flere.")
    expect(error).to_be_focused()
