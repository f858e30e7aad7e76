"""A team leader's page of the team's consultants: inviting one (a one-time link shown
once, to hand over), a new link for one who has not used theirs, closing an account; and
the page the link opens, where the consultant sets their password.

The invitation page is public on purpose: the link's token is the credential. It needs
no CSRF token of its own: a forged form could only set a password on an account whose
link the forger already holds.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from app.db import SessionDep
from app.errors import DomainError
from app.models import utcnow
from app.services import access, invitations, passwords, teams
from app.web.auth import CurrentPrincipal
from app.web.htmx import render
from app.web.params import PathId

router = APIRouter()

Text = Annotated[str, Form()]


@router.get("/teams/{team_id}/consultants", response_class=HTMLResponse, name="consultants")
def consultants_page(
    request: Request, session: SessionDep, principal: CurrentPrincipal, team_id: PathId
) -> Response:
    return _page(request, session, principal, team_id)


@router.post("/teams/{team_id}/consultants", response_class=HTMLResponse, name="consultant_invite")
def consultant_invite(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    team_id: PathId,
    display_name: Text = "",
    username: Text = "",
) -> Response:
    access.visible_team(session, principal=principal, team_id=team_id)
    try:
        user, token = invitations.invite(
            session, principal=principal, team_id=team_id, username=username,
            display_name=display_name,
        )  # fmt: skip
    except DomainError as error:
        if error.status_code not in (409, 422):
            raise
        session.rollback()
        typed = {"display_name": display_name, "username": username}
        return _page(request, session, principal, team_id, error=error, typed=typed)
    return _page(request, session, principal, team_id, link=_link(request, token), who=user)


@router.post(
    "/teams/{team_id}/consultants/{user_id}/link",
    response_class=HTMLResponse,
    name="consultant_link",
)
def consultant_link(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    team_id: PathId,
    user_id: PathId,
) -> Response:
    access.visible_team(session, principal=principal, team_id=team_id)
    try:
        user, token = invitations.invite_again(
            session, principal=principal, team_id=team_id, user_id=user_id
        )
    except DomainError as error:
        if error.status_code != 409:
            raise
        session.rollback()
        return _page(request, session, principal, team_id, error=error)
    return _page(request, session, principal, team_id, link=_link(request, token), who=user)


@router.post(
    "/teams/{team_id}/consultants/{user_id}/close",
    response_class=HTMLResponse,
    name="consultant_close",
)
def consultant_close(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    team_id: PathId,
    user_id: PathId,
) -> Response:
    access.visible_team(session, principal=principal, team_id=team_id)
    invitations.close(session, principal=principal, team_id=team_id, user_id=user_id)
    target = request.url_for("consultants", team_id=team_id)
    return RedirectResponse(f"{target.path}?done=closed", status_code=303)


def _link(request: Request, token: str) -> str:
    return str(request.url_for("invitation", token=token))


def _page(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    team_id: int,
    *,
    error: DomainError | None = None,
    typed: dict[str, str] | None = None,
    link: str | None = None,
    who: Any = None,
) -> Response:
    summary = teams.team_summary(session, principal=principal, team_id=team_id)
    found = invitations.consultants(session, principal=principal, team_id=team_id)
    context = {
        "summary": summary,
        "consultants": found,
        "now": utcnow(),
        "error": error.message(request.state.language) if error else None,
        "typed": typed or {},
        "link": link,
        "who": who,
        "days": invitations.INVITATION_DAYS,
        "done": request.query_params.get("done") == "closed",
    }
    status = error.status_code if error else 200
    return render(request, "teams/consultants.html", context, status_code=status)


# The link's page ------------------------------------------------------------------------------


@router.get("/invitation/{token}", response_class=HTMLResponse, name="invitation")
def invitation_page(request: Request, session: SessionDep, token: str) -> Response:
    return _invitation(request, session, token)


@router.post("/invitation/{token}", response_class=HTMLResponse, name="invitation_accept")
def invitation_accept(
    request: Request,
    session: SessionDep,
    token: str,
    password: Text = "",
    repeat_password: Text = "",
) -> Response:
    try:
        user = invitations.accept(
            session, token=token[:200], password=password, repeat=repeat_password, now=utcnow()
        )
    except DomainError as error:
        if error.status_code not in (409, 422):
            raise
        session.rollback()
        return _invitation(request, session, token, error=error)
    return RedirectResponse(f"/login?welcome={user.username}", status_code=303)


def _invitation(
    request: Request, session: SessionDep, token: str, *, error: DomainError | None = None
) -> Response:
    user = None
    closed = None
    status = error.status_code if error else 200
    try:
        _, user = invitations.open_invitation(session, token=token[:200], now=utcnow())
    except DomainError as refused:  # unknown (404), used or expired (409): said as such
        closed = refused.message(request.state.language)
        status = refused.status_code
    context = {
        "user": user,
        "closed": closed,
        "error": error.message(request.state.language) if error else None,
        "action": request.url_for("invitation_accept", token=token[:200]).path,
        "min_password": passwords.MIN_PASSWORD,
    }
    return render(request, "auth/invitation.html", context, status_code=status)
