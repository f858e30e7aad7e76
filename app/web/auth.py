"""Who is asking: sessions from the cookie, API tokens from the bearer header, CSRF.

``CurrentPrincipal`` is the dependency every non-public route takes (directly or through
``require_roles``): it answers 401 without a valid session or token, and for a
cookie-authenticated request that changes state it checks the CSRF token (the
``X-CSRF-Token`` header htmx sends from ``<body hx-headers>``, or the ``csrf_token``
field of a plain form). Bearer requests carry no cookie, so they cannot be forged by
another site and need no CSRF token.

Keeping a session alive writes ``last_seen_at`` at most once a minute, after the
response, in a unit of work of its own.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import partial
from typing import Annotated

from fastapi import BackgroundTasks, Depends, Request
from sqlalchemy import Connection
from sqlmodel import Session

from app.db import quick_read, side_unit_of_work
from app.errors import Forbidden, NotAuthenticated
from app.models import Channel, Role, utcnow
from app.services import access, audit, sessions, tokens
from app.services.access import Principal

SESSION_COOKIE = "fidelity_session"
LOGIN_CSRF_COOKIE = "fidelity_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def client_address(request: Request) -> str:
    """The client's address as the server sees it (behind a proxy: FORWARDED_ALLOW_IPS)."""
    return (request.client.host if request.client else None) or "unknown"


def _keep_alive(
    request: Request,
    background: BackgroundTasks,
    touch: Callable[[Session], None],
) -> None:
    """Record that a session or token is in use, after the response, in a unit of work
    of its own (at most once a minute for a session, once in five for a token).

    FastAPI runs a dependency's background tasks only with a response the route returns
    (not with an error response, nor when the route sets ``background`` itself), so an
    error page does not keep a session alive; the next page does.
    """

    def later() -> None:
        with side_unit_of_work(request) as own:
            touch(own)

    background.add_task(later)


async def resolve_principal(request: Request, background: BackgroundTasks) -> Principal | None:
    """The signed-in user or token holder, or None. A dead session is remembered on the
    request so that a protected route can say it expired.

    Every request that is not public comes through here, so it reads as little as it
    can: the credential, its user and their scope in one statement, through
    ``quick_read``.
    """
    if hasattr(request.state, "principal"):
        return request.state.principal  # type: ignore[no-any-return]
    request.state.principal = None
    authorization = request.headers.get("Authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        bearer = credentials.strip()
        try:
            principal = await quick_read(request, partial(_token_principal, request, bearer))
        except NotAuthenticated as error:
            request.state.auth_problem = error
            request.state.bearer_refused = True
            return None
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            return None
        try:
            principal = await quick_read(request, partial(_session_principal, request, cookie))
        except NotAuthenticated as error:
            request.state.auth_problem = error
            return None
    now = utcnow()
    if principal.token_id is not None:
        if tokens.needs_touch(request.state.credential, now=now):
            touch = partial(tokens.touch_token, token_id=principal.token_id, now=now)
            _keep_alive(request, background, touch)
    elif principal.session_id is not None and sessions.needs_touch(
        request.state.credential, now=now
    ):
        touch = partial(sessions.touch_session, session_id=principal.session_id, now=now)
        _keep_alive(request, background, touch)
    request.state.principal = principal
    return principal


def _token_principal(request: Request, bearer: str, connection: Connection) -> Principal:
    token = tokens.find_token(connection, plain=bearer)
    request.state.credential = token
    return token.principal(channel="api", token_id=token.id, client_address=client_address(request))


def _session_principal(request: Request, cookie: str, connection: Connection) -> Principal:
    row = sessions.find_session(connection, token=cookie, settings=request.app.state.settings)
    request.state.credential = row
    channel: Channel = "api" if request.url.path.startswith("/api/") else "web"
    return row.principal(
        channel=channel,
        session_id=row.id,
        csrf_token=row.csrf_token,
        client_address=client_address(request),
    )


OptionalPrincipal = Annotated[Principal | None, Depends(resolve_principal)]


def record_view(
    request: Request, background: BackgroundTasks, by: Principal, entity: str, entity_id: int
) -> None:
    """Note in the audit trail that ``by`` looked at a team's or review's results.

    Written after the response, in a unit of work of its own: a page view's session only
    reads, and the view must not wait for (or hold) a second connection.
    """

    def later() -> None:
        with side_unit_of_work(request) as session:
            audit.record(
                session, action=f"{entity}.viewed", by=by, entity_type=entity, entity_id=entity_id
            )

    background.add_task(later)


async def require_principal(request: Request, principal: OptionalPrincipal) -> Principal:
    """The caller, signed in; for a cookie request that changes state, CSRF-checked."""
    if principal is None:
        problem = getattr(request.state, "auth_problem", None)
        raise problem or NotAuthenticated("sign_in_required")
    if request.method not in SAFE_METHODS and principal.session_id is not None:
        await check_csrf(request, principal.csrf_token or "")
    return principal


async def check_csrf(request: Request, expected: str) -> None:
    """The header or form field must carry ``expected``; otherwise 403."""
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(FORM_TYPES):
        value = (await request.form()).get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not given or not expected or not same_secret(given, expected):
        raise Forbidden("csrf_failed")


def same_secret(given: str, expected: str) -> bool:
    """A constant-time comparison that any text can go through (compare_digest refuses
    non-ASCII str, which would turn a junk header into a 500)."""
    return hmac.compare_digest(given.encode(), expected.encode())


CurrentPrincipal = Annotated[Principal, Depends(require_principal)]


def require_roles(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency that lets only ``roles`` through (403 for the others)."""

    def dependency(principal: CurrentPrincipal) -> Principal:
        access.require_role(principal, *roles)
        return principal

    return dependency


AdminPrincipal = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
