"""A team's pages: the teams one may see (paged, searched) and one team with its profile
over the years, its charts and what is due."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from app.db import SessionDep
from app.i18n import translator
from app.models import ActionStatus
from app.services import (
    access,
    action_plan,
    comparison,
    implementation_figures,
    outcomes,
    paging,
    profiles,
    reviews,
    rounds,
    teams,
)
from app.web import charts
from app.web.auth import CurrentPrincipal, record_view
from app.web.htmx import render
from app.web.params import PageParam, PathId, SearchParam

router = APIRouter()


@router.get("/teams", response_class=HTMLResponse, name="teams")
def team_list(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    q: SearchParam = None,
    page: PageParam = None,
) -> Response:
    """The teams the caller may see, a page at a time, searchable by team or municipality."""
    query = teams.TeamQuery(search=paging.search_text(q))
    found = teams.team_page(
        session, principal=principal, query=query, page=paging.page_request(number=page)
    )
    return render(request, "teams/list.html", {"page": found, "search": query.search})


@router.get("/teams/{team_id}", response_class=HTMLResponse, name="team_detail")
def team_detail(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    background: BackgroundTasks,
    team_id: PathId,
) -> Response:
    summary = teams.team_summary(session, principal=principal, team_id=team_id)
    record_view(request, background, principal, "team", team_id)
    team_reviews = reviews.list_reviews(session, principal=principal, team_id=team_id)  # one a year
    profile = profiles.team_profile(session, principal=principal, team_id=team_id)
    settings = request.app.state.settings
    language = request.state.language
    latest = profile.latest
    due = profile.next_due(settings)
    plan = action_plan.team_actions(session, principal=principal, team_id=team_id)
    round_list = rounds.rounds_of_team(session, principal=principal, team_id=team_id, limit=10)
    context = {
        "summary": summary,
        "reviews": team_reviews,
        "can_plan": summary.team.is_active
        and access.can_create_review(session, principal=principal, team=summary.team),
        "profile": profile,
        "latest": latest,
        "change": profile.change(),
        "due": due,
        "today": settings.today(),
        "under_way": any(review.status != "finalised" for review, _team, _scale in team_reviews),
        "charts": charts.team_charts(profile, language, translator(language)),
        "national_minimum": comparison.NATIONAL_MINIMUM_TEAMS,
        "open_actions": [p for p in plan if p.action.status != ActionStatus.DONE],
        "done_actions": [p for p in plan if p.action.status == ActionStatus.DONE],
        "statuses": list(ActionStatus),
        "can_write_feedback": access.can_write_team_feedback(principal, team=summary.team),
        "rounds": round_list,
        "implementation_charts": charts.team_implementation_charts(
            implementation_figures.team_history(session, principal=principal, team_id=team_id),
            language,
            translator(language),
        ),
        "outcome_charts": charts.team_outcome_charts(
            outcomes.team_outcomes(
                session, principal=principal, team_id=team_id, today=settings.today()
            ),
            profile,
            language,
            translator(language),
        ),
        "round_statuses": {
            r.id: rounds.confirmed_status(session, measurement=r) for r in round_list
        },
        "can_open_round": summary.team.is_active
        and rounds.can_plan(session, principal=principal, team=summary.team)
        and all(r.year != settings.today().year for r in round_list),
    }
    return render(request, "teams/detail.html", context)
