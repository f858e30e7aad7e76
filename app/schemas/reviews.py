"""Reviews as answered: one in a list, one in full with the ratings the caller may see and
its totals, and the bodies that plan, summarise, reopen a review or take a reviewer off it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from app.scales import rules
from app.schemas.ratings import Body, RatingOut


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


class ReviewPage(BaseModel):
    items: list[ReviewOut] = Field(description="This page's reviews, newest visit first")
    limit: int
    next: str | None = Field(
        description="The address of the next page (also in the Link header); null on the last"
    )


class TotalsOut(BaseModel):
    total: float
    mean: float | None
    rated: int
    items: int
    not_rated: int
    completeness: str
    level: str | None


class ReviewerOut(BaseModel):
    username: str
    display_name: str
    is_lead: bool
    submitted_at: datetime | None
    account_active: bool = Field(description="False: the account is disabled")


class RemovedReviewerOut(BaseModel):
    username: str
    display_name: str
    removed_at: datetime
    reason: str | None


class ItemOut(BaseModel):
    key: str
    number: int
    kind: str
    section: str
    per_consultant: bool
    title: dict[str, str]


class ReviewCreate(Body):
    team_id: Annotated[int, Field(strict=True, ge=1)]
    scale_key: str | None = Field(
        None, max_length=64, description="Default: the newest for the team"
    )
    scale_version: str | None = Field(None, max_length=32)
    visit_date: date
    visit_end_date: date | None = None
    reviewer_usernames: list[Annotated[str, Field(max_length=64)]] = Field(
        min_length=2, max_length=10
    )
    lead_username: str = Field(max_length=64)


class ReviewDetailOut(ReviewOut):
    reviewers: list[ReviewerOut]
    removed_reviewers: list[RemovedReviewerOut] = Field(
        description="Reviewers taken off the review, and why: their ratings no longer count"
    )
    items: list[ItemOut]
    my_ratings: dict[str, RatingOut] = Field(description="The caller's own ratings, by item key")
    other_ratings: dict[str, dict[str, RatingOut]] = Field(
        description="Other reviewers' ratings the caller may see, by username and item key; "
        "empty while the caller's own scoring is blind"
    )
    consensus: dict[str, RatingOut] | None = Field(
        description="The consensus, once every reviewer has submitted"
    )
    my_totals: TotalsOut | None
    consensus_totals: TotalsOut | None
    agreement: dict[str, Any] | None
    strengths: str | None
    summary: str | None


class SummaryIn(Body):
    strengths: str | None = Field(None, max_length=rules.SUMMARY_MAX)
    summary: str | None = Field(None, max_length=rules.SUMMARY_MAX)


class ReopenIn(Body):
    reason: str = Field(min_length=1, max_length=rules.REOPEN_REASON_MAX)


class TakeOffIn(Body):
    reason: str = Field(
        max_length=rules.TAKE_OFF_REASON_MAX * 2, description="Why, shown on the review"
    )
    replacement_username: str | None = Field(
        None, max_length=64, description="Who takes their place (an ambassador or admin)"
    )
    lead_username: str | None = Field(
        None, max_length=64, description="Who leads, when the lead is the one taken off"
    )
