"""Reviews as answered: one in a list, one in full with the ratings the caller may see and
its totals, and the bodies that plan, summarise, reopen a review or take a reviewer off it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field

from app.scales.scoring import ReviewScore
from app.schemas.ratings import Body, RatingOut, rating_out
from app.services import consensus, reviewers
from app.services.access import Principal
from app.services.review_view import ScoringView


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
    strengths: str | None = Field(None, max_length=consensus.SUMMARY_MAX)
    summary: str | None = Field(None, max_length=consensus.SUMMARY_MAX)


class ReopenIn(Body):
    reason: str = Field(min_length=1, max_length=consensus.REOPEN_REASON_MAX)


class TakeOffIn(Body):
    reason: str = Field(max_length=reviewers.REASON_MAX * 2, description="Why, shown on the review")
    replacement_username: str | None = Field(
        None, max_length=64, description="Who takes their place (an ambassador or admin)"
    )
    lead_username: str | None = Field(
        None, max_length=64, description="Who leads, when the lead is the one taken off"
    )


def review_out(review: Any, team: Any, scale: Any) -> ReviewOut:
    """A review as listed: its result only once finalised."""
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


def totals_out(result: ReviewScore) -> TotalsOut:
    """A score's totals, completeness and level."""
    return TotalsOut(
        total=result.total,
        mean=result.mean,
        rated=result.rated_count,
        items=result.item_count,
        not_rated=len(result.not_rated),
        completeness=result.completeness,
        level=result.level.key if result.level else None,
    )


def review_detail_out(view: ScoringView, principal: Principal) -> ReviewDetailOut:
    """The review in full, as ``view`` lets the caller see it."""
    usernames = {user.id: user.username for user, _ in view.reviewers if user.id is not None}
    me = principal.user_id
    others = {
        usernames[rater]: {key: rating_out(r, usernames) for key, r in given.items()}
        for rater, given in view.ratings.items()
        if rater != me
    }
    all_visible = len(view.ratings) == len(view.reviewers) and view.all_submitted
    base = review_out(view.review, view.team, view.scale)
    return ReviewDetailOut(
        **base.model_dump(),
        reviewers=[
            ReviewerOut(
                username=user.username,
                display_name=user.display_name,
                is_lead=link.is_lead,
                submitted_at=link.submitted_at,
                account_active=user.is_active,
            )
            for user, link in view.reviewers
        ],
        removed_reviewers=[
            RemovedReviewerOut(
                username=user.username,
                display_name=user.display_name,
                removed_at=link.removed_at,
                reason=link.removed_reason,
            )
            for user, link in view.removed
            if link.removed_at is not None
        ],
        items=[
            ItemOut(
                key=item.key,
                number=item.number,
                kind=item.kind,
                section=item.section,
                per_consultant=item.per_consultant,
                title=item.title.model_dump(),
            )
            for item in view.definition.items
        ],
        my_ratings={key: rating_out(r, usernames) for key, r in view.my_ratings.items()},
        other_ratings=others,
        consensus=None
        if view.consensus is None
        else {key: rating_out(r, usernames) for key, r in view.consensus.items()},
        my_totals=totals_out(view.score_of(view.my_ratings)) if view.me else None,
        consensus_totals=None
        if view.consensus is None
        else totals_out(view.score_of(view.consensus)),
        agreement=view.agreement().to_dict() if all_visible else None,
        strengths=view.review.strengths,
        summary=view.review.summary,
    )
