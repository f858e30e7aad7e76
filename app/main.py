"""The application factory: middleware, routers, static files and error handlers.

``create_app()`` reads the settings (or takes them, in tests) and opens one engine for the
process. Run it with ``fidelity serve`` (or ``uvicorn --factory app.main:create_app``);
each worker process builds its own app and engine.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.config import PROJECT_ROOT, Settings, get_settings
from app.db import create_db_engine, schema_state
from app.errors import DomainError
from app.i18n import COOKIE, LANGUAGES, resolve_language
from app.web import health, pages
from app.web.htmx import render

logger = logging.getLogger("app")


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    """A configured application; ``engine`` is shared with the caller when given."""
    settings = settings or get_settings()
    owns_engine = engine is None
    app_engine = engine or create_db_engine(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = schema_state(app_engine)
        if not state.ok:
            logger.error("IPS Fidelity cannot serve yet: %s", state.message)
        yield
        if owns_engine:
            app_engine.dispose()

    app = FastAPI(
        title="IPS Fidelity",
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = app_engine
    app.middleware("http")(_language_middleware)
    app.mount("/static", StaticFiles(directory=PROJECT_ROOT / "app" / "static"), name="static")
    app.include_router(health.router)
    app.include_router(pages.router)
    _add_error_handlers(app)
    return app


async def _language_middleware(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Pick the interface language; remember an explicit ``?lang=`` choice in a cookie."""
    asked = request.query_params.get("lang")
    request.state.language = resolve_language(
        asked, request.cookies.get(COOKIE), request.app.state.settings.default_language
    )
    response = await call_next(request)
    if asked in LANGUAGES:
        response.set_cookie(COOKIE, asked, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response


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


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, error: DomainError) -> Response:
        if _wants_json(request):
            return _problem(error.status_code, error.title, error.detail)
        return _error_page(request, error.status_code, error.detail)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        detail = str(error.detail)
        if _wants_json(request):
            return _problem(error.status_code, detail, detail)
        if error.status_code == 404:
            detail = "not_found"
        return _error_page(request, error.status_code, detail)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> Response:
        problems = [
            f"{'.'.join(str(part) for part in e['loc'] if part != 'body')}: {e['msg']}"
            for e in error.errors()
        ]
        if _wants_json(request):
            return _problem(422, "Invalid input", "; ".join(problems), errors=problems)
        return _error_page(request, 422, "; ".join(problems))

    @app.exception_handler(Exception)
    async def server_error(request: Request, error: Exception) -> Response:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        if _wants_json(request):
            return _problem(500, "Server error", "The server ran into an error; try again.")
        return _error_page(request, 500, "server_error")
