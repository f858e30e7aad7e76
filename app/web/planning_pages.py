"""Planning a review: choosing the team (a page of those one may plan for, searched),
then its scale version, visit dates, reviewers and lead."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from app.db import SessionDep
from app.errors import Conflict, Forbidden, Invalid
from app.models import Role
from app.services import access, audit, paging, planning, teams
from app.web.auth import CurrentPrincipal
from app.web.htmx import render
from app.web.params import PageParam, PostedForm, QueryId, SearchParam

router = APIRouter()


def _plan_context(
    session: SessionDep,
    principal: Any,
    team_id: int | None,
    *,
    search: str | None = None,
    page: paging.PageRequest | None = None,
) -> dict[str, Any]:
    """The planning form for a chosen team, or a page of the teams one may plan for to
    choose from (searchable: a country has too many teams for one list)."""
    team = None
    if team_id is not None:
        team = access.visible_team(session, principal=principal, team_id=team_id)
        if not (
            team.is_active and access.can_create_review(session, principal=principal, team=team)
        ):
            raise Forbidden.of("err_cannot_plan")
    query = teams.TeamQuery(search=search, plannable=True)
    choices = (
        None
        if team is not None
        else teams.team_page(
            session, principal=principal, query=query, page=page or paging.PageRequest(1, 20)
        )
    )
    return {
        "choices": choices,
        "search": search,
        "team": team,
        "scales": planning.scales_for(session, team=team) if team else [],
        "reviewers": planning.eligible_reviewers(session) if team else [],
    }


@router.get("/reviews/new", response_class=HTMLResponse, name="review_new")
def review_new(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    team_id: QueryId = None,
    q: SearchParam = None,
    page: PageParam = None,
) -> Response:
    access.require_role(principal, Role.ADMIN, Role.AMBASSADOR)
    context = _plan_context(
        session,
        principal,
        team_id,
        search=paging.search_text(q),
        page=paging.page_request(number=page, default_size=20),
    )
    context["form"] = {
        "team_id": team_id,
        "reviewers": [principal.username],
        "lead": principal.username,
    }
    return render(request, "reviews/plan.html", context)


@router.post("/reviews", response_class=HTMLResponse, name="review_create")
def review_create(
    request: Request, session: SessionDep, principal: CurrentPrincipal, form: PostedForm
) -> Response:
    team_id = _int(form.get("team_id"))
    scale = str(form.get("scale") or "")
    visit_date = str(form.get("visit_date") or "")
    visit_end_date = str(form.get("visit_end_date") or "")
    chosen = [str(v) for v in form.getlist("reviewers")]
    lead = str(form.get("lead") or "")
    values = {
        "team_id": team_id,
        "scale": scale,
        "visit_date": visit_date,
        "visit_end_date": visit_end_date,
        "reviewers": chosen,
        "lead": lead,
    }
    try:
        if team_id is None:
            raise Invalid.of("err_choose_team")
        key, _, version = scale.partition(" ")
        review = planning.plan_review(
            session,
            principal=principal,
            team_id=team_id,
            scale_key=key or None,
            scale_version=version or None,
            visit_date=audit.parse_day(visit_date.strip(), field="visit_date"),
            visit_end_date=audit.parse_day(visit_end_date.strip(), field="visit_end_date"),
            reviewer_usernames=chosen,
            lead_username=lead,
        )
    except (Invalid, Conflict) as error:
        session.rollback()
        context = _plan_context(session, principal, team_id)
        context["form"] = values
        context["error"] = error.message(request.state.language)
        return render(request, "reviews/plan.html", context, status_code=422)
    return RedirectResponse(
        str(request.url_for("review_detail", review_id=review.id)), status_code=303
    )


def _int(raw: object) -> int | None:
    try:
        value = int(str(raw))
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2**31 else None
