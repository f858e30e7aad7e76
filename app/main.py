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
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from sqlalchemy.exc import DataError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import api
from app.config import PROJECT_ROOT, Settings, get_settings
from app.db import (
    READ_ONLY,
    READING_METHODS,
    LoopWrites,
    create_db_engine,
    create_loop_engines,
    read_session,
    schema_state,
    side_unit_of_work,
    unit_of_work,
)
from app.errors import (
    DomainError,
    Forbidden,
    NotAuthenticated,
    NotFound,
    NotVisible,
    TooManyAttempts,
)
from app.i18n import COOKIE, LANGUAGES, Language, resolve_language, translator
from app.services import audit
from app.web import (
    admin,
    api_docs,
    feedback_pages,
    health,
    national_pages,
    offline,
    pages,
    scoring_pages,
    signin,
)
from app.web.auth import SESSION_COOKIE, client_address
from app.web.htmx import is_htmx, render
from app.web.policy import CONTENT_SECURITY_POLICY
from app.web.signin import login_url

logger = logging.getLogger("app")


# Every route of the app lives on one of these routers (the authorisation matrix test
# walks them, so a route added anywhere else would escape it).
ROUTERS = (
    *api.ROUTERS,  # first: a tablet's saves are matched before the pages' routes are tried
    health.router,
    offline.router,
    signin.router,
    scoring_pages.router,  # before pages: /reviews/new must not match /reviews/{review_id}
    pages.router,
    feedback_pages.router,
    national_pages.router,
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
    # Static files are compressed on the way out (plotly.js: 1.2 MB, about 0.4 MB
    # gzipped), pages are not: a page carries its CSRF token beside text a visitor can
    # choose, which compression could leak (BREACH).
    static = StaticFiles(directory=PROJECT_ROOT / "app" / "static")
    app.mount("/static", GZipMiddleware(static, minimum_size=1024, compresslevel=6), name="static")
    for router in ROUTERS:
        app.include_router(router)
    _add_error_handlers(app)
    return app


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
                _protect_headers(headers, request)
                if asked in LANGUAGES:
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


def _protect(request: Request, response: Response) -> None:
    _protect_headers(response.headers, request)


def _protect_headers(headers: MutableHeaders, request: Request) -> None:
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    # From the scope rather than request.url, which would build a URL on every response.
    if request.scope.get("scheme") == "https":
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    path = request.scope["path"]
    if path.startswith("/static/vendor/"):
        # Third-party files change only with package-lock.json: a week in the cache.
        headers.setdefault("Cache-Control", "public, max-age=604800")
    elif path.startswith("/static/"):
        headers.setdefault("Cache-Control", "no-cache")  # the app's own: revalidate
    else:
        headers.setdefault("Cache-Control", "no-store")


def _language(request: Request) -> Language:
    """The request's language; the default if the error came before the middleware set it."""
    language = getattr(request.state, "language", None)
    return language if language in LANGUAGES else request.app.state.settings.default_language  # type: ignore[no-any-return]


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _problem(status: int, title: str, detail: str, **extra: object) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def _error_page(request: Request, status: int, detail: str) -> Response:
    if not hasattr(request.state, "language"):
        request.state.language = request.app.state.settings.default_language
    return render(
        request, "errors/error.html", {"status": status, "detail": detail}, status_code=status
    )


def _record_denial(request: Request, error: DomainError) -> None:
    """A refused request by a known caller goes into the audit trail, in its own unit of
    work: the request's own was rolled back with the error."""
    principal = getattr(request.state, "principal", None)
    known_user = getattr(error, "user_id", None)  # a revoked token's or disabled user's
    if principal is None and known_user is None:
        return
    # A hidden record is named, so "who tried to open review 12?" is one filter away.
    entity = _HIDDEN_RECORDS.get(error.key or "") if isinstance(error, NotVisible) else None
    with side_unit_of_work(request) as session:
        audit.record(
            session,
            action="access.denied",
            by=principal,
            actor_id=known_user,
            channel=None if principal else "api",
            client_address=None if principal else client_address(request),
            entity_type=entity,
            entity_id=error.params.get("id") if entity else None,  # type: ignore[arg-type]
            after={
                "method": request.method,
                "path": request.url.path,
                "status": error.status_code,
                "reason": error.detail,
            },
        )


_HIDDEN_RECORDS = {"err_no_team": "team", "err_no_review": "review"}


def _not_authenticated(request: Request, error: NotAuthenticated) -> Response:
    """401 for the API and for any refused bearer token; for pages, back to the sign-in
    page and then to where they were."""
    if _wants_json(request) or getattr(request.state, "bearer_refused", False):
        response: Response = _problem(401, error.title, _API_AUTH_MESSAGES[error.detail])
        response.headers["WWW-Authenticate"] = 'Bearer realm="IPS Fidelity"'
    else:
        target = login_url(request, expired=error.expired)
        if is_htmx(request):
            response = Response(status_code=401, headers={"HX-Redirect": target})
        else:
            response = RedirectResponse(target, status_code=303)
    if error.expired:
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


_API_AUTH_MESSAGES = {
    "sign_in_required": "Send an API token as 'Authorization: Bearer <token>' "
    "(an administrator creates one with `fidelity users token USERNAME`).",
    "session_expired": "The session has expired; sign in again.",
    "session_ended": "The session has ended; sign in again.",
    "unknown_token": "The API token is not valid; check that it was copied whole.",
    "revoked_token": "The API token has been revoked; ask an administrator for a new one.",
    "token_user_disabled": "The API token's user is disabled.",
}


_INVALID_KINDS = {
    "int_parsing": "invalid_value_int",
    "int_type": "invalid_value_int",
    "int_from_float": "invalid_value_int",
    "float_parsing": "invalid_value_float",
    "float_type": "invalid_value_float",
    "missing": "invalid_value_missing",
    "string_too_long": "invalid_value_too_long",
    "too_long": "invalid_value_too_long",
    "greater_than_equal": "invalid_value_too_small",
    "greater_than": "invalid_value_too_small",
    "less_than_equal": "invalid_value_too_large",
    "less_than": "invalid_value_too_large",
    "literal_error": "invalid_value_choice",
    "enum": "invalid_value_choice",
    "date_parsing": "invalid_value_date",
    "date_from_datetime_parsing": "invalid_value_date",
    "date_type": "invalid_value_date",
}


def _invalid_value(problem: Any, language: Language) -> str:
    """One refused value for a person, in their language: which field, and what it
    should be (Pydantic's own words are English and technical)."""
    names = [part for part in problem["loc"] if isinstance(part, str) and part != "body"]
    field = names[-1] if names else "?"  # ("body", "municipalities", 0): the field's name
    context = problem.get("ctx") or {}
    key = _INVALID_KINDS.get(problem["type"], "invalid_value_other")
    words = translator(language)(key).format(
        max=context.get("max_length", context.get("le", context.get("lt", ""))),
        min=context.get("ge", context.get("gt", "")),
        allowed=str(context.get("expected", "")).replace(" or ", ", "),  # Pydantic's English
    )
    return f"»{field}« {words}" if language == "da" else f"'{field}' {words}"


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, error: DomainError) -> Response:
        if isinstance(error, Forbidden | NotVisible) or getattr(error, "user_id", None):
            await run_in_threadpool(_record_denial, request, error)
        if isinstance(error, NotAuthenticated):
            return _not_authenticated(request, error)
        if _wants_json(request):
            detail = translator("en")(error.detail)
            # An error made without a catalogue key may name one as its detail (csrf_failed).
            code = error.key or (error.detail if error.detail in translator("en") else None)
            said = {"code": code, "message": error.message(_language(request))}
            if isinstance(error, NotVisible) or error.key in _HIDDEN_RECORDS:
                detail = "not found"  # the same words whether it exists or not
                hidden = NotFound.of("err_not_found_any")
                said = {"code": "not_found", "message": hidden.message(_language(request))}
            # ``code`` names the refusal for a program (the tablets' outbox sorts its
            # answers by it); ``message`` says it in the caller's language.
            response: Response = _problem(
                error.status_code, error.title, detail, **said, **error.extra
            )
        else:
            response = _error_page(request, error.status_code, error.message(_language(request)))
        if isinstance(error, TooManyAttempts):
            response.headers["Retry-After"] = str(error.retry_after)
        return response

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        detail = str(error.detail)
        if error.status_code == 400 and "exceeded maximum size" in detail:
            # Starlette's form parser refuses a field over 1 MiB before any route runs.
            error = StarletteHTTPException(422, "field_too_long")
            detail = "field_too_long"
        if _wants_json(request):
            return _problem(error.status_code, detail, detail)
        if error.status_code == 404:
            detail = "not_found"
        return _error_page(request, error.status_code, detail)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> Response:
        if _wants_json(request):
            problems = [
                f"{'.'.join(str(part) for part in e['loc'] if part != 'body')}: {e['msg']}"
                for e in error.errors()
            ]
            return _problem(422, "Invalid input", "; ".join(problems), errors=problems)
        language = _language(request)
        lead = translator(language)("invalid_input")
        said = "; ".join(_invalid_value(e, language) for e in error.errors())
        return _error_page(request, 422, f"{lead} {said}")

    @app.exception_handler(DataError)
    async def refused_value(request: Request, error: DataError) -> Response:
        # PostgreSQL refuses NUL characters in text; anything else it refuses is a bug.
        if "NUL" not in str(error.orig):
            return await server_error(request, error)
        if _wants_json(request):
            return _problem(422, "Invalid input", translator("en")("field_nul"))
        return _error_page(request, 422, translator(_language(request))("field_nul"))

    @app.exception_handler(Exception)
    async def server_error(request: Request, error: Exception) -> Response:
        # This handler runs outside the middleware stack, so it sets the headers itself.
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        if _wants_json(request):
            response: Response = _problem(
                500, "Server error", "The server ran into an error; try again."
            )
        else:
            response = _error_page(request, 500, "server_error")
        _protect(request, response)
        return response
