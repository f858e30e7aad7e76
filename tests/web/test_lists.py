"""Lists that page and search, through the pages and the API: every row once, in order,
whatever the page size; bad page numbers, sizes, searches and cursors answered with a
message a person can act on, never a 500."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Role
from tests.factories import make_review, make_team, make_user
from tests.web.signin import parse, sign_in


@pytest.fixture
def analyst(client: TestClient, session: Session) -> TestClient:
    sign_in(client, make_user(session, role=Role.ANALYST).username)
    return client


def test_the_team_list_pages_through_every_team_once(analyst: TestClient, session: Session) -> None:
    made = {make_team(session, name=f"Listeteam {n:03d}").name for n in range(120)}
    seen: list[str] = []
    page_number = 1
    while True:
        page = parse(analyst.get(f"/teams?page={page_number}").text)
        seen += [a.get_text() for a in page.select("table.data tbody td:first-child a")]
        following = page.select_one('nav.pager a[rel="next"]')
        if following is None:
            break
        page_number += 1
    assert page_number >= 3 and len(seen) == len(set(seen))
    assert made <= set(seen) and seen == sorted(seen)
    counted = parse(analyst.get("/teams?page=2").text).select_one("main p.meta").get_text()
    assert "Viser 51–100 af" in counted


def test_a_search_finds_teams_by_name_or_municipality_in_any_case(
    analyst: TestClient, session: Session
) -> None:
    make_team(session, name="Ærø Øst IPS", municipalities=(101,))
    make_team(session, name="Andet team", municipalities=(751,))  # Aarhus
    make_team(session, name="Team på 50% tid", municipalities=(751,))

    def found(query: str) -> list[str]:
        response = analyst.get("/teams", params={"q": query})
        assert response.status_code == 200
        page = parse(response.text)
        return [a.get_text() for a in page.select("table.data tbody td:first-child a")]

    assert "Ærø Øst IPS" in found("ærø ø")  # Danish letters fold too
    assert "Andet team" in found("AARHUS")  # the municipality's name
    assert found("%") == ["Team på 50% tid"]  # a letter, not a wildcard
    assert found("_") == []
    none = parse(analyst.get("/teams", params={"q": "_"}).text).select_one("main").get_text()
    assert "Ingen teams matcher »_«" in none
    everything = found("   ")  # only spaces: no search
    assert "Ærø Øst IPS" in everything and "Andet team" in everything
    nothing = parse(analyst.get("/teams", params={"q": "zzz-intet"}).text)
    assert "Ingen teams matcher »zzz-intet«" in nothing.select_one("main").get_text()


@pytest.mark.parametrize(
    ("query", "status", "said"),
    [
        ("page=0", 422, "»page« skal være mellem 1 og"),
        ("page=-3", 422, "»page« skal være mellem 1 og"),
        ("page=abc", 422, "»page« skal være et helt tal"),
        ("page=99999", 404, "Side 99999 findes ikke; den sidste side er side"),
        ("q=" + "x" * 150, 422, "En søgning kan højst være 100 tegn lang."),
    ],
)
def test_a_bad_page_or_search_is_a_clear_answer(
    analyst: TestClient, query: str, status: int, said: str
) -> None:
    response = analyst.get(f"/teams?{query}")
    assert response.status_code == status
    assert said in parse(response.text).select_one("main").get_text(" ", strip=True)


def every_review(client: TestClient, limit: int) -> list[int]:
    """The ids on every page of the API's review list, following ``next`` to the end."""
    seen: list[int] = []
    address: str | None = f"/api/v1/reviews?limit={limit}"
    while address:
        response = client.get(address)
        answer = response.json()
        assert answer["limit"] == limit and len(answer["items"]) <= limit
        seen += [review["id"] for review in answer["items"]]
        address = answer["next"]
        if address:
            assert response.headers["link"] == f'<{address}>; rel="next"'
    return seen


def test_the_api_lists_page_with_a_cursor_to_the_end(analyst: TestClient, session: Session) -> None:
    team = make_team(session)
    made = {
        make_review(
            session, team=team, visit_date=date(2020 + n % 6, 1 + n % 12, 1), finalised=True
        ).id
        for n in range(13)
    }
    # several on one day: the cursor carries the id too, or a page boundary loses some
    made |= {
        make_review(session, team=team, visit_date=date(2023, 6, 1), finalised=True).id
        for _ in range(6)
    }
    whole = analyst.get("/api/v1/reviews?limit=200").json()["items"]
    order = [(r["visit_date"], r["id"]) for r in whole]
    assert order == sorted(order, reverse=True) and made <= {r["id"] for r in whole}
    for limit in (2, 5):
        assert every_review(analyst, limit) == [r["id"] for r in whole]
    make_team(session)
    teams = analyst.get("/api/v1/teams?limit=1").json()
    assert len(teams["items"]) == 1 and teams["next"].startswith("/api/v1/teams?")


def test_an_ambassador_pages_through_their_regions_and_the_reviews_they_are_on(
    client: TestClient, session: Session
) -> None:
    from app.services import access, reviewers

    ambassador = make_user(session)  # Hovedstaden
    lead = make_user(session, regions=(1082,))
    at_home = make_team(session, municipalities=(101,))  # København
    away = [make_team(session, municipalities=(751,)) for _ in range(2)]  # Aarhus
    visible = {
        make_review(session, team=at_home, visit_date=date(2024, 5, 1), finalised=True).id
        for _ in range(4)
    }
    visible.add(make_review(session, team=away[0], reviewers=(lead, ambassador)).id)
    left = make_review(session, team=away[1], reviewers=(lead, ambassador, make_user(session)))
    reviewers.take_off(
        session, principal=access.principal_for(session, user=lead), review_id=left.id or 0,
        username=ambassador.username, reason="Inhabil",
    )  # fmt: skip
    session.commit()
    make_review(session, team=away[0], finalised=True)  # not theirs

    sign_in(client, ambassador.username)
    ids = every_review(client, 2)
    assert set(ids) == visible and len(ids) == len(visible)


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("limit=0", "'limit' must be between 1 and 200"),
        ("limit=5000", "'limit' must be between 1 and 200"),
        ("limit=-1", "'limit' must be between 1 and 200"),
        ("cursor=not-ours", "was not made by this service"),
        ("cursor=WzEsMl0", "was not made by this service"),  # [1,2]: not a date and an id
    ],
)
def test_the_api_refuses_a_bad_limit_or_cursor_saying_why(
    analyst: TestClient, query: str, said: str
) -> None:
    response = analyst.get(f"/api/v1/reviews?{query}")
    assert response.status_code == 422 and said in response.json()["detail"]
