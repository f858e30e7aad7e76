"""Signing in and out.

The sign-in form is protected against login CSRF by a double-submit token: a random
value in a cookie that must come back in the form. A successful sign-in sets the session
cookie (HttpOnly, SameSite=Lax, Secure outside development) and returns the person to
the page they were sent away from.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from app.db import SessionDep
from app.errors import Forbidden
from app.services import passwords, sessions, signin, users
from app.web.auth import (
    CSRF_FIELD,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    CurrentPrincipal,
    OptionalPrincipal,
    client_address,
    same_secret,
)
from app.web.htmx import came_from, render

router = APIRouter()


def safe_next(target: str | None) -> str:
    """A local path to return to; anything else (another site, the sign-in page) is home."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    if urlsplit(target).path in ("/login", "/logout"):
        return "/"
    return target


def login_url(request: Request, *, expired: bool = False) -> str:
    """The sign-in page, told where to send the person back to afterwards."""
    if request.method == "GET" and request.headers.get("HX-Request") != "true":
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    else:
        # For htmx and form posts, return to the page the person was on, not the action.
        referrer = request.headers.get("HX-Current-URL") or request.headers.get("Referer") or ""
        back = came_from(request, referrer)
    params = {"next": safe_next(back)}
    if expired:
        params["expired"] = "1"
    return "/login?" + urlencode(params)


def _from_this_site(request: Request) -> bool:
    """A sign-in form must be posted from this site's own page. Browsers say where a
    request comes from (Sec-Fetch-Site, Origin); a form on a sibling subdomain that
    planted a cookie is "same-site", not "same-origin", and is refused. A client that
    sends neither header (a script, an old browser) is left to the token check."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    try:
        return urlsplit(origin).netloc == request.url.netloc
    except ValueError:
        return False


def _signature(request: Request, nonce: str) -> str:
    key = request.app.state.settings.secret_key.encode()
    return hmac.new(key, b"login:" + nonce.encode(), hashlib.sha256).hexdigest()[:32]


def _new_login_token(request: Request) -> str:
    """A random value signed with the secret key: a cookie planted by a neighbouring site
    cannot be one, since it would need the key."""
    nonce = secrets.token_urlsafe(24)
    return f"{nonce}.{_signature(request, nonce)}"


def _genuine(request: Request, token: str) -> bool:
    nonce, _, signature = token.partition(".")
    return bool(nonce) and same_secret(signature, _signature(request, nonce))


def _form(
    request: Request,
    *,
    next_url: str,
    status_code: int = 200,
    message: str | None = None,
    username: str = "",
    notice: str | None = None,
    retry_after: int = 0,
) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not _genuine(request, token):
        token = _new_login_token(request)
    context = {
        "next_url": next_url,
        "message": message,
        "notice": notice,
        "username": username[: users.MAX_USERNAME],
        "login_csrf": token,
        "retry_after": retry_after,
    }
    response = render(request, "auth/login.html", context, status_code=status_code)
    settings = request.app.state.settings
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=settings.cookies_secure,
        path="/login",
    )
    return response


@router.get("/login", response_class=HTMLResponse, name="login")
def login_page(
    request: Request,
    principal: OptionalPrincipal,
    next: str = "/",
    expired: bool = False,
    signed_out: bool = False,
    welcome: str = "",
) -> Response:
    if principal is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    notice = "session_expired_notice" if expired else "signed_out_notice" if signed_out else None
    if welcome:  # an invited consultant who has just set their password
        notice = "invitation_password_set"
    return _form(request, next_url=safe_next(next), notice=notice, username=welcome)


@router.post("/login", response_class=HTMLResponse, name="login_submit")
def login_submit(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    target = safe_next(next)
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not _from_this_site(request):
        raise Forbidden("login_cross_site")
    if not (_genuine(request, expected) and same_secret(csrf_token, expected)):
        # A form left open past the token's hour, or a forged one: nothing is checked.
        # The form comes back with a fresh token, keeping where the person was going.
        return _form(
            request,
            next_url=target,
            status_code=403,
            message="login_csrf_failed",
            username=username,
        )
    if len(username) > users.MAX_USERNAME or len(password) > passwords.MAX_PASSWORD:
        return _form(request, next_url=target, status_code=422, message="credentials_too_long")
    if not username.strip() or not password:
        return _form(
            request,
            next_url=target,
            status_code=422,
            message="credentials_missing",
            username=username,
        )
    outcome = signin.sign_in(
        session,
        settings=request.app.state.settings,
        username=username,
        password=password,
        client_address=client_address(request),
        user_agent=request.headers.get("User-Agent"),
    )
    return _answer(request, outcome, target, username)


def _answer(request: Request, outcome: signin.SignIn, target: str, username: str) -> Response:
    """Signed in: the session's cookie and on to where the person was going; refused:
    the form again, saying why (and when to try again after too many attempts)."""
    if outcome.retry_after:
        response = _form(
            request,
            next_url=target,
            status_code=429,
            message="too_many_attempts",
            username=username,
            retry_after=outcome.retry_after,
        )
        response.headers["Retry-After"] = str(outcome.retry_after)
        return response
    if not outcome.ok:
        return _form(
            request,
            next_url=target,
            status_code=401,
            message="wrong_credentials",
            username=username,
        )
    assert outcome.token is not None
    settings = request.app.state.settings
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        outcome.token,
        max_age=settings.session_lifetime_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.cookies_secure,
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout", name="logout")
def logout(session: SessionDep, principal: CurrentPrincipal) -> Response:
    sessions.sign_out(session, by=principal)
    response = RedirectResponse("/login?signed_out=1", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
