"""The API's interactive documentation in Chromium, under the page's own CSP: it draws
every group of endpoints, and a request tried from it is sent with the signed-in
session (the tablet fixture fails the test on any script error or CSP violation)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_the_api_docs_show_every_endpoint_and_try_one(tablet: Page, live_server: str) -> None:
    tablet.goto(live_server + "/docs")
    expect(tablet.locator("h1")).to_have_text("API-dokumentation")
    expect(tablet.locator(".opblock").first).to_be_visible(timeout=15_000)
    paths = tablet.locator(".opblock-summary-path").all_inner_texts()
    assert "/api/v1/teams" in [p.replace("\u200b", "") for p in paths]
    teams = tablet.locator(".opblock-get", has_text="/api/v1/teams").first
    teams.locator(".opblock-summary").click()
    teams.get_by_role("button", name="Try it out").click()
    teams.get_by_role("button", name="Execute").click()
    answer = teams.locator(".live-responses-table tbody .response-col_status").first
    expect(answer).to_contain_text("200", timeout=15_000)


def test_the_schema_is_found_at_the_usual_address(tablet: Page, live_server: str) -> None:
    response = tablet.request.get(live_server + "/openapi.json")
    assert response.ok and response.json()["info"]["title"] == "IPS Fidelity"
    assert response.url.endswith("/api/v1/openapi.json")
