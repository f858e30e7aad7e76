"""Scoring through the JSON API: planning, blind independent ratings, idempotent writes,
consensus, finalising and reopening, and the refusals, asserted on the JSON and on what
the database holds."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from app.models import (
    AuditEvent,
    RaterKind,
    Rating,
    RatingChange,
    Review,
    ReviewStatus,
    Role,
    Team,
    User,
)
from app.services import tokens
from app.services.access import Principal
from tests.factories import make_scale_version, make_team, make_user, shipped_scale

SCALE = shipped_scale()
ITEMS = [item.key for item in SCALE.items]


@dataclass
class Cast:
    team: Team
    lead: User
    second: User
    leader: User
    analyst: User
    outsider: User
    admin: User
    tokens: dict[str, str]


def _token(session: Session, user: User) -> str:
    token, _ = tokens.create_token(session, by=Principal.system(), user=user, name="tests")
    return token


@pytest.fixture
def cast(session: Session) -> Cast:
    make_scale_version(session)
    make_scale_version(session, key="ips-lignende", version="2024")
    team = make_team(session, municipalities=(101,))
    users = {
        "lead": make_user(session, username=f"lead-{uuid.uuid4().hex[:6]}"),
        "second": make_user(session, username=f"second-{uuid.uuid4().hex[:6]}", regions=(1085,)),
        "leader": make_user(session, role=Role.TEAM_LEADER, teams=(team,)),
        "analyst": make_user(session, role=Role.ANALYST),
        "outsider": make_user(session, regions=(1084,)),
        "admin": make_user(session, role=Role.ADMIN),
    }
    tokens = {name: _token(session, user) for name, user in users.items()}
    session.commit()
    return Cast(team=team, tokens=tokens, **users)


def bearer(cast: Cast, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {cast.tokens[who]}"}


def plan(client: TestClient, cast: Cast, **overrides: Any) -> dict[str, Any]:
    body = {
        "team_id": cast.team.id,
        "visit_date": "2026-11-20",
        "reviewer_usernames": [cast.lead.username, cast.second.username],
        "lead_username": cast.lead.username,
        **overrides,
    }
    response = client.post("/api/v1/reviews", json=body, headers=bearer(cast, "lead"))
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def put(
    client: TestClient,
    cast: Cast,
    who: str,
    review_id: int,
    item: str,
    *,
    consensus: bool = False,
    **body: Any,
) -> Any:
    body.setdefault("client_id", str(uuid.uuid4()))
    kind = "consensus" if consensus else "ratings"
    return client.put(
        f"/api/v1/reviews/{review_id}/{kind}/{item}", json=body, headers=bearer(cast, who)
    )


def score_all(client: TestClient, cast: Cast, who: str, review_id: int, score: int) -> None:
    for key in ITEMS:
        response = put(client, cast, who, review_id, key, score=score)
        assert response.status_code == 200, response.text


def test_scales_are_listed_and_served_whole(client: TestClient, cast: Cast) -> None:
    listed = client.get("/api/v1/scales", headers=bearer(cast, "analyst")).json()
    assert {(s["key"], s["version"], s["item_count"]) for s in listed} == {
        ("ips-25", "2019", 25),
        ("ips-lignende", "2024", len(shipped_scale("ips-lignende", "2024").items)),
    }
    whole = client.get("/api/v1/scales/ips-25/2019", headers=bearer(cast, "analyst")).json()
    assert [item["key"] for item in whole["items"]] == ITEMS
    first = whole["items"][0]
    assert first["number"] == 1 and first["kind"] == "banded"
    assert set(first["anchors"]) == {"1", "2", "3", "4", "5"}
    missing = client.get("/api/v1/scales/ips-25/1999", headers=bearer(cast, "analyst"))
    assert missing.status_code == 404 and "1999" in missing.json()["detail"]


def test_planning_a_review_stores_it_with_reviewers_and_the_default_scale(
    client: TestClient, cast: Cast, session: Session
) -> None:
    review = plan(client, cast, visit_end_date="2026-11-21")
    assert review["status"] == "scoring"
    assert (review["scale"], review["scale_version"]) == ("ips-25", "2019")
    assert review["visit_end_date"] == "2026-11-21"
    assert [(r["username"], r["is_lead"]) for r in review["reviewers"]] == [
        (cast.lead.username, True),
        (cast.second.username, False),
    ]
    assert len(review["items"]) == 25 and review["my_ratings"] == {}
    stored = session.get(Review, review["id"])
    assert stored is not None and stored.team_id == cast.team.id
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "review.created")).one()
    assert event.entity_id == str(review["id"]) and event.actor_id == cast.lead.id


@pytest.mark.parametrize(
    ("overrides", "status", "words"),
    [
        ({"reviewer_usernames": ["solo"], "lead_username": "solo"}, 422, "at least 2"),
        ({"lead_username": "nobody-else"}, 422, "must be one of the reviewers"),
        ({"reviewer_usernames": ["ghost", "ghost2"], "lead_username": "ghost"}, 422, "no user"),
        ({"scale_key": "ips-lignende", "scale_version": "2024"}, 422, "not meant for"),
        ({"scale_key": "ips-25", "scale_version": "1999"}, 422, "does not exist"),
        ({"visit_date": "2026-11-20", "visit_end_date": "2026-11-19"}, 422, "comes before"),
        ({"visit_date": "20-11-2026"}, 422, "visit_date"),
        ({"team_id": True}, 422, "team_id"),
    ],
)
def test_planning_refuses_bad_input_with_a_reason(
    client: TestClient,
    cast: Cast,
    session: Session,
    overrides: dict[str, Any],
    status: int,
    words: str,
) -> None:
    body = {
        "team_id": cast.team.id,
        "visit_date": "2026-11-20",
        "reviewer_usernames": [cast.lead.username, cast.second.username],
        "lead_username": cast.lead.username,
        **overrides,
    }
    response = client.post("/api/v1/reviews", json=body, headers=bearer(cast, "lead"))
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]
    assert session.exec(select(func.count()).select_from(Review)).one() == 0


def test_only_ambassadors_in_the_region_and_admins_plan(client: TestClient, cast: Cast) -> None:
    body = {
        "team_id": cast.team.id,
        "visit_date": "2026-11-20",
        "reviewer_usernames": [cast.lead.username, cast.second.username],
        "lead_username": cast.lead.username,
    }
    for who, status in (("analyst", 403), ("leader", 403), ("second", 404)):
        response = client.post("/api/v1/reviews", json=body, headers=bearer(cast, who))
        assert response.status_code == status, (who, response.text)
    assert (
        client.post("/api/v1/reviews", json=body, headers=bearer(cast, "admin")).status_code == 201
    )
    again = client.post("/api/v1/reviews", json=body, headers=bearer(cast, "lead"))
    assert again.status_code == 409 and "already has a review in progress" in again.json()["detail"]


def test_a_rating_is_stored_with_its_revision_and_audited(
    client: TestClient, cast: Cast, session: Session
) -> None:
    review = plan(client, cast)
    response = put(
        client,
        cast,
        "lead",
        review["id"],
        "vocational-generalists",
        score=4,
        note="<script>alert(1)</script> Konsulenten gør det meste selv",
        evidence=["INT", "DOC", "INT"],
    )
    assert response.status_code == 200, response.text
    saved = response.json()
    assert (saved["score"], saved["revision"], saved["outcome"]) == (4, 1, "saved")
    assert saved["evidence"] == ["DOC", "INT"] and saved["rater"] == cast.lead.username
    assert saved["note"].startswith("<script>")  # stored as text; pages escape it
    rating = session.exec(select(Rating).where(Rating.review_id == review["id"])).one()
    assert (rating.score, rating.rater_id, rating.revision) == (4.0, cast.lead.id, 1)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "rating.saved")).one()
    assert event.after is not None and event.after["item"] == "vocational-generalists"
    assert event.after["client_id"] == saved["client_id"] and event.channel == "api"


def test_the_same_change_sent_again_is_stored_once(
    client: TestClient, cast: Cast, session: Session
) -> None:
    review = plan(client, cast)
    change = {"score": 3, "client_id": str(uuid.uuid4())}
    first = put(client, cast, "lead", review["id"], "disclosure", **change).json()
    again = put(client, cast, "lead", review["id"], "disclosure", **change).json()
    assert (first["outcome"], again["outcome"]) == ("saved", "replayed")
    assert again["revision"] == first["revision"] == 1
    assert session.exec(select(func.count()).select_from(RatingChange)).one() == 1
    saved_events = select(func.count()).where(AuditEvent.action == "rating.saved")
    assert session.exec(saved_events).one() == 1
    other = put(
        client, cast, "lead", review["id"], "disclosure", score=5, client_id=change["client_id"]
    )
    assert (
        other.status_code == 409 and "already used for a different change" in other.json()["detail"]
    )
    elsewhere = put(client, cast, "lead", review["id"], "rapid-job-search", **change)
    assert elsewhere.status_code == 409
    rating = session.exec(select(Rating).where(Rating.item_key == "disclosure")).one()
    assert rating.score == 3 and rating.revision == 1


def test_a_change_based_on_an_old_revision_is_refused_with_the_current_value(
    client: TestClient, cast: Cast, session: Session
) -> None:
    review = plan(client, cast)
    put(client, cast, "lead", review["id"], "disclosure", score=3, base_revision=0)
    put(client, cast, "lead", review["id"], "disclosure", score=4, base_revision=1)
    stale = put(client, cast, "lead", review["id"], "disclosure", score=2, base_revision=1)
    assert stale.status_code == 409
    problem = stale.json()
    assert problem["current"]["score"] == 4 and problem["current"]["revision"] == 2
    assert "changed elsewhere" in problem["detail"]
    same = put(client, cast, "lead", review["id"], "disclosure", score=4, base_revision=1)
    assert same.status_code == 200 and same.json()["outcome"] == "unchanged"
    rating = session.exec(select(Rating).where(Rating.item_key == "disclosure")).one()
    assert (rating.score, rating.revision) == (4, 2)


@pytest.mark.parametrize(
    ("item", "body", "status", "words"),
    [
        ("disclosure", {"score": 6}, 422, "score"),
        ("disclosure", {"score": 0}, 422, "score"),
        ("disclosure", {"score": True}, 422, "score"),
        ("disclosure", {"score": "3"}, 422, "score"),
        ("disclosure", {"score": 3.5}, 422, "score"),
        ("no-such-item", {"score": 3}, 404, "no-such-item"),
        ("disclosure", {"not_rated_reason": "  "}, 422, "say why item 13"),
        ("disclosure", {"score": 3, "not_rated_reason": "no data"}, 422, "choose one"),
        ("disclosure", {"note": "x" * 5001}, 422, "note"),
        ("disclosure", {"evidence": ["XYZ"]}, 422, "evidence"),
        ("disclosure", {"score": 3, "colour": "red"}, 422, "colour"),
        ("disclosure", {"score": 3, "client_id": "not-a-uuid"}, 422, "client_id"),
        ("disclosure", {"inputs": {"figure": 3}}, 422, "figure"),
        ("caseload-size", {"inputs": {"figure": -4}}, 422, "below the lowest"),
        ("disclosure", {"score": 1, "inputs": {"ticked": ["nonsense"]}}, 422, "unknown checklist"),
    ],
)
def test_bad_ratings_are_refused_and_nothing_is_stored(
    client: TestClient,
    cast: Cast,
    session: Session,
    item: str,
    body: dict[str, Any],
    status: int,
    words: str,
) -> None:
    review = plan(client, cast)
    response = put(client, cast, "lead", review["id"], item, **body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert words in response.text
    assert session.exec(select(func.count()).select_from(Rating)).one() == 0


def test_inputs_give_the_score_for_banded_checklist_and_per_consultant_items(
    client: TestClient, cast: Cast
) -> None:
    review = plan(client, cast)
    banded = put(client, cast, "lead", review["id"], "caseload-size", inputs={"figure": 22}).json()
    assert (banded["score"], banded["suggested_score"]) == (4, 4)
    overruled = put(
        client, cast, "lead", review["id"], "caseload-size", score=3, inputs={"figure": 22}
    ).json()
    assert (overruled["score"], overruled["suggested_score"]) == (3, 4)
    checklist = SCALE.item("disclosure").checklist
    assert checklist is not None
    ticked = [entry.key for entry in checklist.entries[:2]]
    ticks = put(client, cast, "lead", review["id"], "disclosure", inputs={"ticked": ticked}).json()
    assert ticks["score"] == checklist.scores[2] and ticks["inputs"] == {"ticked": sorted(ticked)}
    wrong = put(
        client, cast, "lead", review["id"], "disclosure", score=5, inputs={"ticked": ticked}
    )
    assert wrong.status_code == 422 and f"give the score {checklist.scores[2]}" in wrong.text
    per = put(
        client,
        cast,
        "lead",
        review["id"],
        "job-development-quality",
        inputs={"consultants": [{"score": 4}, {"score": 3}, {"score": 3}]},
    ).json()
    assert per["score"] == 3.33
    frequency = SCALE.item("job-development-frequency")
    assert frequency.banding is not None
    figures = put(
        client,
        cast,
        "lead",
        review["id"],
        "job-development-frequency",
        inputs={"consultants": [{"figure": 7}, {"figure": 0}]},
    ).json()
    low = min(band.score for band in frequency.banding.bands)
    high = max(band.score for band in frequency.banding.bands)
    assert figures["score"] == (low + high) / 2


def test_scoring_is_blind_until_each_reviewer_submits(
    client: TestClient, cast: Cast, session: Session
) -> None:
    review = plan(client, cast)
    rid = review["id"]
    score_all(client, cast, "lead", rid, 4)
    put(client, cast, "second", rid, "disclosure", score=2)

    def seen_by(who: str) -> dict[str, Any]:
        response = client.get(f"/api/v1/reviews/{rid}", headers=bearer(cast, who))
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    second_view = seen_by("second")
    assert set(second_view["my_ratings"]) == {"disclosure"}
    assert second_view["other_ratings"] == {} and second_view["consensus"] is None
    lead_view = seen_by("lead")
    assert len(lead_view["my_ratings"]) == 25 and lead_view["other_ratings"] == {}
    assert lead_view["my_totals"]["total"] == 100 and lead_view["my_totals"]["level"] == "good"
    # Neither list reads nor the outsider in the region see the ratings.
    assert seen_by("outsider")["other_ratings"] == {}
    assert client.get(f"/api/v1/reviews/{rid}", headers=bearer(cast, "leader")).status_code == 404
    listed = client.get("/api/v1/reviews", headers=bearer(cast, "leader")).json()["items"]
    assert rid not in [r["id"] for r in listed]

    submitted = client.post(f"/api/v1/reviews/{rid}/submit", headers=bearer(cast, "lead"))
    assert submitted.status_code == 200, submitted.text
    # The lead has submitted, but the second reviewer has not: still nothing to see.
    assert seen_by("lead")["other_ratings"] == {}
    assert seen_by("second")["other_ratings"] == {}
    refused = put(client, cast, "lead", rid, "disclosure", score=5)
    assert refused.status_code == 409 and "submitted your scoring" in refused.json()["detail"]
    early = put(client, cast, "lead", rid, "disclosure", consensus=True, score=3)
    assert early.status_code == 409 and "consensus begins" in early.json()["detail"]


def test_submitting_needs_every_item(client: TestClient, cast: Cast, session: Session) -> None:
    review = plan(client, cast)
    put(client, cast, "lead", review["id"], "disclosure", score=2)
    response = client.post(f"/api/v1/reviews/{review['id']}/submit", headers=bearer(cast, "lead"))
    assert response.status_code == 409
    assert "24 items have neither a score nor a reason" in response.json()["detail"]
    assert session.exec(select(Review).where(Review.id == review["id"])).one().status == "scoring"


def test_the_whole_review_from_planning_to_the_team_leader(
    client: TestClient, cast: Cast, session: Session
) -> None:
    rid = plan(client, cast)["id"]
    score_all(client, cast, "lead", rid, 4)
    score_all(client, cast, "second", rid, 4)
    # The reviewers disagree on two items; one item could not be rated by the second.
    put(client, cast, "second", rid, "disclosure", score=2)
    put(client, cast, "second", rid, "rapid-job-search", score=5)
    put(client, cast, "second", rid, "competitive-jobs", not_rated_reason="Tallene manglede")
    for who in ("lead", "second"):
        assert (
            client.post(f"/api/v1/reviews/{rid}/submit", headers=bearer(cast, who)).status_code
            == 200
        )

    state = client.get(f"/api/v1/reviews/{rid}", headers=bearer(cast, "lead")).json()
    assert state["status"] == "consensus"
    assert set(state["other_ratings"]) == {cast.second.username}
    assert state["other_ratings"][cast.second.username]["disclosure"]["score"] == 2
    # Agreed items are pre-filled; the three disagreements are left to the lead.
    assert set(state["consensus"]) == set(ITEMS) - {
        "disclosure",
        "rapid-job-search",
        "competitive-jobs",
    }
    assert state["agreement"]["items_compared"] == 24
    assert state["agreement"]["exact"] == round(22 / 24, 3)

    second_try = put(client, cast, "second", rid, "disclosure", consensus=True, score=3)
    assert second_try.status_code == 403 and "lead" in second_try.json()["detail"]
    put(client, cast, "lead", rid, "disclosure", consensus=True, score=3)
    put(
        client,
        cast,
        "lead",
        rid,
        "rapid-job-search",
        consensus=True,
        score=5,
        rationale="Dokumenteret i journaler",
    )
    put(client, cast, "lead", rid, "competitive-jobs", consensus=True, score=4)

    missing = client.post(f"/api/v1/reviews/{rid}/finalize", headers=bearer(cast, "lead"))
    assert missing.status_code == 409
    # Everything in the way at once, not one kind at a time.
    said = missing.json()
    assert "need a rationale: 13, 21" in said["detail"]
    assert set(said["open_points"]) >= {"missing_rationale"}
    assert said["open_points"]["missing_rationale"] == [13, 21]
    assert len(said["open_points"]) >= 2, said["open_points"]
    put(
        client,
        cast,
        "lead",
        rid,
        "disclosure",
        consensus=True,
        score=3,
        rationale="Delvist til stede",
    )
    put(
        client,
        cast,
        "lead",
        rid,
        "competitive-jobs",
        consensus=True,
        score=4,
        rationale="Set i MIS",
    )
    no_advice = client.post(f"/api/v1/reviews/{rid}/finalize", headers=bearer(cast, "lead"))
    assert no_advice.status_code == 409
    assert no_advice.json()["detail"] == "1 item with a low score needs a recommendation: 13."
    put(
        client,
        cast,
        "lead",
        rid,
        "disclosure",
        consensus=True,
        score=3,
        rationale="Delvist til stede",
        recommendation="Drøft videregivelse af oplysninger med hver borger tidligt",
    )
    summary = client.put(
        f"/api/v1/reviews/{rid}/summary",
        json={"strengths": "Tæt samarbejde med psykiatrien", "summary": "Et stærkt team"},
        headers=bearer(cast, "lead"),
    )
    assert summary.status_code == 200 and summary.json()["strengths"].startswith("Tæt")
    not_lead = client.post(f"/api/v1/reviews/{rid}/finalize", headers=bearer(cast, "second"))
    assert not_lead.status_code == 403

    final = client.post(f"/api/v1/reviews/{rid}/finalize", headers=bearer(cast, "lead"))
    assert final.status_code == 200, final.text
    result = final.json()
    expected_total = 4 * 22 + 3 + 5 + 4
    assert (result["status"], result["total_score"], result["level"]) == (
        "finalised",
        expected_total,
        "good",
    )
    stored = session.get(Review, rid)
    assert stored is not None and stored.status == ReviewStatus.FINALISED
    assert stored.total_score == expected_total and stored.finalised_by_id == cast.lead.id
    assert stored.result is not None and stored.result["agreement"]["items_compared"] == 24
    assert {s["key"]: s["total"] for s in stored.result["sections"]}.keys() == {
        "staffing",
        "organisation",
        "services",
    }

    locked = put(client, cast, "lead", rid, "disclosure", consensus=True, score=4, rationale="x")
    assert locked.status_code == 409 and "finalised and locked" in locked.json()["detail"]
    seen = client.get(f"/api/v1/reviews/{rid}", headers=bearer(cast, "leader"))
    assert seen.status_code == 200 and seen.json()["total_score"] == expected_total
    assert seen.json()["consensus"]["disclosure"]["recommendation"].startswith("Drøft")

    refused = client.post(
        f"/api/v1/reviews/{rid}/reopen", json={"reason": "Fejl"}, headers=bearer(cast, "lead")
    )
    assert refused.status_code == 403
    reopened = client.post(
        f"/api/v1/reviews/{rid}/reopen",
        json={"reason": "Item 21 var talt forkert"},
        headers=bearer(cast, "admin"),
    )
    assert reopened.status_code == 200 and reopened.json()["status"] == "consensus"
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "review.reopened")).one()
    assert event.before is not None and event.before["total"] == expected_total
    assert event.after == {"status": "consensus", "reason": "Item 21 var talt forkert"}
    assert client.get(f"/api/v1/reviews/{rid}", headers=bearer(cast, "leader")).status_code == 404
    changes = session.exec(
        select(func.count()).select_from(RatingChange).where(RatingChange.review_id == rid)
    ).one()
    consensus_rows = session.exec(
        select(func.count()).where(
            Rating.review_id == rid, col(Rating.rater_kind) == RaterKind.CONSENSUS
        )
    ).one()
    assert consensus_rows == 25 and changes >= 25 * 2 + 25


def test_a_reviewer_not_assigned_cannot_rate(
    client: TestClient, cast: Cast, session: Session
) -> None:
    rid = plan(client, cast)["id"]
    response = put(client, cast, "outsider", rid, "disclosure", score=3)
    assert response.status_code == 403 and "not a reviewer" in response.json()["detail"]
    hidden = put(client, cast, "analyst", rid, "disclosure", score=3)
    assert hidden.status_code == 404
    assert session.exec(select(func.count()).select_from(Rating)).one() == 0
