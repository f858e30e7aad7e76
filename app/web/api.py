"""The JSON API, version 1: who am I, and the teams and reviews in the caller's scope.

Scripts authenticate with ``Authorization: Bearer <token>``; the browser's own session
cookie works too (with the CSRF header for anything that changes state). Errors are
``application/problem+json``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Request
from pydantic import BaseModel

from app.db import SessionDep
from app.services import reviews, teams
from app.web.auth import CurrentPrincipal, record_view
from app.web.params import PathId, QueryId

router = APIRouter(prefix="/api/v1", tags=["v1"])


class Me(BaseModel):
    username: str
    display_name: str
    role: str
    regions: list[int]
    teams: list[int]
    channel: str


class MunicipalityOut(BaseModel):
    code: int
    name: str
    region_code: int


class TeamOut(BaseModel):
    id: int
    name: str
    program_type: str
    is_active: bool
    municipalities: list[MunicipalityOut]
    review_count: int


class ReviewOut(BaseModel):
    id: int
    team_id: int
    team_name: str
    scale: str
    scale_version: str
    visit_date: date
    visit_end_date: date | None
    status: str
    finalised_at: datetime | None
    total_score: float | None
    level: str | None
    result: dict[str, Any] | None


@router.get("/me", response_model=Me, summary="The signed-in user or token holder")
def me(principal: CurrentPrincipal) -> Me:
    return Me(
        username=principal.username,
        display_name=principal.display_name,
        role=principal.role.value,
        regions=sorted(principal.regions),
        teams=sorted(principal.teams),
        channel=principal.channel,
    )


def _team(summary: teams.TeamSummary) -> TeamOut:
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


@router.get("/teams", response_model=list[TeamOut], summary="Teams in the caller's scope")
def team_list(session: SessionDep, principal: CurrentPrincipal) -> list[TeamOut]:
    return [_team(summary) for summary in teams.list_teams(session, principal)]


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
    summary.review_count = len(reviews.list_reviews(session, principal, team_id=team_id))
    return _team(summary)


def _review(review: Any, team: Any, scale: Any) -> ReviewOut:
    finalised = review.status == "finalised"
    return ReviewOut(
        id=review.id,
        team_id=team.id,
        team_name=team.name,
        scale=scale.scale_key,
        scale_version=scale.version,
        visit_date=review.visit_date,
        visit_end_date=review.visit_end_date,
        status=review.status,
        finalised_at=review.finalised_at,
        total_score=review.total_score if finalised else None,
        level=review.level_key if finalised else None,
        result=review.result if finalised else None,
    )


@router.get("/reviews", response_model=list[ReviewOut], summary="Reviews in the caller's scope")
def review_list(
    session: SessionDep, principal: CurrentPrincipal, team_id: QueryId = None
) -> list[ReviewOut]:
    rows = reviews.list_reviews(session, principal, team_id=team_id)
    return [_review(*row) for row in rows]


@router.get(
    "/reviews/{review_id}", response_model=ReviewOut, summary="One review (404 outside scope)"
)
def review_detail(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    background: BackgroundTasks,
    review_id: PathId,
) -> ReviewOut:
    view = reviews.review_view(session, principal, review_id)
    record_view(request, background, principal, "review", review_id)
    return _review(view.review, view.team, view.scale)
