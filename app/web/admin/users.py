"""Administration of users: the list, the user form (new and existing), role and scope,
a new password, ending someone's sessions, and a new API token shown once.

A refused change shows the form again with the reason and what was typed; nothing of
it is kept.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from app.config import Settings
from app.db import SessionDep
from app.errors import DomainError, Invalid
from app.models import Role, User
from app.services import passwords, sessions, teams, tokens, users
from app.web.admin.common import DoneParam, done_key, router
from app.web.auth import AdminPrincipal
from app.web.htmx import render
from app.web.params import FormIds, PathId, TeamIds


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        allowed = ", ".join(role.value for role in Role)
        raise Invalid.of("err_unknown_role", value=value, allowed=allowed) from None


def _user_form_context(session: SessionDep, chosen_teams: list[int]) -> dict[str, Any]:
    """The choices of the user form: roles, regions, and the teams already chosen (other
    teams are added by name, with suggestions: a country has too many to list)."""
    return {
        "roles": list(Role),
        "regions": teams.all_municipalities(session),
        "scope_teams": teams.teams_by_id(session, ids=chosen_teams),
    }


def _with_named_team(session: SessionDep, chosen: list[int], add_team: str) -> list[int]:
    """The chosen team ids plus the team named in the form's "add a team" field."""
    if not add_team.strip():
        return chosen
    team = teams.team_named(session, name=add_team)
    return [*chosen, team.id] if team.id not in chosen else chosen  # type: ignore[list-item]


@router.get("/users", response_class=HTMLResponse, name="admin_users")
def user_list(request: Request, session: SessionDep, principal: AdminPrincipal) -> Response:
    rows = [
        (user, *users.user_scope(session, user_id=user.id or 0))
        for user in users.list_users(session)
    ]
    scoped = sorted({team_id for _, _, team_ids in rows for team_id in team_ids})
    team_names = {t.id: t.name for t in teams.teams_by_id(session, ids=scoped)}
    region_names = {region.code: region.name for region, _ in teams.all_municipalities(session)}
    context = {"rows": rows, "team_names": team_names, "region_names": region_names}
    return render(request, "admin/users.html", context)


@router.get("/users/new", response_class=HTMLResponse, name="admin_user_new")
def new_user(request: Request, session: SessionDep, principal: AdminPrincipal) -> Response:
    context = _user_form_context(session, []) | {"user": None, "scope": ([], []), "message": None}
    return render(request, "admin/user_form.html", context)


@router.post("/users", response_class=HTMLResponse, name="admin_user_create")
def create_user(
    request: Request,
    session: SessionDep,
    principal: AdminPrincipal,
    username: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    regions: FormIds = [],  # noqa: B006 (FastAPI copies defaults)
    teams_: TeamIds = [],  # noqa: B006
    add_team: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    try:
        teams_ = _with_named_team(session, teams_, add_team)
        user = users.create_user(
            session,
            by=principal,
            username=username,
            display_name=display_name,
            role=_role(role),
            password=password or None,
            regions=regions,
            teams=teams_,
        )
    except DomainError as error:
        session.rollback()
        context = _user_form_context(session, teams_) | {
            "user": None,
            "draft": {
                "username": username,
                "display_name": display_name,
                "role": role,
                "add_team": add_team,
            },
            "scope": (regions, teams_),
            "message": error.message(request.state.language),
        }
        return render(request, "admin/user_form.html", context, status_code=error.status_code)
    return RedirectResponse(f"/admin/users/{user.id}?done=user_created", status_code=303)


def _user_page(
    request: Request,
    session: SessionDep,
    user: User,
    *,
    message: str | None = None,
    status_code: int = 200,
    new_token: str | None = None,
    done: str | None = None,
    message_at: str | None = None,
) -> Response:
    assert user.id is not None
    settings: Settings = request.app.state.settings
    scope = users.user_scope(session, user_id=user.id)
    context = _user_form_context(session, scope[1]) | {
        "user": user,
        "scope": scope,
        "sessions": sessions.live_sessions(session, user_id=user.id, settings=settings),
        "tokens": tokens.list_tokens(session, user_id=user.id),
        "message": message,
        "new_token": new_token,
        "form_id": secrets.token_urlsafe(16),
        "done": done_key(done),
        "message_at": message_at,
    }
    return render(request, "admin/user_form.html", context, status_code=status_code)


@router.get("/users/{user_id}", response_class=HTMLResponse, name="admin_user")
def user_detail(
    request: Request,
    session: SessionDep,
    principal: AdminPrincipal,
    user_id: PathId,
    done: DoneParam = None,
) -> Response:
    return _user_page(request, session, users.get_user(session, user_id=user_id), done=done)


@router.post("/users/{user_id}", response_class=HTMLResponse, name="admin_user_update")
def update_user(
    request: Request,
    session: SessionDep,
    principal: AdminPrincipal,
    user_id: PathId,
    display_name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    is_active: Annotated[bool, Form()] = False,
    regions: FormIds = [],  # noqa: B006
    teams_: TeamIds = [],  # noqa: B006
    add_team: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    return _change_user(
        request,
        session,
        user_id,
        lambda user: users.update_user(
            session,
            by=principal,
            user=user,
            display_name=display_name,
            role=_role(role),
            is_active=is_active,
            regions=regions,
            teams=_with_named_team(session, teams_, add_team),
        ),
        "user_updated",
    )


def _change_user(
    request: Request,
    session: SessionDep,
    user_id: int,
    change: Callable[[User], object],
    done: str,
    message_at: str | None = None,
) -> Response:
    """Apply ``change`` to the user and return to their page; a refused change shows the
    page again with the reason, and nothing of it is kept."""
    try:
        change(users.get_user(session, user_id=user_id))
    except DomainError as error:
        session.rollback()
        user = users.get_user(session, user_id=user_id)
        return _user_page(
            request,
            session,
            user,
            message=error.message(request.state.language),
            message_at=message_at,
            status_code=error.status_code,
        )
    return RedirectResponse(f"/admin/users/{user_id}?done={done}", status_code=303)


@router.post("/users/{user_id}/password", response_class=HTMLResponse, name="admin_user_password")
def reset_password(
    request: Request,
    session: SessionDep,
    principal: AdminPrincipal,
    user_id: PathId,
    password: Annotated[str, Form()] = "",
) -> Response:
    return _change_user(
        request,
        session,
        user_id,
        lambda user: passwords.set_password(session, by=principal, user=user, password=password),
        "password_set",
        message_at="password",
    )


@router.post("/users/{user_id}/sessions/end", name="admin_user_sessions_end")
def end_sessions(
    request: Request, session: SessionDep, principal: AdminPrincipal, user_id: PathId
) -> Response:
    return _change_user(
        request,
        session,
        user_id,
        lambda user: sessions.end_sessions_of(session, by=principal, user=user),
        "sessions_ended",
    )


@router.post("/users/{user_id}/tokens", response_class=HTMLResponse, name="admin_token_create")
def create_token(
    request: Request,
    session: SessionDep,
    principal: AdminPrincipal,
    user_id: PathId,
    name: Annotated[str, Form()] = "",
    form_id: Annotated[str | None, Form()] = None,
) -> Response:
    """The new token is shown once, on this response; only its hash is kept."""
    user = users.get_user(session, user_id=user_id)
    try:
        plain, _ = tokens.create_token(session, by=principal, user=user, name=name, form_id=form_id)
    except DomainError as error:
        return _user_page(
            request,
            session,
            user,
            message=error.message(request.state.language),
            message_at="token",
            status_code=error.status_code,
        )
    return _user_page(request, session, user, new_token=plain, status_code=201)
