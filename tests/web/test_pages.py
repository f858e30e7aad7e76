"""The first pages, asserted on parsed HTML; each page also as an htmx request."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from app.main import create_app
from app.models import Role
from app.services import scales
from tests.conftest import settings_for
from tests.factories import make_scale_version, make_user, shipped_scale
from tests.web.signin import parse, sign_in

HTMX = {"HX-Request": "true"}


@pytest.fixture
def client(client: TestClient, session: Session) -> TestClient:
    """These pages are for any signed-in user; an analyst (read-only) will do."""
    sign_in(client, make_user(session, role=Role.ANALYST).username)
    return client


def test_home_lists_the_published_scales(client: TestClient, session: Session) -> None:
    make_scale_version(session, key="ips-25", version="2019")
    make_scale_version(session, key="ips-lignende", version="2024")
    make_scale_version(session, key="ips-lignende", version="2024")  # idempotent
    page = parse(client.get("/").text)
    assert page.html is not None and page.html["lang"] == "da"
    assert page.h1 is not None and page.h1.get_text(strip=True) == "Velkommen, Test User"
    cards = page.select(".cards .card")
    assert [card.h3.get_text(strip=True) for card in cards if card.h3] == [
        shipped_scale("ips-25").title.da,
        shipped_scale("ips-lignende", "2024").title.da,
    ]
    assert [card.a["href"] for card in cards if card.a] == [
        "/scales/ips-25/2019",
        "/scales/ips-lignende/2024",
    ]
    assert page.select_one('script[src="/static/vendor/htmx.min.js"]') is not None


def test_home_without_scales_says_how_to_publish_one(client: TestClient) -> None:
    page = parse(client.get("/").text)
    assert "fidelity scales publish" in page.select_one("#scales-heading ~ .empty").get_text()  # type: ignore[union-attr]


def test_drafts_are_not_listed(client: TestClient, session: Session) -> None:
    make_scale_version(session, draft=True)
    assert parse(client.get("/").text).select(".cards .card") == []


def test_scale_page_lists_all_25_items_in_danish(client: TestClient, session: Session) -> None:
    make_scale_version(session)
    page = parse(client.get("/scales/ips-25/2019").text)
    items = page.select("#items article.item")
    assert len(items) == 25
    titles = [item.h4.get_text(" ", strip=True) for item in items if item.h4]
    assert titles[0] == "1. Sagsstammens størrelse"
    assert [
        section.h3.get_text(" ", strip=True).split(" (")[0]
        for section in page.select("#items section.group")
        if section.h3
    ] == ["Bemanding", "Organisation", "Ydelser"]
    levels = [row.get_text(" ", strip=True) for row in page.select("table.levels tbody tr")]
    assert levels == ["Eksemplarisk 115–125", "God 100–114", "Rimelig 74–99", "Ikke IPS 25–73"]
    caseload = page.select_one('[data-item="caseload-size"]')
    assert caseload is not None
    assert [row.get_text(" ", strip=True) for row in caseload.select("table.bands tbody tr")] == [
        "0–20 5",
        "21–25 4",
        "26–30 3",
        "31–40 2",
        "mindst 41 1",
    ]
    assert len(caseload.select(".anchor-list li")) == 5


def test_english_switch_is_remembered(client: TestClient, session: Session) -> None:
    make_scale_version(session)
    first = client.get("/scales/ips-25/2019?lang=en")
    page = parse(first.text)
    assert page.html is not None and page.html["lang"] == "en"
    assert first.cookies.get("lang") == "en"
    assert page.select_one("#items article.item h4").get_text(" ", strip=True) == "1. Caseload size"  # type: ignore[union-attr]
    again = parse(client.get("/").text)
    assert again.html is not None and again.html["lang"] == "en"
    switch = again.select_one('nav.language a[hreflang="da"]')
    assert switch is not None and switch["href"] == "/?lang=da"


@pytest.mark.parametrize("htmx", [False, True])
def test_grouping_by_principle_as_page_and_fragment(
    client: TestClient, session: Session, htmx: bool
) -> None:
    make_scale_version(session)
    response = client.get("/scales/ips-25/2019?group=principle", headers=HTMX if htmx else {})
    assert response.headers["vary"] == "HX-Request"
    soup = BeautifulSoup(response.text, "html.parser")
    assert (soup.html is None) is htmx, "htmx gets the fragment alone, a browser the page"
    groups = soup.select("#items section.group")
    assert len(groups) == 8
    assert groups[3].h3 is not None and groups[3].h3.get_text(" ", strip=True) == (
        "4. Vejledning om sociale ydelser (1 items)"
    )
    current = soup.select_one('#items nav a[aria-current="true"]')
    assert current is not None and current.get_text(strip=True) == "princip"
    assert sum(len(g.select("article.item")) for g in groups) == 25


def test_unknown_scale_and_unknown_page_answer_404_with_a_message(
    client: TestClient,
) -> None:
    response = client.get("/scales/ips-25/1999")
    assert response.status_code == 404
    text = parse(response.text).select_one(".error-detail").get_text(" ", strip=True)  # type: ignore[union-attr]
    assert "Siden findes ikke." in text and "no scale version ips-25 1999" in text
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "Siden findes ikke." in parse(response.text).select_one(".error-detail").get_text()  # type: ignore[union-attr]


def test_a_wrong_method_is_answered_in_the_readers_language_with_what_is_allowed(
    client: TestClient,
) -> None:
    response = client.get("/logout")  # a form posts to it; typed as an address, it is a GET
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    said = parse(response.text).select_one(".error-detail").get_text(" ", strip=True)  # type: ignore[union-attr]
    assert said.startswith("Adressen kan ikke bruges sådan (GET modtages ikke her).")
    assert "Method Not Allowed" not in response.text
    english = client.get("/logout?lang=en")
    said = parse(english.text).select_one(".error-detail").get_text(" ", strip=True)  # type: ignore[union-attr]
    assert said.startswith("This address cannot be used that way (GET is not accepted here).")
    api = client.delete("/api/v1/me")
    assert api.status_code == 405 and api.json()["status"] == 405 and "GET" in api.headers["Allow"]


def test_bad_query_value_is_a_422_page_not_a_500(client: TestClient, session: Session) -> None:
    make_scale_version(session)
    response = client.get("/scales/ips-25/2019?group=colour")
    assert response.status_code == 422
    said = parse(response.text).select_one(".error-detail").get_text(" ", strip=True)  # type: ignore[union-attr]
    # In the reader's language, with no English phrase in the Danish sentence.
    assert "»group« skal være en af: 'section', 'principle'" in said
    assert "Input should" not in said
    english = client.get("/scales/ips-25/2019?group=colour&lang=en")
    assert "'group' must be one of:" in parse(english.text).select_one(".error-detail").text  # type: ignore[union-attr]
    page = client.get("/reviews/abc?lang=da")
    assert "»review_id« skal være et helt tal" in page.text


def test_every_interface_string_a_page_or_the_code_names_exists_in_both_languages() -> None:
    """A key missing from a catalogue shows as the raw key (an aria-label once read
    "items_overview" aloud)."""
    import re
    from pathlib import Path

    from app.i18n import translator

    named = r"""\bt\(\s*["']([a-z0-9_]+)["']\s*\)"""
    used = set()
    for path in [*Path("templates").rglob("*.html"), *Path("app").rglob("*.py")]:
        used |= set(re.findall(named, path.read_text()))
    assert used, "the pattern found nothing"
    missing = sorted(
        key for key in used if key not in translator("da") or key not in translator("en")
    )
    assert missing == []


def test_healthz_ok_on_a_migrated_database(client: TestClient) -> None:
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == "ok" and body["migration"] == body["expected_migration"]


def test_healthz_503_on_an_unmigrated_database(empty_database_url: str) -> None:
    from app.db.engines import create_db_engine

    engine: Engine = create_db_engine(settings_for(empty_database_url))
    app = create_app(settings_for(empty_database_url), engine=engine)
    try:
        with TestClient(app) as client:
            response = client.get("/healthz")
    finally:
        engine.dispose()
    assert response.status_code == 503
    assert response.json()["database"].endswith("is not migrated: run `fidelity db upgrade`")


def test_source_note_renders_paragraphs_and_lists(client: TestClient, session: Session) -> None:
    make_scale_version(session)
    page = parse(client.get("/scales/ips-25/2019").text)
    source = page.select_one("details.source .prose")
    assert source is not None
    paragraphs = [p.get_text() for p in source.select("p")]
    assert paragraphs[0].startswith("Skalaen er Supported Employment Fidelity Scale (IPS-25)")
    assert all("\n" not in p for p in paragraphs)
    assert any(li.get_text().startswith("Item 24:") for li in source.select("ul li"))


def test_a_draft_is_not_shown_but_a_retired_version_is(
    client: TestClient, session: Session
) -> None:
    make_scale_version(session, draft=True)
    assert client.get("/scales/ips-25/2019").status_code == 404
    scales.register_scale(session, scale=shipped_scale(), channel="cli")
    scales.retire_scale(session, key="ips-25", version="2019", channel="cli")
    page = parse(client.get("/scales/ips-25/2019").text)
    assert page.select_one(".badge-retired") is not None
    assert len(page.select("#items article.item")) == 25


def test_evidence_sources_are_spelled_out_not_hidden_in_tooltips(
    client: TestClient, session: Session
) -> None:
    make_scale_version(session)
    page = parse(client.get("/scales/ips-25/2019").text)
    caseload = page.select_one('[data-item="caseload-size"] .item-facts')
    assert caseload is not None and page.select("abbr[title]") == []
    assert "Ledelsesinformation og sagstal (MIS)" in " ".join(caseload.get_text().split())


def test_an_htmx_regroup_also_refreshes_the_language_links(
    client: TestClient, session: Session
) -> None:
    make_scale_version(session)
    fragment = BeautifulSoup(
        client.get("/scales/ips-25/2019?group=principle", headers=HTMX).text, "html.parser"
    )
    nav = fragment.select_one("nav#language-nav")
    assert nav is not None and nav["hx-swap-oob"] == "true"
    english = nav.select_one('a[hreflang="en"]')
    assert english is not None and english["href"] == "/scales/ips-25/2019?group=principle&lang=en"
    page = parse(client.get("/scales/ips-25/2019?group=principle").text)
    assert len(page.select("nav#language-nav")) == 1
    assert page.select_one("[hx-swap-oob]") is None


def test_team_lists_show_the_latest_final_result_and_a_review_under_way(
    client: TestClient, session: Session
) -> None:
    from tests.factories import make_review, make_team

    team = make_team(session, name="Team Midt")
    make_review(session, team=team, finalised=True)
    make_review(session, team=team, visit_date=__import__("datetime").date(2026, 10, 1))
    admin = make_user(session, role=Role.ADMIN)
    other = TestClient(client.app)
    sign_in(other, admin.username)
    for path in ("/", "/teams"):
        text = parse(other.get(path).text).get_text(" ", strip=True)
        assert "101 · God" in text and "review i gang" in text, path
