"""The scoring pages through the real app: planning by form, the scoring screen and its
saves as plain form posts (without JavaScript; with it, the outbox sends them through the
API), blind scoring in the page, consensus and finalising, asserted on parsed HTML and on
what the database holds."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from app.models import RaterKind, Rating, Review, ReviewReviewer, Role, Team, User, utcnow
from tests.factories import make_scale_version, make_team, make_user, shipped_scale
from tests.web.signin import parse, sign_in

SCALE = shipped_scale()
HTMX = {"HX-Request": "true"}


class Reviewer:
    def __init__(self, app: FastAPI, user: User) -> None:
        self.user = user
        self.client = TestClient(app)
        self.csrf = sign_in(self.client, user.username)

    def get(self, path: str) -> BeautifulSoup:
        response = self.client.get(path)
        assert response.status_code == 200, response.text
        return parse(response.text)

    def post(self, path: str, data: dict[str, Any], htmx: bool = False) -> Any:
        headers = {"X-CSRF-Token": self.csrf, **(HTMX if htmx else {})}
        return self.client.post(path, data=data, headers=headers, follow_redirects=False)


@pytest.fixture
def team(session: Session) -> Team:
    make_scale_version(session)
    return make_team(session, municipalities=(101,))


@pytest.fixture
def lead(app: FastAPI, session: Session) -> Reviewer:
    return Reviewer(
        app, make_user(session, username=f"lead-{uuid.uuid4().hex[:6]}", display_name="Lea Lead")
    )


@pytest.fixture
def second(app: FastAPI, session: Session) -> Reviewer:
    name = f"second-{uuid.uuid4().hex[:6]}"
    return Reviewer(app, make_user(session, username=name, display_name="Sam Second"))


def plan(lead: Reviewer, second: Reviewer, team: Team) -> int:
    response = lead.post(
        "/reviews",
        {
            "team_id": str(team.id),
            "visit_date": "2026-11-20",
            "reviewers": [lead.user.username, second.user.username],
            "lead": lead.user.username,
        },
    )
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rstrip("/").split("/")[-1])


def save(reviewer: Reviewer, review_id: int, item: str, **fields: Any) -> BeautifulSoup:
    """Post the item's form as a browser without JavaScript does: a saved change leads
    back to the item on the screen (returned), a refused one to a page saying why."""
    response = reviewer.post(f"/reviews/{review_id}/score/{item}", fields)
    if response.status_code == 303:
        assert response.headers["location"] == f"/reviews/{review_id}/score#item-{item}"
        return reviewer.get(f"/reviews/{review_id}/score")
    assert response.status_code in (409, 422), response.text
    return parse(response.text)


def test_planning_form_offers_teams_scales_and_reviewers(
    lead: Reviewer, second: Reviewer, team: Team, session: Session
) -> None:
    choices = lead.get("/reviews/new")
    links = [a["href"] for a in choices.select(".team-choices a")]
    assert f"/reviews/new?team_id={team.id}" in links
    found = lead.get(f"/reviews/new?q={team.name[-4:].upper()}")
    assert [a.get_text() for a in found.select(".team-choices a")] == [team.name]
    none = lead.get("/reviews/new?q=%25_")
    assert none.select(".team-choices a") == [] and "%_" in none.select_one("main .empty").text
    page = lead.get(f"/reviews/new?team_id={team.id}")
    assert page.select_one('input[type=hidden][name="team_id"]')["value"] == str(team.id)
    assert team.name in page.select_one("form.stack").get_text()
    assert [o["value"] for o in page.select("#scale option")] == ["", "ips-25 2019"]
    names = {i["value"] for i in page.select('input[name="reviewers"]')}
    assert {lead.user.username, second.user.username} <= names
    for field in ("scale", "visit_date", "visit_end_date"):
        assert page.select_one(f'label[for="{field}"]') is not None, field
    refused = lead.post(
        "/reviews",
        {"team_id": str(team.id), "visit_date": "2026-11-20", "reviewers": [lead.user.username],
         "lead": lead.user.username},
    )  # fmt: skip
    assert refused.status_code == 422
    error = parse(refused.text).select_one(".form-error")
    assert error is not None and "mindst to bedømmere" in error.get_text()
    assert session.exec(select(Review).where(Review.team_id == team.id)).first() is None
    review_id = plan(lead, second, team)
    detail = lead.get(f"/reviews/{review_id}")
    assert detail.select_one(f'a[href="/reviews/{review_id}/score"]') is not None


def test_the_scoring_screen_shows_each_item_and_saves_each_change(
    lead: Reviewer, second: Reviewer, team: Team, session: Session
) -> None:
    review_id = plan(lead, second, team)
    page = lead.get(f"/reviews/{review_id}/score")
    cards = page.select("article.item-card")
    assert len(cards) == 25
    first = page.select_one("#item-vocational-generalists")
    assert first is not None
    levels = first.select('input[name="score"]')
    assert [r["value"] for r in levels] == ["1", "2", "3", "4", "5"]
    assert first.select_one("fieldset.levels legend") is not None
    assert page.select_one("#progress .progress-count label").get_text(strip=True) == (
        "0 af 25 vurderet"
    )

    answer = save(lead, review_id, "vocational-generalists", score="4", note="<b>fed</b>",
                  evidence=["INT"], base_revision="0", client_id=str(uuid.uuid4()))  # fmt: skip
    state = answer.select_one("#state-vocational-generalists")
    assert state is not None and "Gemt på serveren" in state.get_text()
    assert "Score 4" in state.get_text()
    revision = answer.select_one("#rev-vocational-generalists")
    assert revision is not None and revision["value"] == "1"
    progress = answer.select_one("#progress")
    assert progress is not None and "1 af 25 vurderet" in progress.get_text()
    rating = session.exec(select(Rating).where(Rating.item_key == "vocational-generalists")).one()
    assert (rating.score, rating.note, rating.evidence) == (4.0, "<b>fed</b>", ["INT"])
    reloaded = lead.get(f"/reviews/{review_id}/score")
    checked = reloaded.select_one('#item-vocational-generalists input[name="score"][checked]')
    assert checked is not None and checked["value"] == "4"
    note = reloaded.select_one("#note-vocational-generalists")
    assert note is not None and note.get_text() == "<b>fed</b>"  # escaped, shown as text
    assert "<b>fed</b>" not in str(reloaded.select_one("#item-vocational-generalists")).replace(
        "&lt;b&gt;fed&lt;/b&gt;", ""
    )


def test_a_refused_change_says_why_and_keeps_the_stored_value(
    lead: Reviewer, second: Reviewer, team: Team, session: Session
) -> None:
    review_id = plan(lead, second, team)
    save(lead, review_id, "disclosure", ticked=["x"], score="", base_revision="0")
    answer = save(lead, review_id, "rapid-job-search", not_rated="1", not_rated_reason="")
    assert "Skriv, hvorfor item 15" in answer.get_text()
    save(lead, review_id, "rapid-job-search", score="3", base_revision="0")
    stale = save(lead, review_id, "rapid-job-search", score="5", base_revision="0")
    assert "ændret et andet sted" in stale.get_text()
    rating = session.exec(select(Rating).where(Rating.item_key == "rapid-job-search")).one()
    assert (rating.score, rating.revision) == (3.0, 1)


def test_derived_scores_from_figures_ticks_and_consultants(
    lead: Reviewer, second: Reviewer, team: Team, session: Session
) -> None:
    review_id = plan(lead, second, team)
    banded = save(lead, review_id, "caseload-size", figure="22")
    assert "tallet giver 4" in banded.select_one("#state-caseload-size").get_text()
    checklist = SCALE.item("disclosure").checklist
    assert checklist is not None
    keys = [entry.key for entry in checklist.entries[:2]]
    save(lead, review_id, "disclosure", ticked=keys)
    save(lead, review_id, "job-development-quality", consultant_score=["4", "3", ""])
    scores = {
        r.item_key: r.score
        for r in session.exec(select(Rating).where(Rating.review_id == review_id))
    }
    assert scores == {
        "caseload-size": 4.0,
        "disclosure": float(checklist.scores[2]),
        "job-development-quality": 3.5,
    }


def test_the_page_keeps_scoring_blind_and_leads_to_a_finalised_review(
    app: FastAPI, lead: Reviewer, second: Reviewer, team: Team, session: Session
) -> None:
    review_id = plan(lead, second, team)
    for item in SCALE.items:
        save(lead, review_id, item.key, score="4", note=f"lead-secret-{item.number}")
        answer = save(second, review_id, item.key, score="2" if item.key == "disclosure" else "4")
        assert "lead-secret" not in str(answer)  # not in the save's answer either
    # The second reviewer's screen shows their own scores and nothing of the lead's: the
    # disclosure item says 2 (theirs), and none of the lead's notes appears.
    screen = second.get(f"/reviews/{review_id}/score")
    assert "lead-secret" not in str(screen)
    mine = screen.select_one("#state-disclosure")
    assert mine is not None and "Score 2" in mine.get_text()
    assert "lead-secret" not in second.client.get(f"/reviews/{review_id}").text
    assert second.client.get(f"/reviews/{review_id}/consensus").status_code == 409
    for reviewer in (lead, second):
        response = reviewer.post(f"/reviews/{review_id}/submit", {})
        assert response.status_code == 303
    # The second reviewer's submission set the consensus off; it is the lead's.
    timeline = [
        li.get_text(" ", strip=True)
        for li in lead.get(f"/reviews/{review_id}").select("ol.history li")
    ]
    begun = next(line for line in timeline if "Konsensus" in line)
    assert lead.user.display_name in begun and second.user.display_name not in begun
    consensus = lead.get(f"/reviews/{review_id}/consensus")
    flagged = consensus.select("article.disagreement")
    assert [card["id"] for card in flagged] == ["item-disclosure"]
    assert "Uenige" in flagged[0].get_text()
    answer = lead.post(f"/reviews/{review_id}/consensus/disclosure",
                       {"score": "3", "rationale": "Delvist", "base_revision": "0"})  # fmt: skip
    assert answer.status_code == 303
    open_points = lead.get(f"/reviews/{review_id}/consensus").select_one("#open-disclosure")
    assert open_points is not None and "mangler anbefaling" in open_points.get_text()
    advice = {"score": "3", "rationale": "Delvist", "recommendation": "Tal om det tidligt"}
    lead.post(f"/reviews/{review_id}/consensus/disclosure", advice)
    lead.post(
        f"/reviews/{review_id}/summary", {"strengths": "Stærkt", "summary": "Godt"}, htmx=True
    )
    final = lead.post(f"/reviews/{review_id}/finalize", {})
    assert final.status_code == 303, final.text
    stored = session.get(Review, review_id)
    assert stored is not None and stored.status == "finalised" and stored.total_score == 99
    leader = Reviewer(app, make_user(session, role=Role.TEAM_LEADER, teams=(team,)))
    page = leader.get(f"/reviews/{review_id}")
    assert "99" in page.select_one(".level").get_text()
    recommendations = [td.get_text(strip=True) for td in page.select("td.prose-text")]
    assert "Tal om det tidligt" in recommendations
    assert leader.client.get(f"/reviews/{review_id}/consensus").status_code in (403, 404)
    links = session.exec(select(ReviewReviewer).where(ReviewReviewer.review_id == review_id))
    assert all(link.submitted_at and link.submitted_at <= utcnow() for link in links)
    consensus_count = session.exec(
        select(Rating).where(
            Rating.review_id == review_id, col(Rating.rater_kind) == RaterKind.CONSENSUS
        )
    ).all()
    assert len(consensus_count) == 25


def test_odd_form_values_get_a_clear_refusal(
    lead: Reviewer, second: Reviewer, team: Team, session: Session
) -> None:
    review_id = plan(lead, second, team)
    odd = lead.post(f"/reviews/{review_id}/score/disclosure", {"score": "3", "base_revision": "²"})
    assert odd.status_code == 422
    assert "genindlæs siden" in BeautifulSoup(odd.text, "html.parser").get_text()
    missing = lead.post(f"/reviews/{review_id}/score/no-such-item", {"score": "3"})
    assert missing.status_code == 404
    assert session.exec(select(Rating).where(Rating.review_id == review_id)).first() is None
    saved = save(lead, review_id, "rapid-job-search", score="4")
    checked = saved.select_one('#item-rapid-job-search input[name="score"][checked]')
    assert checked is not None and checked["value"] == "4"


def test_writing_advice_keeps_an_average_consensus_score(
    lead: Reviewer, second: Reviewer, team: Team, session: Session
) -> None:
    review_id = plan(lead, second, team)
    for reviewer in (lead, second):
        for item in SCALE.items:
            if item.key == "job-development-quality":
                save(reviewer, review_id, item.key, consultant_score=["3", "2"])
            else:
                save(reviewer, review_id, item.key, score="4")
        assert reviewer.post(f"/reviews/{review_id}/submit", {}).status_code == 303
    page = lead.get(f"/reviews/{review_id}/consensus")
    kept = page.select_one('#item-job-development-quality input[name="current_score"]')
    assert kept is not None and kept["value"] == "2.5"
    lead.post(
        f"/reviews/{review_id}/consensus/job-development-quality",
        {"current_score": "2.5", "recommendation": "Ugentlig sparring om jobudvikling"},
    )
    stored = session.exec(
        select(Rating).where(
            Rating.review_id == review_id,
            Rating.item_key == "job-development-quality",
            col(Rating.rater_kind) == RaterKind.CONSENSUS,
        )
    ).one()
    assert (stored.score, stored.recommendation) == (2.5, "Ugentlig sparring om jobudvikling")
