"""Scoring with the network off, in Debian's Chromium at tablet size with touch.

Each test scores a review of its own (made here in the live server's database) and
checks in the end what the server holds: the ratings through the API, and one
``rating_change`` row and one ``rating.saved`` audit event per change, each change's
client_id exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import Engine, text
from sqlmodel import Session

from app.config import PROJECT_ROOT
from app.db.engines import create_db_engine
from app.models import Role, utcnow
from app.scales.loader import load_definition_file, scale_files
from app.scales.rules import RatingInput
from app.services import access, consensus, ratings, scales
from tests.browser import conftest
from tests.browser.conftest import CHROMIUM, TABLET
from tests.browser.test_accessibility import violations
from tests.conftest import migrate, settings_for
from tests.factories import PASSWORD, SCALES_DIR, make_review, make_team, make_user, shipped_scale

SCALE = shipped_scale()
# Items scored with one tap on a level (a banded item's level may be chosen without its
# figure).
TAPPED = [
    item for item in SCALE.items if item.kind in ("anchored", "banded") and not item.per_consultant
]
assert len(TAPPED) >= 12


@dataclass
class Scene:
    review_id: int
    reviewer: str
    other: str  # the second reviewer


def _engine(database: str) -> Engine:
    return create_db_engine(settings_for(database))


def _scene(database: str) -> Scene:
    engine = _engine(database)
    try:
        with Session(engine) as session:
            first = make_user(session, role=Role.AMBASSADOR)
            second = make_user(session, role=Role.AMBASSADOR)
            team = make_team(session, municipalities=(101,))
            review = make_review(session, team=team, reviewers=(first, second))
            assert review.id is not None
            return Scene(review.id, first.username, second.username)
    finally:
        engine.dispose()


def review_in_consensus(
    database: str, *, split: str, scores: tuple[int, int], note: str | None = None
) -> Scene:
    """A review whose two reviewers have scored every item 4 (the item ``split`` with
    ``scores``, one each) and submitted, so that its lead may begin the consensus."""
    engine = _engine(database)
    try:
        with Session(engine) as session:
            lead, second = make_user(session), make_user(session)
            team = make_team(session, municipalities=(101,))
            review = make_review(session, team=team, reviewers=(lead, second))
            assert review.id is not None
            for user, score in zip((lead, second), scores, strict=True):
                who = access.principal_for(session, user=user)
                for item in SCALE.items:
                    change = RatingInput(score=score if item.key == split else 4, note=note)
                    ratings.save_rating(
                        session,
                        principal=who,
                        review_id=review.id,
                        item_key=item.key,
                        change=change,
                        client_id=None,
                    )
                session.commit()
                consensus.submit(session, principal=who, review_id=review.id)
                session.commit()
            return Scene(review.id, lead.username, second.username)
    finally:
        engine.dispose()


def _changes(database: str, review_id: int) -> list[dict[str, object]]:
    """Every stored change of the review, and every audit event of one, oldest first."""
    engine = _engine(database)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT c.client_id, r.item_key, r.rater_kind, c.revision, c.content "
                    "FROM rating_change c JOIN rating r ON r.id = c.rating_id "
                    "WHERE c.review_id = :review ORDER BY c.id"
                ),
                {"review": review_id},
            ).mappings()
            result = []
            for row in rows:
                change = dict(row)
                if isinstance(change["content"], str):  # SQLite hands JSON back as text
                    change["content"] = json.loads(change["content"])
                result.append(change)
            return result
    finally:
        engine.dispose()


def _audited(database: str, review_id: int) -> list[dict[str, object]]:
    engine = _engine(database)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT e.after, e.channel, u.username FROM audit_event e "
                    "LEFT JOIN user_account u ON u.id = e.actor_id "
                    "WHERE e.action = 'rating.saved' AND e.entity_type = 'review' "
                    "AND e.entity_id = :review ORDER BY e.id"
                ),
                {"review": str(review_id)},
            ).mappings()
            result = []
            for row in rows:
                after = row["after"] if isinstance(row["after"], dict) else json.loads(row["after"])
                result.append({**after, "username": row["username"], "channel": row["channel"]})
            return result
    finally:
        engine.dispose()


def _run_sql(database: str, statement: str, **params: object) -> None:
    engine = _engine(database)
    try:
        with engine.begin() as connection:
            connection.execute(text(statement), params)
    finally:
        engine.dispose()


def _watch(page: Page, errors: list[str]) -> Page:
    """Script errors fail the test; so do console errors other than the browser's own
    notes on requests that failed (the network is off on purpose here)."""
    page.on("pageerror", lambda error: errors.append(f"script error: {error}"))
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error"
            and not m.text.startswith("Failed to load resource")
            and "net::ERR_INTERNET_DISCONNECTED" not in m.text
            and "ERR_CONNECTION_REFUSED" not in m.text
            else None
        ),
    )
    return page


@pytest.fixture
def tablets(browser: Browser) -> Iterator[Callable[[], tuple[BrowserContext, Page]]]:
    """Opens fresh tablets (browser contexts with storage of their own)."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def open_tablet() -> tuple[BrowserContext, Page]:
        context = browser.new_context(
            viewport=TABLET, has_touch=True, is_mobile=True, locale="da-DK"
        )
        contexts.append(context)
        return context, _watch(context.new_page(), errors)

    yield open_tablet
    for context in contexts:
        context.close()
    assert errors == [], errors


def sign_in(page: Page, base: str, username: str, then: str = "/") -> None:
    """As a test user (the factories' password)."""
    conftest.sign_in(page, base, username, PASSWORD, then=then)


def open_scoring(page: Page, base: str, review_id: int) -> None:
    """Open the scoring screen and wait until the outbox runs and the service worker
    keeps the page (so that it opens again offline)."""
    page.goto(f"{base}/reviews/{review_id}/score")
    ready(page)
    page.wait_for_function("() => document.documentElement.dataset.worker === 'ready'")
    page.wait_for_function(
        "async () => !!(await (await caches.open('ips-pages')).match(location.pathname))"
    )


def ready(page: Page) -> None:
    page.wait_for_function("() => document.documentElement.dataset.outbox === 'ready'")


def tap_level(page: Page, item_key: str, level: int) -> None:
    page.locator(f"#item-{item_key}").locator("label.level-choice").nth(level - 1).tap()


def state_of(page: Page, item_key: str):  # type: ignore[no-untyped-def]
    return page.locator(f"#item-{item_key}").locator(".save-state")


def waiting(page: Page) -> int:
    return int(
        page.evaluate(
            """() => new Promise((resolve, reject) => {
                 const open = indexedDB.open('ips-fidelity');
                 open.onsuccess = () => {
                   const all = open.result.transaction('outbox').objectStore('outbox').getAll();
                   all.onsuccess = () => resolve(all.result.length);
                   all.onerror = () => reject(all.error);
                 };
                 open.onerror = () => reject(open.error);
               })"""
        )
    )


def api_ratings(page: Page, base: str, review_id: int) -> dict[str, float | None]:
    answer = page.request.get(f"{base}/api/v1/reviews/{review_id}")
    assert answer.status == 200, answer.text()
    return {key: rating["score"] for key, rating in answer.json()["my_ratings"].items()}


def test_ten_items_scored_offline_survive_a_reload_and_a_closed_browser(
    browser: Browser, live_server: str, live_database: str, tmp_path: Path
) -> None:
    scene = _scene(live_database)
    profile = tmp_path / "profile"  # a browser profile on disk, as on a real tablet
    errors: list[str] = []

    def launch(offline: bool) -> BrowserContext:
        return browser.browser_type.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu"],
            viewport=TABLET,
            has_touch=True,
            is_mobile=True,
            locale="da-DK",
            offline=offline,
        )

    context = launch(offline=False)
    page = _watch(context.pages[0] if context.pages else context.new_page(), errors)
    sign_in(page, live_server, scene.reviewer)
    open_scoring(page, live_server, scene.review_id)
    expect(page.locator("#connection")).to_contain_text("Forbundet")
    page.wait_for_timeout(1500)
    expect(page.locator("#connection-news")).to_have_text("")  # nothing to announce yet

    context.set_offline(True)
    expect(page.locator("#connection")).to_contain_text("Ingen forbindelse")
    expect(page.locator("#connection-news")).to_contain_text("Ingen forbindelse")
    scored = {item.key: 1 + number % 5 for number, item in enumerate(TAPPED[:10])}
    for key, level in scored.items():
        tap_level(page, key, level)
        expect(state_of(page, key)).to_contain_text("Kun gemt på denne enhed")
        expect(state_of(page, key)).to_contain_text(f"Score {level}")
    expect(page.locator("#connection")).to_contain_text("10 ændringer venter på at blive sendt")
    # The progress panel, which stays in view while scrolling, says it too.
    expect(page.locator("#progress .progress-outbox")).to_have_text(
        "○ Ingen forbindelse · 10 ændringer venter på at blive sendt."
    )
    assert waiting(page) == 10
    # The device holds scores and notes, no secret: not the session's CSRF token.
    token = json.loads(page.locator("body").get_attribute("hx-headers") or "{}")["X-CSRF-Token"]
    stored = page.evaluate(
        """() => new Promise((resolve) => {
             const open = indexedDB.open('ips-fidelity');
             open.onsuccess = () => {
               const names = Array.from(open.result.objectStoreNames);
               const tx = open.result.transaction(names);
               const all = {};
               names.forEach((name) => {
                 const request = tx.objectStore(name).getAll();
                 request.onsuccess = () => (all[name] = request.result);
               });
               tx.oncomplete = () => resolve(JSON.stringify(all));
             };
           })"""
    )
    assert token not in stored and PASSWORD not in stored
    assert set(json.loads(stored)) == {"outbox", "aside", "known"}
    # The browser was asked to keep the data; the page says so if it would not.
    if not page.evaluate("() => navigator.storage.persisted()"):
        expect(page.locator("#connection")).to_contain_text("Browseren har ikke lovet")

    # Reloaded without a network: the device's copy of the page, with every tap on it.
    page.reload()
    ready(page)
    expect(page.locator("html")).to_have_attribute("data-page-source", "device")
    expect(page.locator("#connection")).to_contain_text("gemt på denne enhed")
    for key, level in scored.items():
        expect(page.locator(f'#item-{key} input[name="score"]:checked')).to_have_value(str(level))
        expect(state_of(page, key)).to_contain_text("Kun gemt på denne enhed")
    assert _changes(live_database, scene.review_id) == []

    # The browser closed and opened again, still without a network.
    context.close()
    context = launch(offline=True)
    page = _watch(context.new_page(), errors)
    page.goto(f"{live_server}/reviews/{scene.review_id}/score")
    ready(page)
    expect(page.locator("#connection")).to_contain_text("10 ændringer venter på at blive sendt")
    for key, level in scored.items():
        expect(page.locator(f'#item-{key} input[name="score"]:checked')).to_have_value(str(level))

    # Online again: everything goes, once.
    context.set_offline(False)
    for key in scored:
        expect(state_of(page, key)).to_contain_text("Gemt på serveren", timeout=15000)
    expect(page.locator("#connection")).to_contain_text("Alle ændringer er gemt på serveren")
    assert waiting(page) == 0
    assert api_ratings(page, live_server, scene.review_id) == scored
    changes = _changes(live_database, scene.review_id)
    assert sorted(str(c["item_key"]) for c in changes) == sorted(scored)
    assert len({c["client_id"] for c in changes}) == 10
    audited = _audited(live_database, scene.review_id)
    assert sorted(str(a["client_id"]) for a in audited) == sorted(
        str(c["client_id"]) for c in changes
    )
    assert {a["username"] for a in audited} == {scene.reviewer}
    # The progress panel followed once the queue was sent.
    expect(page.locator("#progress .progress-count")).to_contain_text("10 af")
    expect(page.locator("#progress .progress-outbox")).to_have_count(0)
    context.close()
    assert errors == [], errors


# A server of its own, in a process that can be killed -------------------------------------


@dataclass
class Server:
    url: str
    database: str
    start: Callable[[], None]
    kill: Callable[[], None]


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def killable_server(tmp_path: Path) -> Iterator[Server]:
    """uvicorn in a child process on a SQLite file of its own, started again on the same
    port after a SIGKILL, as a crashed server is restarted by its supervisor."""
    database = f"sqlite:///{tmp_path / 'killable.db'}"
    migrate(database)
    engine = _engine(database)
    with Session(engine) as session:
        for path in scale_files(SCALES_DIR):
            scales.register_scale(session, scale=load_definition_file(path), channel="cli")
        session.commit()
    engine.dispose()
    port = _port()
    environment = {
        **os.environ,
        "FIDELITY_DATABASE_URL": database,
        "FIDELITY_ENVIRONMENT": "development",
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "app.main:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    process: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        process[:] = [subprocess.Popen(command, cwd=PROJECT_ROOT, env=environment)]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        pytest.fail("the server did not start within 20 s")

    def kill() -> None:
        os.kill(process[0].pid, signal.SIGKILL)
        process[0].wait(timeout=10)

    start()
    yield Server(f"http://127.0.0.1:{port}", database, start, kill)
    if process and process[0].poll() is None:
        process[0].terminate()
        process[0].wait(timeout=10)


def test_a_burst_of_taps_through_a_dropped_network_and_a_killed_server_arrives_once(
    tablets: Callable[[], tuple[BrowserContext, Page]], killable_server: Server
) -> None:
    server = killable_server
    scene = _scene(server.database)
    context, page = tablets()
    sign_in(page, server.url, scene.reviewer)
    open_scoring(page, server.url, scene.review_id)
    keys = [item.key for item in TAPPED[:12]]
    # A burst: some arrive and are acknowledged…
    for key in keys[:4]:
        tap_level(page, key, 4)
    expect(state_of(page, keys[3])).to_contain_text("Gemt på serveren")
    # …the network drops in the middle of it…
    for key in keys[4:6]:
        tap_level(page, key, 3)
    context.set_offline(True)
    for key in keys[6:9]:
        tap_level(page, key, 2)
    # …the server dies (the tablet is online again meanwhile, and its sends fail)…
    server.kill()
    context.set_offline(False)
    for key in keys[9:]:
        tap_level(page, key, 5)
    tap_level(page, keys[0], 1)  # a second change of an item already sent
    for key in keys[9:]:
        expect(state_of(page, key)).to_contain_text("Kun gemt på denne enhed")
    # …and comes back. The queue is sent (the tablet retries; the button says "now").
    server.start()
    page.get_by_role("button", name="Send nu").tap()
    expect(page.locator("#connection")).to_contain_text(
        "Alle ændringer er gemt på serveren", timeout=30000
    )
    assert waiting(page) == 0
    expected = dict.fromkeys(keys[:4], 4) | dict.fromkeys(keys[4:6], 3)
    expected |= dict.fromkeys(keys[6:9], 2) | dict.fromkeys(keys[9:], 5) | {keys[0]: 1}
    assert api_ratings(page, server.url, scene.review_id) == expected
    changes = _changes(server.database, scene.review_id)
    assert len(changes) == 13  # twelve items, one of them changed twice
    assert len({c["client_id"] for c in changes}) == 13
    assert [c["revision"] for c in changes if c["item_key"] == keys[0]] == [1, 2]
    assert len(_audited(server.database, scene.review_id)) == 13


def test_a_change_made_elsewhere_meanwhile_is_shown_and_the_reviewer_chooses(
    tablets: Callable[[], tuple[BrowserContext, Page]], live_server: str, live_database: str
) -> None:
    """Only a rating's own reviewer may change it (and only the lead the consensus), so a
    conflict comes from the same person on a second device."""
    scene = _scene(live_database)
    keep, take, other = (item.key for item in TAPPED[:3])
    context, page = tablets()
    sign_in(page, live_server, scene.reviewer)
    open_scoring(page, live_server, scene.review_id)
    for key in (keep, take):
        tap_level(page, key, 3)
        expect(state_of(page, key)).to_contain_text("Gemt på serveren")

    context.set_offline(True)
    tap_level(page, keep, 4)
    tap_level(page, take, 5)
    tap_level(page, other, 2)

    _, laptop = tablets()
    sign_in(laptop, live_server, scene.reviewer)
    open_scoring(laptop, live_server, scene.review_id)
    tap_level(laptop, keep, 2)
    tap_level(laptop, take, 1)
    expect(state_of(laptop, keep)).to_contain_text("Score 2")
    expect(state_of(laptop, take)).to_contain_text("Score 1")
    expect(laptop.locator("#connection")).to_contain_text("Alle ændringer er gemt på serveren")

    context.set_offline(False)
    for key, stored, mine in ((keep, 2, 4), (take, 1, 5)):
        state = state_of(page, key)
        expect(state).to_contain_text("ændret et andet sted", timeout=15000)
        expect(state).to_contain_text(f"Gemt værdi: Score {stored}")
        expect(state).to_contain_text(f"Din værdi: Score {mine}")
    # The other item was not held up by the conflicts.
    expect(state_of(page, other)).to_contain_text("Gemt på serveren")
    expect(page.locator("#connection")).to_contain_text("2 items er ændret et andet sted")
    assert violations(page) == []  # the banner and both states, with their buttons

    # Another tap on the item before choosing: the choice stays, with the newest value.
    tap_level(page, keep, 5)
    expect(state_of(page, keep)).to_contain_text("Din værdi: Score 5")
    expect(state_of(page, keep)).to_contain_text("Gemt værdi: Score 2")
    page.locator(f"#item-{keep}").get_by_role("button", name="Behold min værdi").tap()
    expect(state_of(page, keep)).to_contain_text("Gemt på serveren")
    expect(state_of(page, keep)).to_contain_text("Score 5")
    page.locator(f"#item-{take}").get_by_role("button", name="Brug den gemte").tap()
    expect(page.locator(f'#item-{take} input[name="score"]:checked')).to_have_value("1")
    expect(state_of(page, take)).to_contain_text("Score 1")
    expect(page.locator("#connection")).to_contain_text("Alle ændringer er gemt på serveren")

    assert api_ratings(page, live_server, scene.review_id) == {keep: 5, take: 1, other: 2}
    changes = _changes(live_database, scene.review_id)
    # keep: 3 (tablet), 2 (laptop), 4 and 5 (kept, knowingly on top of 2); take: 3, 1.
    assert [c["content"]["score"] for c in changes if c["item_key"] == keep] == [3, 2, 4, 5]  # type: ignore[index]
    assert [c["content"]["score"] for c in changes if c["item_key"] == take] == [3, 1]  # type: ignore[index]
    assert waiting(page) == 0


def test_a_session_that_expires_offline_keeps_the_queue_for_its_own_user(
    tablets: Callable[[], tuple[BrowserContext, Page]], live_server: str, live_database: str
) -> None:
    scene = _scene(live_database)
    keys = [item.key for item in TAPPED[:3]]
    score_page = f"/reviews/{scene.review_id}/score"
    context, page = tablets()
    sign_in(page, live_server, scene.reviewer)
    open_scoring(page, live_server, scene.review_id)

    context.set_offline(True)
    for key in keys:
        tap_level(page, key, 4)
    # Signing out with changes not sent asks first; here the reviewer stays.
    questions: list[str] = []

    def answer(dialog) -> None:  # type: ignore[no-untyped-def]
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", answer)
    page.get_by_role("button", name="Log ud").tap()
    assert questions and "3 ændringer er ikke sendt endnu" in questions[0]
    expect(page).to_have_url(f"{live_server}{score_page}")

    # Meanwhile the session runs out.
    _run_sql(
        live_database,
        "UPDATE user_session SET expires_at = :past WHERE user_id = "
        "(SELECT id FROM user_account WHERE username = :name)",
        past=utcnow() - timedelta(minutes=1),
        name=scene.reviewer,
    )
    context.set_offline(False)
    expect(page.locator("#connection")).to_contain_text(
        "Du er ikke logget ind længere", timeout=15000
    )
    for key in keys:
        expect(state_of(page, key)).to_contain_text("Kun gemt på denne enhed")
    assert _changes(live_database, scene.review_id) == []
    # The session has ended: the page kept for offline use goes with it.
    page.wait_for_function(
        "async () => (await (await caches.open('ips-pages')).keys()).length === 0"
    )

    # Another person signs in on the tablet: the changes are not theirs to send.
    sign_in(page, live_server, scene.other, then=score_page)
    ready(page)
    expect(page.locator("#connection")).to_contain_text(f"3 ændringer lavet af {scene.reviewer}")
    # The pages kept for the one before are gone; this person's own screen is kept.
    page.wait_for_function(
        """async (user) => {
             const cache = await caches.open('ips-pages');
             const kept = await cache.keys();
             if (kept.length !== 1 || !kept[0].url.endsWith(location.pathname)) return false;
             return (await (await cache.match(kept[0])).text()).includes(`data-user="${user}"`);
           }""",
        arg=scene.other,
    )
    page.evaluate("() => new Promise((resolve) => setTimeout(resolve, 1500))")
    assert _changes(live_database, scene.review_id) == []
    assert waiting(page) == 3
    page.get_by_role("button", name="Log ud").tap()  # nothing of theirs waits: no question
    page.wait_for_url(f"{live_server}/login?signed_out=1")
    expect(page.locator("#connection")).to_contain_text(f"lavet af {scene.reviewer}")

    # The reviewer signs in again: the queue goes, under their name.
    sign_in(page, live_server, scene.reviewer, then=score_page)
    ready(page)
    for key in keys:
        expect(state_of(page, key)).to_contain_text("Gemt på serveren", timeout=15000)
    assert api_ratings(page, live_server, scene.review_id) == dict.fromkeys(keys, 4)
    audited = _audited(live_database, scene.review_id)
    assert [a["username"] for a in audited] == [scene.reviewer] * 3
    assert waiting(page) == 0


def test_damaged_entries_are_set_aside_and_a_finalised_review_refuses_with_the_value(
    tablets: Callable[[], tuple[BrowserContext, Page]], live_server: str, live_database: str
) -> None:
    scene = _scene(live_database)
    first, second = (item.key for item in TAPPED[:2])
    context, page = tablets()
    sign_in(page, live_server, scene.reviewer)
    open_scoring(page, live_server, scene.review_id)
    context.set_offline(True)
    tap_level(page, first, 3)
    expect(state_of(page, first)).to_contain_text("Kun gemt på denne enhed")
    # Two damaged entries before the good one: a body that is not an object, and a change
    # for a review that does not exist.
    page.evaluate(
        """([user, review]) => new Promise((resolve, reject) => {
             const open = indexedDB.open('ips-fidelity');
             open.onsuccess = () => {
               const tx = open.result.transaction('outbox', 'readwrite');
               const store = tx.objectStore('outbox');
               const base = {user, item_key: 'disclosure', mode: 'rating', base_revision: 0,
                             after: null, created_at: 'x', state: 'queued', problem: null};
               store.add({...base, client_id: crypto.randomUUID(), review_id: review,
                          body: '{not json'});
               store.add({...base, client_id: crypto.randomUUID(), review_id: 987654,
                          body: {score: 2}});
               tx.oncomplete = () => resolve(true);
               tx.onerror = () => reject(tx.error);
             };
           })""",
        [scene.reviewer, scene.review_id],
    )
    tap_level(page, second, 4)
    # The review is finalised elsewhere before the tablet is back online.
    _run_sql(
        live_database,
        "UPDATE review SET status = 'finalised', finalised_at = :now WHERE id = :review",
        now=utcnow(),
        review=scene.review_id,
    )
    context.set_offline(False)
    for key, level in ((first, 3), (second, 4)):
        state = state_of(page, key)
        expect(state).to_contain_text("Ikke gemt", timeout=15000)
        expect(state).to_contain_text("afsluttet og låst")
        expect(state).to_contain_text(f"Din værdi: Score {level}")
    banner = page.locator("#connection")
    expect(banner).to_contain_text("2 ændringer blev afvist af serveren")
    expect(banner).to_contain_text("2 ødelagte ændringer på enheden er lagt til side")
    assert _changes(live_database, scene.review_id) == []

    # Nothing is lost: the file holds the refused changes and the ones set aside.
    with page.expect_download() as download:
        page.get_by_role("button", name="Hent ventende ændringer som fil").tap()
    saved = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert saved["format"] == "ips-fidelity-outbox"
    assert [(e["item_key"], e["state"], e["body"]["score"]) for e in saved["entries"]] == [
        (first, "refused", 3),
        (second, "refused", 4),
    ]
    assert saved["entries"][0]["problem"]["code"] == "err_review_finalised"
    assert sorted(str(a["entry"]["review_id"]) for a in saved["set_aside"]) == sorted(
        [str(scene.review_id), "987654"]
    )

    # Removing a refusal the reviewer has seen.
    page.locator(f"#item-{first}").get_by_role("button", name="Fjern").tap()
    ready(page)
    expect(banner).to_contain_text("1 ændring blev afvist af serveren")


@pytest.mark.parametrize("gap_ms", [4, 15])
def test_quick_taps_on_one_item_are_each_stored_in_order(
    tablets: Callable[[], tuple[BrowserContext, Page]],
    live_server: str,
    live_database: str,
    gap_ms: int,
) -> None:
    """A tap made while the item's previous change is on its way waits for it and takes
    its revision; none is set aside or seen as a conflict."""
    scene = _scene(live_database)
    key = TAPPED[0].key
    _, page = tablets()
    sign_in(page, live_server, scene.reviewer)
    open_scoring(page, live_server, scene.review_id)
    # As fast as a finger can: each tap a few milliseconds after the one before.
    page.evaluate(
        """async ([key, gap]) => {
             for (const level of [1, 2, 3, 4, 5, 3]) {
               document.querySelector(`#item-${key} input[name="score"][value="${level}"]`).click();
               await new Promise((resolve) => setTimeout(resolve, gap));
             }
           }""",
        [key, gap_ms],
    )
    expect(state_of(page, key)).to_contain_text("Score 3")
    expect(state_of(page, key)).to_contain_text("Gemt på serveren")
    expect(page.locator("#connection")).to_contain_text("Alle ændringer er gemt på serveren")
    assert waiting(page) == 0
    assert (
        page.evaluate(
            """() => new Promise((resolve) => {
             const open = indexedDB.open('ips-fidelity');
             open.onsuccess = () => {
               const all = open.result.transaction('aside').objectStore('aside').getAll();
               all.onsuccess = () => resolve(all.result.length);
             };
           })"""
        )
        == 0
    )
    changes = _changes(live_database, scene.review_id)
    assert [(c["revision"], c["content"]["score"]) for c in changes] == [  # type: ignore[index]
        (1, 1),
        (2, 2),
        (3, 3),
        (4, 4),
        (5, 5),
        (6, 3),
    ]


def test_two_tabs_share_one_outbox_and_a_change_in_each_is_a_conflict_to_settle(
    tablets: Callable[[], tuple[BrowserContext, Page]], live_server: str, live_database: str
) -> None:
    """One tab sends for both (a Web Lock) and both are told what arrived. The same item
    changed in both before either heard of the other is a conflict, as from two devices:
    the second change does not overwrite the first unseen."""
    scene = _scene(live_database)
    first_key, second_key = TAPPED[0].key, TAPPED[1].key
    context, first = tablets()
    sign_in(first, live_server, scene.reviewer)
    open_scoring(first, live_server, scene.review_id)
    second = _watch(context.new_page(), [])
    second.goto(f"{live_server}/reviews/{scene.review_id}/score")
    ready(second)
    context.set_offline(True)
    tap_level(first, first_key, 2)
    tap_level(second, second_key, 3)
    tap_level(second, first_key, 4)  # the same item, from the other tab
    context.set_offline(False)
    for page in (first, second):
        expect(state_of(page, second_key)).to_contain_text("Gemt på serveren", timeout=15000)
        state = state_of(page, first_key)
        expect(state).to_contain_text("ændret et andet sted", timeout=15000)
        expect(state).to_contain_text("Gemt værdi: Score 2")
        expect(state).to_contain_text("Din værdi: Score 4")
    assert api_ratings(first, live_server, scene.review_id)[first_key] == 2, "not overwritten"
    # The second tab's reviewer chooses theirs: sent again, knowingly on top of the 2.
    second.locator(f"#item-{first_key}").get_by_role("button", name="Behold min værdi").tap()
    for page in (first, second):
        expect(state_of(page, first_key)).to_contain_text("Gemt på serveren", timeout=15000)
        expect(state_of(page, first_key)).to_contain_text("Score 4")
    # The first tab shows the value that now stands, so its next change carries it along:
    # ticking a source there keeps the 4.
    expect(first.locator(f'#item-{first_key} input[name="score"]:checked')).to_have_value("4")
    first.locator(f'#item-{first_key} input[name="evidence"][value="INT"]').check()
    deadline = time.monotonic() + 10
    while len(changes := _changes(live_database, scene.review_id)) < 4:
        assert time.monotonic() < deadline, changes
        time.sleep(0.1)
    expect(state_of(first, first_key)).to_contain_text("Gemt på serveren")
    assert [
        (c["item_key"], c["content"]["score"], c["content"]["evidence"])  # type: ignore[index]
        for c in changes
    ] == [
        (first_key, 2, []),
        (second_key, 3, []),
        (first_key, 4, []),
        (first_key, 4, ["INT"]),
    ]
