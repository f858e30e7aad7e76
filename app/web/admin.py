"""Administration: users and their scopes, API tokens, teams, and the audit trail.

Every route here is for administrators only (``AdminPrincipal``: 403 for other roles).
The audit trail can be read and exported, never changed.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, StreamingResponse
from starlette.responses import Response

from app.config import Settings
from app.db import SessionDep
from app.errors import DomainError, Invalid
from app.i18n import translator
from app.models import ProgramType, Role, Team, User, utcnow
from app.services import audit, exports, paging, passwords, sessions, teams, tokens, users
from app.services.access import Principal
from app.web.auth import AdminPrincipal
from app.web.htmx import render
from app.web.params import FormIds, PageParam, PathId, QueryId, SearchParam, TeamIds

router = APIRouter(prefix="/admin")

AUDIT_PAGE_SIZE = 50

# What a page says after a change, named in the redirect (?done=…) after a form post.
DONE = frozenset(
    {
        "user_created",
        "user_updated",
        "password_set",
        "sessions_ended",
        "token_revoked",
        "team_created",
        "team_updated",
    }
)
DoneParam = Annotated[str | None, Query(max_length=40)]


def _done(done: str | None) -> str | None:
    return done if done in DONE else None


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
        "scope_teams": teams.teams_by_id(session, chosen_teams),
    }


def _with_named_team(session: SessionDep, chosen: list[int], add_team: str) -> list[int]:
    """The chosen team ids plus the team named in the form's "add a team" field."""
    if not add_team.strip():
        return chosen
    team = teams.team_named(session, add_team)
    return [*chosen, team.id] if team.id not in chosen else chosen  # type: ignore[list-item]


# Users


@router.get("/users", response_class=HTMLResponse, name="admin_users")
def user_list(request: Request, session: SessionDep, principal: AdminPrincipal) -> Response:
    rows = [
        (user, *users.user_scope(session, user_id=user.id or 0))
        for user in users.list_users(session)
    ]
    scoped = sorted({team_id for _, _, team_ids in rows for team_id in team_ids})
    team_names = {t.id: t.name for t in teams.teams_by_id(session, scoped)}
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
        "done": _done(done),
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


@router.get("/tokens", response_class=HTMLResponse, name="admin_tokens")
def token_list(
    request: Request, session: SessionDep, principal: AdminPrincipal, done: DoneParam = None
) -> Response:
    context = {"tokens": tokens.list_tokens(session), "done": _done(done)}
    return render(request, "admin/tokens.html", context)


@router.post("/tokens/{token_id}/revoke", name="admin_token_revoke")
def revoke_token(
    session: SessionDep,
    principal: AdminPrincipal,
    token_id: PathId,
    back: Annotated[str, Form()] = "",
) -> Response:
    token = tokens.get_token(session, token_id=token_id)
    tokens.revoke_token(session, by=principal, token=token)
    where = f"/admin/users/{token.user_id}" if back == "user" else "/admin/tokens"
    target = f"{where}?done=token_revoked"
    return RedirectResponse(target, status_code=303)


# Teams


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
    found = teams.team_page(session, principal, query, paging.page_request(page))
    return render(request, "admin/teams.html", {"page": found, "search": query.search})


@router.get("/teams/names", response_class=HTMLResponse, name="admin_team_names")
def team_names(
    request: Request, session: SessionDep, principal: AdminPrincipal, add_team: SearchParam = None
) -> Response:
    """Suggestions for the user form's "add a team" field (its name is the parameter's):
    the options of its datalist. htmx asks as the administrator types; without
    JavaScript the exact name is typed."""
    names = teams.name_suggestions(session, paging.search_text(add_team))
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
        "done": _done(done),
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
            session, principal, name=name, program_type=program_type, municipalities=municipalities
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
        current = teams.team_summary(session, Principal.system(), team_id).team if team_id else None
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
    summary = teams.team_summary(session, principal, team_id)
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
    team = teams.team_summary(session, principal, team_id).team
    return _save_team(
        request,
        session,
        team_id,
        {"name": name, "program_type": program_type},
        municipalities,
        lambda: teams.update_team(
            session,
            principal,
            team,
            name=name,
            program_type=program_type,
            is_active=is_active,
            municipalities=municipalities,
        ),
        "team_updated",
    )


# The audit trail


FilterParam = Annotated[str | None, Query(max_length=100)]


@dataclass(frozen=True)
class AuditQuery:
    chosen: dict[str, str]  # the filters as given, to show and to link with
    found: audit.EventFilter


def audit_query(
    request: Request,
    action: FilterParam = None,
    actor: FilterParam = None,
    entity_type: FilterParam = None,
    entity_id: FilterParam = None,
    since: FilterParam = None,
    until: FilterParam = None,
) -> AuditQuery:
    """The audit filters of the page and of its CSV download, read the same way."""
    given = {
        "action": action,
        "actor": actor,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "since": since,
        "until": until,
    }
    found = audit.event_filter(
        action=action,
        actor=actor,
        entity_type=entity_type,
        entity_id=entity_id,
        since=audit.parse_day(since, "since"),
        until=audit.parse_day(until, "until"),
        timezone=request.app.state.settings.timezone,
    )
    return AuditQuery({key: value for key, value in given.items() if value}, found)


AuditFilters = Annotated[AuditQuery, Depends(audit_query)]


@router.get("/audit", response_class=HTMLResponse, name="admin_audit")
def audit_log(
    request: Request,
    session: SessionDep,
    principal: AdminPrincipal,
    filters: AuditFilters,
    before: QueryId = None,
) -> Response:
    events = audit.list_events(session, filters.found, limit=AUDIT_PAGE_SIZE + 1, before_id=before)
    more = len(events) > AUDIT_PAGE_SIZE
    events = events[:AUDIT_PAGE_SIZE]
    t = translator(request.state.language)

    def action_name(action: str) -> str:  # in words; an action of old code as it is
        label = audit.action_label(action)
        return t(label) if t(label) != label else action

    context = {
        "events": events,
        "chosen": filters.chosen,
        "next_before": events[-1][0].id if more and events else None,
        "paged": before is not None,
        "actions": audit.ACTIONS,
        "action_groups": audit.ACTION_GROUPS,
        "action_name": action_name,
    }
    return render(request, "admin/audit.html", context, fragment="results")


@router.get("/audit.csv", name="admin_audit_csv")
def audit_csv(
    request: Request,
    session: SessionDep,
    principal: AdminPrincipal,
    filters: AuditFilters,
    sep: Literal[";", ","] = ";",
) -> Response:
    """The filtered trail as CSV, streamed; the export itself is recorded first.

    Semicolons by default, with a byte-order mark, so Danish Excel opens it in columns;
    ``sep=,`` for other tools. Times are UTC with their offset, as stored.

    Both happen once the request's own session has closed (a StreamingResponse runs
    after the route), one connection at a time: the record commits, then the rows are
    read without the write lock.
    """
    state = request.app.state

    def lines() -> Any:
        with state.unit_of_work() as write:
            audit.record(
                write, action="audit.exported", by=principal, after={"filters": filters.chosen}
            )
        with state.read_session() as read:
            rows = audit.csv_rows(read, filters.found)
            header = next(rows)
            table = exports.Table("audit", header, (tuple(row) for row in rows))
            yield from exports.csv_chunks(table, sep=sep)  # with its byte order mark

    stamp = utcnow().strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'},
    )
