"""A live server and Debian's Chromium for browser tests.

The server runs the real app under uvicorn in a thread, on a throwaway SQLite database
built by the migrations with the shipped scales published. Chromium is Debian's
(/usr/bin/chromium): Playwright's own browser download does not work on these machines.
Without it the tests skip locally and fail in CI.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from sqlmodel import Session

from app.db.engines import create_db_engine
from app.main import create_app
from app.scales.loader import load_definition_file, scale_files
from app.services import demo, scales
from app.services.demo import DEMO_PASSWORD
from app.services.demo.workshop import DEMO_DRAFTS
from tests.conftest import migrate, settings_for
from tests.factories import SCALES_DIR

CHROMIUM = "/usr/bin/chromium"
TABLET = {"width": 820, "height": 1180}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def live_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of the live server's database, for tests that check what it holds."""
    return f"sqlite:///{tmp_path_factory.mktemp('browser') / 'fidelity.db'}"


@pytest.fixture(scope="session")
def live_server(live_database: str) -> Iterator[str]:
    url = live_database
    migrate(url)
    settings = settings_for(url)
    engine = create_db_engine(settings)
    with Session(engine) as session:
        # Every shipped version published, but the panel's drafts, which the demo registers
        # as drafts (with their comments).
        for path in scale_files(SCALES_DIR):
            if (path.parent.name, path.stem) not in DEMO_DRAFTS:
                scales.register_scale(session, scale=load_definition_file(path), channel="cli")
        demo.load_demo(session, scales_dir=SCALES_DIR)  # teams, reviews, a user of each role
        session.commit()
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, engine=engine), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline:
            pytest.fail("the live server did not start within 15 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing; .ci/run installs Debian's chromium package")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def anonymous_tablet(browser: Browser) -> Iterator[Page]:
    """A page in a tablet-sized, touch-enabled context that fails the test on script errors,
    on CSP violations and on failed sub-resources (a page's own status is the test's
    business)."""
    context: BrowserContext = browser.new_context(
        viewport=TABLET, has_touch=True, is_mobile=True, device_scale_factor=2, locale="da-DK"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"script error: {error}"))
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} for {r.url}")
            if r.status >= 400 and not r.request.is_navigation_request()
            else None
        ),
    )
    yield page
    context.close()
    assert errors == [], f"the page logged errors: {errors}"


def sign_in(
    page: Page, live_server: str, username: str, password: str = DEMO_PASSWORD, then: str = "/"
) -> None:
    """Sign in through the real form, as a person would, and land on ``then``."""
    page.goto(f"{live_server}/login?next={then}")
    page.get_by_label("Brugernavn").fill(username)
    page.get_by_label("Adgangskode").fill(password)
    page.get_by_role("button", name="Log ind").tap()
    page.wait_for_url(live_server + then)


@pytest.fixture
def tablet(anonymous_tablet: Page, live_server: str) -> Page:
    """The tablet, signed in as the demo's STAR analyst (who may read every page but the
    administration)."""
    sign_in(anonymous_tablet, live_server, "analytiker.star")
    return anonymous_tablet
