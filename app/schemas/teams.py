"""Teams as answered: a team with its municipalities, a page of them, a team's profile
over the years, and its action plan."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from app.models import ActionStatus
from app.services import feedback, profiles, teams


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


class TeamPage(BaseModel):
    items: list[TeamOut] = Field(description="This page's teams, by name")
    limit: int
    next: str | None = Field(
        description="The address of the next page (also in the Link header); null on the last"
    )


class GroupScoreOut(BaseModel):
    key: str
    title: str
    item_count: int
    rated_count: int = Field(description="Items behind the mean (not-rated items are left out)")
    total: float
    mean: float | None


class ItemScoreOut(BaseModel):
    key: str
    number: int
    score: float | None
    not_rated_reason: str | None


class ProfileReviewOut(BaseModel):
    review_id: int
    visit_date: date
    scale: str
    scale_version: str
    total: float
    maximum: float
    level: str | None = Field(description="The level's key; null when none was given")
    level_title: str | None
    sections: list[GroupScoreOut]
    principles: list[GroupScoreOut]
    items: list[ItemScoreOut]


class ProfileOut(BaseModel):
    team_id: int
    reviews: list[ProfileReviewOut] = Field(description="Every finalised review, oldest first")
    next_review_due: date | None


class ActionOut(BaseModel):
    id: int
    review_id: int = Field(description="The finalised review whose recommendation it answers")
    review_visit_date: date
    item_key: str
    item_number: int | None
    what: str
    who: str
    due_date: date
    status: ActionStatus
    overdue: bool = Field(description="Not done, and its due date has passed")
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None


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


def action_out(planned: feedback.PlannedAction, today: date) -> ActionOut:
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
