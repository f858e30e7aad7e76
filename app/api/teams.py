"""/api/v1/teams: the teams in the caller's scope, one team, its profile, action plan and
quarterly outcomes."""

from __future__ import annotations

from datetime import date

from fastapi import BackgroundTasks, Request, Response

from app.api.base import CursorParam, next_link, v1_router
from app.db import SessionDep
from app.models import ActionStatus
from app.schemas.outcomes import OutcomeQuarterOut, TeamOutcomesOut
from app.schemas.teams import (
    ActionOut,
    GroupScoreOut,
    ItemScoreOut,
    MunicipalityOut,
    ProfileOut,
    ProfileReviewOut,
    TeamOut,
    TeamPage,
)
from app.services import action_plan, outcomes, paging, profiles, teams
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
    size = paging.page_request(number=1, size=limit).size
    after = paging.Cursor.decode(cursor, (str, int))
    query = teams.TeamQuery(search=paging.search_text(q))
    found, following = teams.team_slice(
        session,
        principal=principal,
        query=query,
        after=(after[0], after[1]) if after else None,
        limit=size,
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
    summary = teams.team_summary(session, principal=principal, team_id=team_id)
    record_view(request, background, principal, "team", team_id)
    return team_out(teams.summaries(session, principal=principal, teams=[summary.team])[0])


@router.get(
    "/teams/{team_id}/profile",
    response_model=ProfileOut,
    summary="A team's finalised reviews with their totals, levels, section, principle and "
    "item scores",
)
def team_profile(
    request: Request, session: SessionDep, principal: CurrentPrincipal, team_id: PathId
) -> ProfileOut:
    profile = profiles.team_profile(session, principal=principal, team_id=team_id)
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
        action_out(planned, today)
        for planned in action_plan.team_actions(session, principal=principal, team_id=team_id)
    ]


def team_out(summary: teams.TeamSummary) -> TeamOut:
    """A team and its municipalities, with how many reviews it has had."""
    team = summary.team
    return TeamOut(
        id=team.id or 0,
        name=team.name,
        program_type=team.program_type,
        is_active=team.is_active,
        municipalities=[
            MunicipalityOut(code=m.code, name=m.name, region_code=m.region_code)
            for m in summary.municipalities
        ],
        review_count=summary.review_count,
    )


def profile_review_out(result: profiles.ReviewResult, language: str) -> ProfileReviewOut:
    """One finalised review of a team's profile, its titles in ``language``."""

    def groups(found: list[profiles.GroupResult]) -> list[GroupScoreOut]:
        return [
            GroupScoreOut(
                key=group.key,
                title=group.title.get(language, group.key),
                item_count=group.item_count,
                rated_count=group.rated_count,
                total=group.total,
                mean=group.mean,
            )
            for group in found
        ]

    return ProfileReviewOut(
        review_id=result.review_id,
        visit_date=result.visit_date,
        scale=result.scale_key,
        scale_version=result.scale_version,
        total=result.total,
        maximum=result.maximum,
        level=result.level.key if result.level else None,
        level_title=result.level.title.get(language) if result.level else None,
        sections=groups(result.sections),
        principles=groups(result.principles),
        items=[
            ItemScoreOut(
                key=item.key,
                number=item.number,
                score=result.items[item.key].score if item.key in result.items else None,
                not_rated_reason=result.items[item.key].not_rated_reason
                if item.key in result.items
                else None,
            )
            for item in result.definition.items
        ],
    )


def action_out(planned: action_plan.PlannedAction, today: date) -> ActionOut:
    """One action of a team's plan; ``today`` says whether it is overdue."""
    return ActionOut(
        id=planned.action.id or 0,
        review_id=planned.action.review_id,
        review_visit_date=planned.review_visit_date,
        item_key=planned.action.item_key,
        item_number=planned.item.number if planned.item else None,
        what=planned.action.what,
        who=planned.action.who,
        due_date=planned.action.due_date,
        status=ActionStatus(planned.action.status),
        overdue=planned.overdue(today),
        created_at=planned.action.created_at,
        updated_at=planned.action.updated_at,
        completed_at=planned.action.completed_at,
    )


@router.get(
    "/teams/{team_id}/outcomes",
    response_model=TeamOutcomesOut,
    summary="A team's outcomes quarter by quarter: its municipalities' figures from STAR's "
    "monitoring for its target group where all are in, its own figures otherwise",
)
def team_outcomes(
    request: Request, session: SessionDep, principal: CurrentPrincipal, team_id: PathId
) -> TeamOutcomesOut:
    found = outcomes.team_outcomes(
        session,
        principal=principal,
        team_id=team_id,
        today=request.app.state.settings.today(),
    )
    return TeamOutcomesOut(
        team_id=team_id,
        program_type=found.team.program_type,
        municipalities=found.municipalities,
        goal=outcomes.GOAL,
        end_goal=outcomes.END_GOAL,
        quarters=[
            OutcomeQuarterOut(
                quarter=q.label,
                year=q.year,
                number=q.quarter,
                source=q.source,
                municipalities_in=q.municipalities_in,
                participants=q.participants,
                shares=q.shares,
                counts=q.counts,
            )
            for q in found.quarters
        ],
    )
