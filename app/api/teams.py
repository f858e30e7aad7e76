"""/api/v1/teams: the teams in the caller's scope, one team, its profile and action plan."""

from __future__ import annotations

from fastapi import BackgroundTasks, Request, Response

from app.api.base import CursorParam, next_link, v1_router
from app.db import SessionDep
from app.schemas.teams import (
    ActionOut,
    ProfileOut,
    TeamOut,
    TeamPage,
    action_out,
    profile_review_out,
    team_out,
)
from app.services import feedback, paging, profiles, teams
from app.web.auth import CurrentPrincipal, record_view
from app.web.params import LimitParam, PathId, SearchParam

router = v1_router()


@router.get(
    "/teams",
    response_model=TeamPage,
    summary="Teams in the caller's scope, a page at a time",
    description='Follow `next` (or the `Link: rel="next"` header) until it is null. '
    "`q` finds teams by part of the team's or a municipality's name.",
)
def team_list(
    request: Request,
    response: Response,
    session: SessionDep,
    principal: CurrentPrincipal,
    limit: LimitParam = None,
    cursor: CursorParam = None,
    q: SearchParam = None,
) -> TeamPage:
    size = paging.page_request(1, limit).size
    after = paging.Cursor.decode(cursor, (str, int))
    query = teams.TeamQuery(search=paging.search_text(q))
    found, following = teams.team_slice(
        session, principal, query, after=(after[0], after[1]) if after else None, limit=size
    )
    return TeamPage(
        items=[team_out(summary) for summary in found],
        limit=size,
        next=next_link(request, response, list(following) if following else None),
    )


@router.get("/teams/{team_id}", response_model=TeamOut, summary="One team (404 outside scope)")
def team_detail(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    background: BackgroundTasks,
    team_id: PathId,
) -> TeamOut:
    summary = teams.team_summary(session, principal, team_id)
    record_view(request, background, principal, "team", team_id)
    return team_out(teams.summaries(session, principal, [summary.team])[0])


@router.get(
    "/teams/{team_id}/profile",
    response_model=ProfileOut,
    summary="A team's finalised reviews with their totals, levels, section, principle and "
    "item scores",
)
def team_profile(
    request: Request, session: SessionDep, principal: CurrentPrincipal, team_id: PathId
) -> ProfileOut:
    profile = profiles.team_profile(session, principal, team_id)
    language = request.state.language
    return ProfileOut(
        team_id=team_id,
        reviews=[profile_review_out(result, language) for result in profile.reviews],
        next_review_due=profile.next_due(request.app.state.settings),
    )


@router.get(
    "/teams/{team_id}/actions",
    response_model=list[ActionOut],
    summary="A team's action plan: every action, soonest due first and the done ones last",
)
def team_actions(
    request: Request, session: SessionDep, principal: CurrentPrincipal, team_id: PathId
) -> list[ActionOut]:
    today = request.app.state.settings.today()
    return [
        action_out(planned, today) for planned in feedback.team_actions(session, principal, team_id)
    ]
