"""The server's side of offline scoring: the service worker and its shell, the offline
page, what the outbox asks and is told by the API, the panels it refreshes, and the
administrators' import of an outbox file."""

from __future__ import annotations

import json
import posixpath
import re
import uuid
from typing import Any

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlmodel import Session, col, func, select

from app.models import AuditEvent, Rating, RatingChange, Review, ReviewStatus, Role
from app.web import offline
from tests.api import test_scoring as scoring_api
from tests.api.test_scoring import ITEMS, Cast, bearer, plan, put
from tests.factories import make_user
from tests.web.signin import parse, sign_in

cast = scoring_api.cast  # the same fixture: a team, two reviewers and the other roles


def _changes(session: Session, review_id: int) -> int:
    query = select(func.count()).select_from(RatingChange)
    return int(session.exec(query.where(RatingChange.review_id == review_id)).one())


def test_the_service_worker_is_served_from_the_root_with_a_shell_that_exists(
    client: TestClient,
) -> None:
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["service-worker-allowed"] == "/"
    assert response.headers["cache-control"] == "no-cache"
    code = response.text
    version = re.search(r'const VERSION = "([0-9a-f]{16})";', code)
    assert version, "the version was not filled in"
    shell = json.loads(re.search(r"const SHELL = (\[.*\]);", code).group(1))  # type: ignore[union-attr]
    assert shell == list(offline.SHELL)
    # The worker's install fails if any of them is missing: every one must be served.
    for url in shell:
        assert client.get(url).status_code == 200, url
    # The same files give the same version; it is not the placeholder.
    assert client.get("/sw.js").text == code
    assert 'const VERSION = "dev"' not in code


# An import (or re-export) of another module: its specifier, possibly after a multi-line list.
IMPORT = re.compile(r'^(?:import|export)\s(?:[^;"]*?\sfrom\s)?"([^"]+)";', re.MULTILINE)


def _imported(url: str) -> list[str]:
    code = (offline.STATIC / url.removeprefix("/static/")).read_text(encoding="utf-8")
    return [
        posixpath.normpath(posixpath.join(posixpath.dirname(url), spec))
        for spec in IMPORT.findall(code)
    ]


def test_the_shell_holds_every_module_the_outbox_imports() -> None:
    """A module the tablet cannot fetch offline stops the whole outbox from loading: every
    file that outbox.js imports, directly or through another module, is in the worker's
    shell (and so in its version's digest)."""
    found: set[str] = set()
    waiting = ["/static/js/outbox.js"]
    while waiting:
        url = waiting.pop()
        if url not in found:
            found.add(url)
            waiting.extend(_imported(url))
    modules = {
        f"/static/js/outbox/{path.name}" for path in (offline.STATIC / "js" / "outbox").glob("*.js")
    }
    assert "/static/js/outbox-core.js" in found
    assert sorted(modules - found) == [], "a module nothing imports"
    assert sorted(found - set(offline.SHELL)) == []


def test_the_offline_page_names_no_one_and_lists_the_kept_pages(client: TestClient) -> None:
    page = parse(client.get("/offline").text)
    assert page.select_one("h1").get_text() == "Ingen forbindelse"  # type: ignore[union-attr]
    assert page.select_one("#kept-pages") is not None
    assert page.select_one("#connection") is not None
    assert page.select_one("#connection-news[role=status]") is not None
    assert page.select_one("body")["data-user"] == ""  # type: ignore[index]
    assert page.select_one("form[data-logout]") is None


def test_me_hands_a_browser_session_its_csrf_token(
    client: TestClient, session: Session, cast: Cast
) -> None:
    token = sign_in(client, cast.lead.username)
    me = client.get("/api/v1/me").json()
    assert me["username"] == cast.lead.username
    assert me["csrf_token"] == token


def test_a_replayed_change_names_its_maker_and_no_one_else_may_send_it(
    client: TestClient, session: Session, cast: Cast
) -> None:
    review = plan(client, cast)
    token = sign_in(client, cast.second.username)
    body = {"score": 3, "client_id": str(uuid.uuid4()), "base_revision": 0}
    url = f"/api/v1/reviews/{review['id']}/ratings/{ITEMS[2]}"
    refused = client.put(
        url, json=body, headers={"X-CSRF-Token": token, "X-Outbox-User": cast.lead.username}
    )
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["code"] == "err_outbox_other_user"
    assert cast.lead.username in problem["message"] and cast.second.username in problem["message"]
    assert _changes(session, review["id"]) == 0
    # Percent-encoded, as the outbox sends it.
    saved = client.put(
        url,
        json=body,
        headers={"X-CSRF-Token": token, "X-Outbox-User": cast.second.username.replace("-", "%2D")},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["outcome"] == "saved"
    again = client.put(
        url, json=body, headers={"X-CSRF-Token": token, "X-Outbox-User": cast.second.username}
    )
    assert again.json()["outcome"] == "replayed"
    assert _changes(session, review["id"]) == 1


def test_problems_carry_a_code_and_a_message_in_the_callers_language(
    client: TestClient, session: Session, cast: Cast
) -> None:
    review = plan(client, cast)
    first = put(client, cast, "lead", review["id"], ITEMS[2], score=3, base_revision=0)
    assert first.status_code == 200
    put(client, cast, "lead", review["id"], ITEMS[2], score=4, base_revision=1)
    stale = put(client, cast, "lead", review["id"], ITEMS[2], score=5, base_revision=1)
    assert stale.status_code == 409
    problem = stale.json()
    assert problem["code"] == "err_stale_rating"
    assert problem["current"]["score"] == 4 and problem["current"]["revision"] == 2
    assert "ændret et andet sted" in problem["message"]  # Danish by default
    missing = put(client, cast, "lead", 987654, ITEMS[2], score=5)
    assert missing.status_code == 404
    assert missing.json()["code"] == "not_found"
    assert missing.json()["message"] == "Det findes ikke, eller du har ikke adgang til det."
    english = client.put(
        f"/api/v1/reviews/{review['id']}/ratings/{ITEMS[2]}?lang=en",
        json={"score": 5, "client_id": str(uuid.uuid4()), "base_revision": 1},
        headers=bearer(cast, "lead"),
    )
    assert "changed elsewhere" in english.json()["message"]


def test_a_replayed_change_answers_with_the_revision_it_made_not_the_latest(
    client: TestClient, session: Session, cast: Cast
) -> None:
    """An outbox whose answer was lost sends the change again; it builds its next change
    on the answer's revision, so that must be the change's own, or a change made
    elsewhere meanwhile would be overwritten unseen."""
    review = plan(client, cast)
    key = ITEMS[2]
    first = {"score": 3, "client_id": str(uuid.uuid4()), "base_revision": 0}
    url = f"/api/v1/reviews/{review['id']}/ratings/{key}"
    assert client.put(url, json=first, headers=bearer(cast, "lead")).json()["revision"] == 1
    put(client, cast, "lead", review["id"], key, score=5, base_revision=1, note="laptop")
    again = client.put(url, json=first, headers=bearer(cast, "lead")).json()
    assert again["outcome"] == "replayed"
    assert (again["revision"], again["score"], again["note"]) == (1, 3, None)
    # The next change built on it is caught, not stored over the laptop's.
    after = put(client, cast, "lead", review["id"], key, score=4, base_revision=1)
    assert after.status_code == 409 and after.json()["current"]["score"] == 5


def test_a_change_that_arrived_before_the_review_closed_is_answered_as_stored_after(
    client: TestClient, session: Session, cast: Cast
) -> None:
    review = plan(client, cast)
    key = ITEMS[2]
    change = {"score": 3, "client_id": str(uuid.uuid4()), "base_revision": 0}
    url = f"/api/v1/reviews/{review['id']}/ratings/{key}"
    assert client.put(url, json=change, headers=bearer(cast, "lead")).status_code == 200
    stored = session.get(Review, review["id"])
    assert stored is not None
    stored.status = ReviewStatus.FINALISED
    session.add(stored)
    session.commit()
    again = client.put(url, json=change, headers=bearer(cast, "lead"))
    assert again.status_code == 200 and again.json()["outcome"] == "replayed"
    new = put(client, cast, "lead", review["id"], key, score=4, base_revision=1)
    assert new.status_code == 409 and new.json()["code"] == "err_review_finalised"
    assert _changes(session, review["id"]) == 1


def test_a_stale_csrf_token_is_named_so_that_the_tablet_asks_for_a_new_one(
    client: TestClient, session: Session, cast: Cast
) -> None:
    review = plan(client, cast)
    sign_in(client, cast.lead.username)
    refused = client.put(
        f"/api/v1/reviews/{review['id']}/ratings/{ITEMS[2]}",
        json={"score": 3, "client_id": str(uuid.uuid4())},
        headers={"X-CSRF-Token": "an-old-token"},
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "csrf_failed"
    assert _changes(session, review["id"]) == 0


def test_the_consensus_keeps_an_average_no_level_stands_for(
    client: TestClient, session: Session, cast: Cast
) -> None:
    review = plan(client, cast)
    for who in ("lead", "second"):
        for key in ITEMS:
            assert put(client, cast, who, review["id"], key, score=4).status_code == 200
        client.post(f"/api/v1/reviews/{review['id']}/submit", headers=bearer(cast, who))
    key = ITEMS[2]
    out_of_range = put(client, cast, "lead", review["id"], key, consensus=True, kept_score=6)
    assert out_of_range.status_code == 422
    kept = put(
        client, cast, "lead", review["id"], key, consensus=True, kept_score=2.5, rationale="ja"
    )
    assert kept.status_code == 200, kept.text
    assert kept.json()["score"] == 2.5 and kept.json()["rationale"] == "ja"


def test_the_panels_follow_what_the_outbox_sent(
    client: TestClient, session: Session, cast: Cast
) -> None:
    review = plan(client, cast)
    put(client, cast, "lead", review["id"], ITEMS[2], score=3)
    sign_in(client, cast.lead.username)
    url = f"/reviews/{review['id']}/score/panels"
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    panel = BeautifulSoup(fragment.text, "html.parser").select_one("#progress")  # a fragment
    assert panel is not None and panel["hx-swap-oob"] == "true"
    assert "1 af 25" in panel.get_text()
    # Followed as a plain link, it is the scoring screen.
    plain = client.get(url, follow_redirects=False)
    assert plain.status_code == 303 and plain.headers["location"].endswith(
        f"/reviews/{review['id']}/score"
    )


# The administrators' import ---------------------------------------------------------------


def _file(entries: list[dict[str, Any]]) -> dict[str, tuple[str, bytes, str]]:
    data = {"format": "ips-fidelity-outbox", "version": 1, "entries": entries}
    return {"file": ("outbox.json", json.dumps(data).encode(), "application/json")}


def _entry(user: str, review_id: int, key: str, score: int, **fields: Any) -> dict[str, Any]:
    return {
        "client_id": str(uuid.uuid4()),
        "user": user,
        "review_id": review_id,
        "item_key": key,
        "mode": "rating",
        "base_revision": 0,
        "after": None,
        "state": "queued",
        "body": {"score": score, "note": "", "evidence": [], "not_rated_reason": None},
        **fields,
    }


def _results(html: str) -> list[tuple[str, str]]:
    rows = parse(html).select("tbody tr")
    return [
        (row.select("td")[3].get_text(strip=True), row.select("td")[4].get_text(" ", strip=True))
        for row in rows
    ]


def test_an_outbox_file_is_imported_as_the_reviewers_own_changes_once(
    client: TestClient, session: Session, cast: Cast
) -> None:
    review = plan(client, cast)
    review_id = review["id"]
    lead = cast.lead.username
    put(client, cast, "lead", review_id, ITEMS[4], score=2)  # stored before: revision 1
    first = _entry(lead, review_id, ITEMS[2], 3)
    on_top = _entry(lead, review_id, ITEMS[2], 4, base_revision=None, after=first["client_id"])
    stale = _entry(lead, review_id, ITEMS[4], 5)  # made on revision 0: changed since
    unknown = _entry("no-such-user", review_id, ITEMS[3], 3)
    damaged = _entry(lead, review_id, ITEMS[3], 3, body={"score": "many"})
    orphan = _entry(lead, review_id, ITEMS[5], 3, base_revision=None, after=str(uuid.uuid4()))
    # Made on top of the orphan: its base is unknown too, so it is not saved unchecked.
    on_orphan = _entry(lead, review_id, ITEMS[5], 4, base_revision=None, after=orphan["client_id"])
    odd = [
        _entry(lead, True, ITEMS[6], 3),  # type: ignore[arg-type]
        _entry(lead, 2**70, ITEMS[6], 3),
        _entry(lead, review_id, "../x", 3),
        _entry(lead, review_id, ITEMS[6], 3, body="score=3"),
        _entry(cast.analyst.username, review_id, ITEMS[6], 3),  # not a reviewer
    ]
    entries = [first, on_top, stale, unknown, damaged, orphan, on_orphan, *odd]

    admin = make_user(session, role=Role.ADMIN)
    session.commit()
    token = sign_in(client, admin.username)
    form = parse(client.get("/admin/outbox").text)
    assert form.select_one('label[for="outbox-file"]') is not None
    answer = client.post("/admin/outbox", files=_file(entries), data={"csrf_token": token})
    assert answer.status_code == 200, answer.text
    results = _results(answer.text)
    assert [outcome.split(":")[0] for _, outcome in results] == ["✓ Gemt", "✓ Gemt"] + [
        "✗ Ikke gemt"
    ] * 10
    assert [outcome.split(":")[-1].strip() for _, outcome in results[6:11]] == [
        "base_revision",
        "review_id",
        "review_id",
        "item_key",
        "body",
    ]
    assert "ændret et andet sted" in results[2][1]
    assert "no-such-user" in results[3][1]
    assert "score" in results[4][1]
    assert "after" in results[5][1]
    ratings = {
        rating.item_key: rating
        for rating in session.exec(select(Rating).where(Rating.review_id == review_id))
    }
    assert ratings[ITEMS[2]].score == 4 and ratings[ITEMS[2]].revision == 2
    assert ratings[ITEMS[4]].score == 2  # the change made elsewhere stands
    assert ITEMS[3] not in ratings and ITEMS[5] not in ratings and ITEMS[6] not in ratings
    audited = session.exec(
        select(AuditEvent)
        .where(AuditEvent.action == "rating.saved", AuditEvent.entity_id == str(review_id))
        .where(AuditEvent.channel == "offline")
    ).all()
    assert [event.actor_id for event in audited] == [cast.lead.id, cast.lead.id]
    imported = session.exec(select(AuditEvent).where(AuditEvent.action == "outbox.imported")).one()
    assert imported.actor_id == admin.id
    assert imported.after is not None and imported.after["outcomes"]["saved"] == 2

    # The same file again (the tablet sent it too, meanwhile): nothing is stored twice.
    before = _changes(session, review_id)
    again = client.post("/admin/outbox", files=_file(entries), data={"csrf_token": token})
    assert [outcome for _, outcome in _results(again.text)][:2] == [
        "✓ Var allerede nået frem",
        "✓ Var allerede nået frem",
    ]
    assert _changes(session, review_id) == before


def test_a_file_that_is_not_an_outbox_is_refused_whole(
    client: TestClient, session: Session, cast: Cast
) -> None:
    admin = make_user(session, role=Role.ADMIN)
    session.commit()
    token = sign_in(client, admin.username)
    before = session.exec(select(func.count()).select_from(RatingChange)).one()
    for content, words in (
        (b"{not json", "not JSON"),
        (b'{"format": "something-else"}', "ips-fidelity-outbox"),
        (b'{"format": "ips-fidelity-outbox", "version": 9, "entries": []}', "version 9"),
        (b'{"format": "ips-fidelity-outbox", "version": 1, "entries": {}}', "entries"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ):
        answer = client.post(
            "/admin/outbox",
            files={"file": ("x.json", content, "application/json")},
            data={"csrf_token": token},
        )
        assert answer.status_code == 422
        error = parse(answer.text).select_one(".form-error[role=alert]")
        assert error is not None and words in error.get_text(), error
    assert session.exec(select(func.count()).select_from(RatingChange)).one() == before
    assert (
        session.exec(
            select(func.count())
            .select_from(AuditEvent)
            .where(col(AuditEvent.action) == "outbox.imported")
        ).one()
        == 0
    )


def test_a_teams_changes_of_its_part_are_imported_as_its_own(
    client: TestClient, session: Session
) -> None:
    """A team leader's tablet could not send the team's part: its file, imported by an
    administrator, stores each field group as the leader's, once, a figure read in the
    language it was typed in and a change made on an old revision left as a conflict."""
    from datetime import date, timedelta

    from app.models import ImplementationRating, MeasurementRound, TeamFigure
    from tests.factories import make_instrument_version, make_team

    instrument = make_instrument_version(session)
    team = make_team(session)
    leader = make_user(session, role=Role.TEAM_LEADER, teams=(team,))
    measurement = MeasurementRound(
        team_id=team.id or 0,
        year=date.today().year,
        instrument_id=instrument.id or 0,
        deadline=date.today() + timedelta(days=7),
    )
    session.add(measurement)
    session.commit()

    def change(mode: str, key: str, body: dict[str, Any], **fields: Any) -> dict[str, Any]:
        entry = _entry(leader.username, 0, key, 0, mode=mode, body=body, **fields)
        del entry["review_id"]
        return {"round_id": measurement.id, "language": "da", **entry}

    point = change("point", "funding", {"level": 3, "description": "Budget til 2027"})
    on_top = change(
        "point", "funding", {"level": 4, "description": "Budget til 2028"},
        base_revision=None, after=point["client_id"],
    )  # fmt: skip
    figure = change("figure", "consultant-fte", {"value": "4,5", "consultants": None})
    documents = change("documents", "documents", {"documents": ["implementation-plan"]})
    stale = change("documents", "documents", {"documents": []})  # made on revision 0
    wrong = change("figure", "caseload", {"value": "12 uger"})
    no_round = change("point", "funding", {"level": 2}, round_id="x")
    entries = [point, on_top, figure, documents, stale, wrong, no_round]

    admin = make_user(session, role=Role.ADMIN)
    session.commit()
    token = sign_in(client, admin.username)
    answer = client.post("/admin/outbox", files=_file(entries), data={"csrf_token": token})
    assert answer.status_code == 200, answer.text
    page = parse(answer.text)
    assert page.select("tbody tr td")[2].get_text(strip=True) == f"Måling {measurement.id}"
    results = _results(answer.text)
    assert [outcome.split(":")[0] for _, outcome in results] == ["✓ Gemt"] * 4 + ["✗ Ikke gemt"] * 3
    assert "Dokumenterne er valgt af en anden" in results[4][1]
    assert "skriv tallet" in results[5][1]
    assert results[6][1].endswith("round_id")

    session.expire_all()
    [rating] = session.exec(select(ImplementationRating)).all()
    assert (rating.level, rating.description, rating.revision) == (4, "Budget til 2028", 2)
    assert rating.updated_by_id == leader.id
    [fte] = session.exec(select(TeamFigure)).all()
    assert (fte.input_key, fte.value) == ("consultant-fte", 4.5)
    stored = session.get(MeasurementRound, measurement.id)
    assert stored is not None and stored.documents == ["implementation-plan"]
    again = client.post("/admin/outbox", files=_file(entries), data={"csrf_token": token})
    assert [outcome for _, outcome in _results(again.text)][:4] == ["✓ Var allerede nået frem"] * 4
    session.expire_all()
    assert session.exec(select(ImplementationRating)).one().revision == 2
