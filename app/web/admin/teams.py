"""Administration of teams: every team, active or not, a page at a time and searchable;
the team form with its municipalities; and the team names the user form suggests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from app.db import SessionDep
from app.errors import DomainError
from app.models import ProgramType, Team
from app.services import paging, teams
from app.services.access import Principal
from app.web.admin.common import DoneParam, done_key, router
from app.web.auth import AdminPrincipal
from app.web.htmx import render
from app.web.params import FormIds, PageParam, PathId, SearchParam


@router.get("/teams", response_class=HTMLResponse, name="admin_teams")
def team_list(
    request: Request,
    session: SessionDep,
    principal: AdminPrincipal,
    q: SearchParam = None,
    page: PageParam = None,
) -> Response:
    """Every team, active or not, a page at a time, searchable."""
    query = teams.TeamQuery(search=paging.search_text(q), include_inactive=True)
    found = teams.team_page(
        session, principal=principal, query=query, page=paging.page_request(number=page)
    )
    return render(request, "admin/teams.html", {"page": found, "search": query.search})


@router.get("/teams/names", response_class=HTMLResponse, name="admin_team_names")
def team_names(
    request: Request, session: SessionDep, principal: AdminPrincipal, add_team: SearchParam = None
) -> Response:
    """Suggestions for the user form's "add a team" field (its name is the parameter's):
    the options of its datalist. htmx asks as the administrator types; without
    JavaScript the exact name is typed."""
    names = teams.name_suggestions(session, text=paging.search_text(add_team))
    return render(request, "admin/team_names.html", {"names": names})


def _team_form(
    request: Request,
    session: SessionDep,
    team: Team | None,
    *,
    chosen: list[int],
    draft: dict[str, Any] | None = None,
    message: str | None = None,
    status_code: int = 200,
    done: str | None = None,
) -> Response:
    context = {
        "team": team,
        "draft": draft or {},
        "chosen": chosen,
        "regions": teams.all_municipalities(session),
        "program_types": list(ProgramType),
        "message": message,
        "done": done_key(done),
    }
    return render(request, "admin/team_form.html", context, status_code=status_code)


@router.get("/teams/new", response_class=HTMLResponse, name="admin_team_new")
def new_team(request: Request, session: SessionDep, principal: AdminPrincipal) -> Response:
    return _team_form(request, session, None, chosen=[])


@router.post("/teams", response_class=HTMLResponse, name="admin_team_create")
def create_team(
    request: Request,
    session: SessionDep,
    principal: AdminPrincipal,
    name: Annotated[str, Form()] = "",
    program_type: Annotated[str, Form()] = "",
    municipalities: FormIds = [],  # noqa: B006
) -> Response:
    return _save_team(
        request,
        session,
        None,
        {"name": name, "program_type": program_type},
        municipalities,
        lambda: teams.create_team(
            session,
            by=principal,
            name=name,
            program_type=program_type,
            municipalities=municipalities,
        ),
        "team_created",
    )


def _save_team(
    request: Request,
    session: SessionDep,
    team_id: int | None,
    draft: dict[str, Any],
    chosen: list[int],
    save: Callable[[], Team],
    done: str,
) -> Response:
    """Save and go to the team's page; a refused save shows the form again with what was
    typed and the reason, and nothing of it is kept."""
    try:
        team = save()
    except DomainError as error:
        session.rollback()
        current = (
            teams.team_summary(session, principal=Principal.system(), team_id=team_id).team
            if team_id
            else None
        )
        return _team_form(
            request,
            session,
            current,
            chosen=chosen,
            draft=draft,
            message=error.message(request.state.language),
            status_code=error.status_code,
        )
    return RedirectResponse(f"/admin/teams/{team.id}?done={done}", status_code=303)


@router.get("/teams/{team_id}", response_class=HTMLResponse, name="admin_team")
def team_detail(
    request: Request,
    session: SessionDep,
    principal: AdminPrincipal,
    team_id: PathId,
    done: DoneParam = None,
) -> Response:
    summary = teams.team_summary(session, principal=principal, team_id=team_id)
    chosen = [m.code for m in summary.municipalities]
    return _team_form(request, session, summary.team, chosen=chosen, done=done)


@router.post("/teams/{team_id}", response_class=HTMLResponse, name="admin_team_update")
def update_team(
    request: Request,
    session: SessionDep,
    principal: AdminPrincipal,
    team_id: PathId,
    name: Annotated[str, Form()] = "",
    program_type: Annotated[str, Form()] = "",
    is_active: Annotated[bool, Form()] = False,
    municipalities: FormIds = [],  # noqa: B006
) -> Response:
    team = teams.team_summary(session, principal=principal, team_id=team_id).team
    return _save_team(
        request,
        session,
        team_id,
        {"name": name, "program_type": program_type},
        municipalities,
        lambda: teams.update_team(
            session,
            by=principal,
            team=team,
            name=name,
            program_type=program_type,
            is_active=is_active,
            municipalities=municipalities,
        ),
        "team_updated",
    )
