"""How an error is answered: a domain error, a refused value, a missing page or a bug
becomes an error page in the reader's language, or for the API a problem in JSON (RFC 9457
style) with a code a program can sort by and a message a person can act on. A refusal of
a known caller is recorded in the audit trail on the side.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy.exc import DataError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.db import side_unit_of_work
from app.errors import (
    DomainError,
    Forbidden,
    NotAuthenticated,
    NotFound,
    NotVisible,
    TooManyAttempts,
)
from app.i18n import LANGUAGES, Language, translator
from app.services import audit
from app.web.auth import SESSION_COOKIE, client_address
from app.web.htmx import is_htmx, render
from app.web.policy import protect
from app.web.signin import login_url

logger = logging.getLogger("app")


def add_error_handlers(app: FastAPI) -> None:
    """Each error answered in words a person can act on: a page, or a problem in JSON."""
    app.add_exception_handler(DomainError, domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_error)  # type: ignore[arg-type]
    app.add_exception_handler(DataError, refused_value)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, server_error)


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
        response: Response = _problem(error.status_code, error.title, detail, **said, **error.extra)
    else:
        response = _error_page(request, error.status_code, error.message(_language(request)))
    if isinstance(error, TooManyAttempts):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


async def http_error(request: Request, error: StarletteHTTPException) -> Response:
    detail = str(error.detail)
    if error.status_code == 400 and "exceeded maximum size" in detail:
        # Starlette's form parser refuses a field over 1 MiB before any route runs.
        error = StarletteHTTPException(422, "field_too_long")
        detail = "field_too_long"
    if _wants_json(request):
        response: Response = _problem(error.status_code, detail, detail)
    else:
        response = _error_page(request, error.status_code, _page_words(request, error, detail))
    response.headers.update(error.headers or {})  # a 405's Allow, say
    return response


def _page_words(request: Request, error: StarletteHTTPException, detail: str) -> str:
    """What an error page says: a catalogue key as is; Starlette's own English phrase
    ("Method Not Allowed") replaced by words in the reader's language."""
    if error.status_code == 404:
        return "not_found"
    if detail in translator("en"):
        return detail
    t = translator(_language(request))
    if error.status_code == 405:
        return t("err_http_405").format(method=request.method)
    return t("err_http_other").format(status=error.status_code)


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


async def refused_value(request: Request, error: DataError) -> Response:
    # PostgreSQL refuses NUL characters in text; anything else it refuses is a bug.
    if "NUL" not in str(error.orig):
        return await server_error(request, error)
    if _wants_json(request):
        return _problem(422, "Invalid input", translator("en")("field_nul"))
    return _error_page(request, 422, translator(_language(request))("field_nul"))


async def server_error(request: Request, error: Exception) -> Response:
    # This handler runs outside the middleware stack, so it sets the headers itself.
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    if _wants_json(request):
        response: Response = _problem(
            500, "Server error", "The server ran into an error; try again."
        )
    else:
        response = _error_page(request, 500, "server_error")
    protect(request, response)
    return response
