"""The signed-in pages: the front page and one's own account (a scale's pages are
``scale_pages``, a team's ``team_pages``, a review's ``review_pages``).

Every route takes the caller (``CurrentPrincipal``) and asks the services, which filter
by the caller's scope; a team or review outside it is a 404 like a missing one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from app.db import SessionDep
from app.errors import Invalid, TooManyAttempts
from app.models import Role
from app.services import (
    action_plan,
    follow_up,
    paging,
    passwords,
    reviews,
    rounds,
    sessions,
    signin,
    teams,
    users,
)
from app.services import scales as scale_service
from app.web.auth import CurrentPrincipal
from app.web.htmx import render

router = APIRouter()


HOME_TEAMS = 20
HOME_RECENT = 8
HOME_IN_PROGRESS = 20


@router.get("/", response_class=HTMLResponse, name="home")
def home(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    """What the caller should see first: reviews under way, teams due, their teams and
    the newest reviews; every list bounded, with a link to the whole of it."""
    versions = scale_service.list_scale_versions(session, published_only=True)
    cards = [(row, scale_service.definition_of(row)) for row in versions]
    settings = request.app.state.settings
    today = settings.today()
    due = (
        follow_up.due_teams(
            session,
            principal=principal,
            today=today,
            months_below_good=settings.follow_up_months_below_good,
            months=settings.follow_up_months,
        )
        if principal.role in (Role.AMBASSADOR, Role.ADMIN)
        else None
    )
    team_page = teams.team_page(
        session,
        principal=principal,
        query=teams.TeamQuery(),
        page=paging.PageRequest(1, HOME_TEAMS),
    )
    plans = (
        action_plan.open_actions(
            session,
            principal=principal,
            team_ids=[s.team.id for s in team_page.items if s.team.id],
            today=today,
        )
        if principal.role == Role.TEAM_LEADER
        else {}
    )
    in_progress, in_progress_total = reviews.in_progress(
        session, principal=principal, limit=HOME_IN_PROGRESS
    )
    context = {
        "scales": cards,
        "teams": team_page,
        "plans": plans,
        "recent_reviews": reviews.list_reviews(session, principal=principal, limit=HOME_RECENT),
        "in_progress": in_progress,
        "in_progress_total": in_progress_total,
        "due_teams": due,
        "due_days": follow_up.DUE_SOON_DAYS,
        "open_rounds": rounds.open_for_team(session, principal=principal, today=today),
        "today": today,
    }
    return render(request, "home/index.html", context)


@router.get("/account", response_class=HTMLResponse, name="account")
def account(
    request: Request, session: SessionDep, principal: CurrentPrincipal, changed: bool = False
) -> Response:
    return _account_page(request, session, principal, changed=changed)


def _account_page(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    *,
    changed: bool = False,
    message: str | None = None,
    retry_after: int = 0,
    status_code: int = 200,
    said: str | None = None,
) -> Response:
    """The account page; ``message`` a key of a refusal made here, ``said`` the words of
    one a service made, with its values in place."""
    assert principal.user_id is not None
    context = {
        "retry_after": retry_after,
        "sessions": sessions.live_sessions(
            session, user_id=principal.user_id, settings=request.app.state.settings
        ),
        "changed": changed,
        "message": message,
        "said": said,
        "min_password": passwords.MIN_PASSWORD,
        "role_names": {role: f"role_{role.value}" for role in Role},
    }
    return render(request, "account/index.html", context, status_code=status_code)


@router.post("/account/password", response_class=HTMLResponse, name="account_password")
def change_password(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    repeat_password: Annotated[str, Form()] = "",
) -> Response:
    """One's own password: the current one first; other devices are signed out."""
    assert principal.user_id is not None
    user = users.get_user(session, user_id=principal.user_id)
    try:
        current_ok = signin.check_own_password(session, by=principal, password=current_password)
    except TooManyAttempts as error:
        return _account_page(
            request,
            session,
            principal,
            message="too_many_attempts",
            retry_after=error.retry_after,
            status_code=429,
        )
    if not current_ok:
        return _account_page(
            request, session, principal, message="current_password_wrong", status_code=422
        )
    if len(new_password) > passwords.MAX_PASSWORD:
        return _account_page(
            request, session, principal, message="password_too_long", status_code=422
        )
    if new_password == current_password:
        return _account_page(
            request, session, principal, message="err_password_unchanged", status_code=422
        )
    if new_password != repeat_password:
        return _account_page(
            request, session, principal, message="passwords_differ", status_code=422
        )
    try:
        passwords.set_password(session, by=principal, user=user, password=new_password)
    except Invalid as refused:  # too short, too common, or made of one's own name
        return _account_page(
            request,
            session,
            principal,
            said=refused.message(request.state.language),
            status_code=422,
        )
    return RedirectResponse("/account?changed=1", status_code=303)
