"""The application factory: middleware, routers, static files and error handlers.

``create_app()`` reads the settings (or takes them, in tests) and opens one engine for the
process. Run it with ``fidelity serve`` (or ``uvicorn --factory app.main:create_app``);
each worker process builds its own app and engine.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.datastructures import MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import api
from app.config import PROJECT_ROOT, Settings, get_settings
from app.db import READING_METHODS, LoopWrites, read_session, unit_of_work
from app.db.engines import READ_ONLY, create_db_engine, create_loop_engines
from app.db.migrate import schema_state
from app.i18n import COOKIE, LANGUAGES, resolve_language, translator
from app.web import (
    admin,
    api_docs,
    consultant_pages,
    corps_pages,
    feedback_pages,
    health,
    instrument_pages,
    national_pages,
    offline,
    outcome_pages,
    pages,
    planning_pages,
    review_pages,
    round_pages,
    scale_pages,
    scoring_pages,
    signin,
    status_report_pages,
    team_pages,
)
from app.web.error_handlers import add_error_handlers
from app.web.policy import protect_headers

logger = logging.getLogger("app")


# Every route of the app lives on one of these routers (the authorisation matrix test
# walks them, so a route added anywhere else would escape it).
ROUTERS = (
    *api.ROUTERS,  # first: a tablet's saves are matched before the pages' routes are tried
    health.router,
    offline.router,
    signin.router,
    planning_pages.router,  # before review_pages: /reviews/new is not /reviews/{review_id}
    scoring_pages.router,
    pages.router,
    scale_pages.router,
    instrument_pages.router,
    team_pages.router,
    review_pages.router,
    feedback_pages.router,
    round_pages.router,
    consultant_pages.router,
    national_pages.router,
    outcome_pages.router,
    corps_pages.router,
    status_report_pages.router,
    admin.router,
    api_docs.router,
)


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """A configured application; ``engine`` is shared with the caller when given."""
    settings = settings or get_settings()
    owns_engine = engine is None
    app_engine = engine or create_db_engine(settings)
    loop_engines = create_loop_engines(app_engine, settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = schema_state(app_engine)
        if not state.ok:
            logger.error("IPS Fidelity cannot serve yet: %s", state.message)
        yield
        if loop_engines is not None:
            loop_engines.dispose()
        if owns_engine:
            app_engine.dispose()

    app = FastAPI(
        title="IPS Fidelity",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # our own /docs (app/web/api_docs.py) for signed-in users, CSP kept
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.settings = settings
    for language in LANGUAGES:  # without its compiled catalogue the app stops here, not later
        translator(language)
    app.state.engine = app_engine
    app.state.read_engine = app_engine.execution_options(**READ_ONLY)  # same pool, BEGIN deferred
    app.state.loop_engines = loop_engines  # SQLite: the event loop's own connections
    app.state.loop_writes = LoopWrites(app_engine)
    app.state.read_connection = app.state.read_engine.connect
    app.state.unit_of_work = lambda: unit_of_work(app_engine)
    app.state.read_session = lambda: read_session(app_engine)
    app.add_middleware(_Surroundings)
    app.add_middleware(_HeadAsGet)
    # Static files are compressed on the way out (plotly.js: 1.2 MB, about 0.4 MB
    # gzipped), pages are not: a page carries its CSRF token beside text a visitor can
    # choose, which compression could leak (BREACH).
    static = StaticFiles(directory=PROJECT_ROOT / "app" / "static")
    app.mount("/static", GZipMiddleware(static, minimum_size=1024, compresslevel=6), name="static")
    for router in ROUTERS:
        app.include_router(router)
    add_error_handlers(app)
    return app


class _HeadAsGet:
    """HEAD is answered as GET without the content, as HTTP asks of every GET address
    (FastAPI's routes list GET only, so an uptime check's HEAD met a 405): the headers,
    Content-Length included, are the GET's; the body never leaves. The server also
    knows the request was a HEAD, so it sends no body either way."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # the rest of a streamed body: dropped as it comes
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_headers_only)


class _Surroundings:
    """What every request gets around it: its interface language (an explicit ``?lang=``
    choice is remembered in a cookie) and the same protective headers on every response,
    static files included.

    The CSP allows no inline script and no eval: htmx runs with ``allowEval: false`` and
    without its injected indicator styles (see the htmx-config meta tag in _base.html).
    Pages about named teams are never stored by the browser's or a proxy's HTTP cache.

    Plain ASGI rather than ``@app.middleware("http")``: Starlette's BaseHTTPMiddleware
    runs each response through extra streams, which cost about a millisecond a request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        asked = request.query_params.get("lang") if scope.get("query_string") else None
        state = scope["app"].state
        request.state.language = resolve_language(
            asked, request.cookies.get(COOKIE), state.settings.default_language
        )

        async def send_protected(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                protect_headers(headers, request)
                # Remembered for the pages; an API call's ?lang= (a tablet's outbox
                # sending a figure typed in Danish) says how to read that one request.
                if asked in LANGUAGES and not scope["path"].startswith("/api/"):
                    headers.append("set-cookie", _language_cookie(asked))
            await send(message)

        if scope["method"] in READING_METHODS or state.engine.dialect.name != "sqlite":
            await self.app(scope, receive, send_protected)
            return
        async with _write_gate():
            await self.app(scope, receive, send_protected)


WRITERS_IN_FLIGHT = 8
_WRITE_GATES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def _write_gate() -> asyncio.Semaphore:
    """How many state-changing requests may be under way at once in this process (SQLite).

    SQLite has one writer at a time; the others wait for their turn in worker threads.
    Were every worker thread waiting, the writer holding the turn could get none to
    finish its request, and all would stall until SQLite's timeout. Requests beyond this
    many wait here instead, on the event loop, holding no thread.
    """
    loop = asyncio.get_running_loop()
    gate = _WRITE_GATES.get(loop)
    if gate is None:
        gate = _WRITE_GATES[loop] = asyncio.Semaphore(WRITERS_IN_FLIGHT)
    return gate


def _language_cookie(language: str) -> str:
    carrier = Response()
    carrier.set_cookie(COOKIE, language, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return carrier.headers["set-cookie"]
