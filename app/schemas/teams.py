"""Teams as answered: a team with its municipalities, a page of them, a team's profile
over the years, and its action plan."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from app.models import ActionStatus


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
