"""WCAG 2.1 A and AA checks with axe-core (from the npm registry) on every page, with every
disclosure opened so hidden content is checked too."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from app.config import PROJECT_ROOT
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

AXE = PROJECT_ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def violations(page: Page) -> list[str]:
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    # Evaluated through the DevTools protocol: a <script> tag would be refused by the CSP.
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;void 0")
    found = page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return result.violations.map(v =>
                `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target).join(' | ')}`);
        }""",
        TAGS,
    )
    return list(found)


SIGNED_IN_PAGES = [
    "/",
    "/?lang=en",
    "/teams",
    "/teams/1",
    "/reviews/1",
    "/reviews/1/report",
    "/reviews/1/report?lang=en",
    "/reviews/1/feedback",
    "/national",
    "/national?lang=en&year=2024&sort=total&order=desc",
    "/reviews/1/feedback?lang=en",
    "/account",
    "/scales",
    "/scales?lang=en",
    "/scales/compare?lang=en",
    "/scales/compare?before=ips-25:2019&after=ips-lignende:2024",
    "/scales/compare?before=ips-25:2019&after=ips-lignende:2024&lang=en",
    "/scales/ips-25/2019",
    "/scales/ips-25/2019?group=principle",
    "/scales/ips-lignende/2024?lang=en",
    "/scales/ips-25/1999",
]
ADMIN_PAGES = [
    "/admin/users",
    "/admin/users/new",
    "/admin/users/2",
    "/admin/tokens",
    "/admin/teams",
    "/admin/teams/1",
    "/admin/audit",
    "/admin/audit?lang=en",
    "/admin/outbox",
    "/admin/outbox?lang=en",
    "/scales",
]


# The workshop, as the expert panel meets it: the demo's drafts, their forms (every item
# kind, the instrument and its points), the sandbox, in both languages.
PANEL_PAGES = [
    "/",
    "/scales",
    "/scales?lang=en",
    "/scales/ips-25/2026",
    "/scales/ips-25/2026?lang=en",
    "/scales/ips-25/2026/edit",
    "/scales/ips-25/2026/edit?lang=en",
    "/scales/ips-25/2026/items/caseload-size",
    "/scales/ips-25/2026/items/team-leader-role?lang=en",
    "/scales/ips-25/2026/items/vocational-generalists",
    "/scales/ips-25/2026/items/new",
    "/scales/ips-25/2026/items/new?kind=banded&lang=en",
    "/scales/ips-25/2026/items/new?kind=checklist",
    "/scales/ips-25/2026/items/new?kind=target&lang=en",
    "/scales/ips-25/2026/items/caseload-size/remove",
    "/scales/ips-25/2026/items/caseload-size/remove?lang=en",
    "/scales/ips-unge-uddannelse/2026",
    "/scales/ips-unge-uddannelse/2026/items/rapid-education-contact",
    "/scales/ips-unge-uddannelse/2026/items/rapid-education-contact?lang=en",
    "/scales/ips-25/2026/preview",
    "/scales/ips-unge-uddannelse/2026/preview?lang=en",
    "/scales/compare?before=ips-25:2019&after=ips-25:2026",
    "/scales/compare?before=implementeringsstatus:2026&after=implementeringsstatus:2027",
    "/scales/compare?before=implementeringsstatus:2026&after=implementeringsstatus:2027&lang=en",
    "/scales/implementeringsstatus/2026",
    "/scales/implementeringsstatus/2026?lang=en",
    "/scales/implementeringsstatus/2027",
    "/scales/implementeringsstatus/2027?lang=en",
    "/scales/implementeringsstatus/2027/instrument",
    "/scales/implementeringsstatus/2027/instrument?lang=en",
    "/scales/implementeringsstatus/2027/points/staff-work-by-principles",
    "/scales/implementeringsstatus/2027/points/target-group-referral?lang=en",
    "/scales/implementeringsstatus/2027/points/new",
    "/scales/implementeringsstatus/2027/points/new?lang=en",
    "/scales/implementeringsstatus/2027/points/target-group-referral/remove",
    "/scales/implementeringsstatus/2027/points/target-group-referral/remove?lang=en",
]


@pytest.mark.parametrize(
    "path", ["/login", "/login?next=%2Fteams&expired=1", "/login?lang=en", "/offline"]
)
def test_sign_in_page_has_no_wcag_violations(
    live_server: str, anonymous_tablet: Page, path: str
) -> None:
    anonymous_tablet.goto(live_server + path)
    assert violations(anonymous_tablet) == []


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_page_has_no_wcag_violations(live_server: str, tablet: Page, path: str) -> None:
    tablet.goto(live_server + path)
    assert violations(tablet) == []


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_page_has_no_wcag_violations(
    live_server: str, anonymous_tablet: Page, path: str
) -> None:
    sign_in(anonymous_tablet, live_server, "admin")
    anonymous_tablet.goto(live_server + path)
    assert violations(anonymous_tablet) == []


@pytest.mark.parametrize("path", PANEL_PAGES)
def test_panel_page_has_no_wcag_violations(
    live_server: str, anonymous_tablet: Page, path: str
) -> None:
    sign_in(anonymous_tablet, live_server, "panel.bjerg")
    response = anonymous_tablet.goto(live_server + path)
    assert response is not None and response.status == 200, path  # the page, not an error
    assert violations(anonymous_tablet) == []
