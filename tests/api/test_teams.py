"""GET /api/v1/teams/{id}/profile: what the database holds, finalised reviews only, and
only for teams in the caller's scope."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Role
from app.services import tokens
from app.services.access import Principal
from tests.factories import make_team, make_user, shipped_scale
from tests.services.test_profiles import finalised, in_progress


def _bearer(session: Session, **user: object) -> dict[str, str]:
    person = make_user(session, **user)  # type: ignore[arg-type]
    plain, _ = tokens.create_token(session, by=Principal.system(), user=person, name="test")
    session.commit()
    return {"Authorization": f"Bearer {plain}"}


def test_the_profile_is_what_the_database_holds(client: TestClient, session: Session) -> None:
    team = make_team(session, municipalities=(101,))
    skipped = shipped_scale().items[3].key
    older = finalised(session, team, date(2024, 4, 2), {}, default=3)
    newer = finalised(session, team, date(2025, 4, 2), {skipped: None}, default=4)
    in_progress(session, newer, date(2026, 4, 2))
    leader = _bearer(session, role=Role.TEAM_LEADER, teams=(team,))

    body = client.get(f"/api/v1/teams/{team.id}/profile", headers=leader).json()

    assert body["team_id"] == team.id
    assert [r["review_id"] for r in body["reviews"]] == [older.id, newer.id]
    latest = body["reviews"][-1]
    assert latest["visit_date"] == "2025-04-02"
    assert (latest["scale"], latest["scale_version"]) == ("ips-25", "2019")
    assert latest["total"] == newer.total_score == 96.0
    assert latest["level"] is None  # one item not rated
    items = {item["key"]: item for item in latest["items"]}
    assert len(items) == 25
    assert items[skipped] == {
        "key": skipped,
        "number": 4,
        "score": None,
        "not_rated_reason": "Kunne ikke belyses",
    }
    stored = newer.result or {}
    assert [s["mean"] for s in latest["sections"]] == [s["mean"] for s in stored["sections"]]
    assert [p["rated_count"] for p in latest["principles"]] == [
        p["rated_count"] for p in stored["principles"]
    ]
    assert body["reviews"][0]["level"] == "fair"
    assert body["next_review_due"] == "2025-10-02"  # no level: followed up after six months


def test_a_team_outside_the_scope_is_not_found(client: TestClient, session: Session) -> None:
    team = make_team(session, municipalities=(751,))  # Midtjylland
    finalised(session, team, date(2025, 4, 2), {})
    outsider = _bearer(session, role=Role.AMBASSADOR, regions=(1084,))

    response = client.get(f"/api/v1/teams/{team.id}/profile", headers=outsider)

    assert response.status_code == 404
    assert "reviews" not in response.json()  # as if the team did not exist


def test_a_team_without_finalised_reviews_has_an_empty_profile(
    client: TestClient, session: Session
) -> None:
    team = make_team(session)
    admin = _bearer(session, role=Role.ADMIN)

    body = client.get(f"/api/v1/teams/{team.id}/profile", headers=admin).json()

    assert body == {"team_id": team.id, "reviews": [], "next_review_due": None}
