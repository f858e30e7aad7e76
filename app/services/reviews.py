"""Reviews as the caller may see them. Planning and scoring arrive with the scoring issue;
this module answers who may read which review."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.models import Review, ReviewReviewer, ScaleVersion, Team, User
from app.services import access
from app.services.access import Principal


@dataclass
class ReviewView:
    review: Review
    team: Team
    scale: ScaleVersion
    reviewers: list[tuple[User, ReviewReviewer]]


def list_reviews(
    session: Session, principal: Principal, *, team_id: int | None = None
) -> list[tuple[Review, Team, ScaleVersion]]:
    """The reviews the caller may see, newest visit first."""
    query = (
        select(Review, Team, ScaleVersion)
        .join(Team, col(Team.id) == col(Review.team_id))
        .join(ScaleVersion, col(ScaleVersion.id) == col(Review.scale_version_id))
        .where(access.review_scope(principal))
        .order_by(col(Review.visit_date).desc(), col(Review.id).desc())
    )
    if team_id is not None:
        query = query.where(Review.team_id == team_id)
    return [(review, team, scale) for review, team, scale in session.exec(query)]


def review_view(session: Session, principal: Principal, review_id: int) -> ReviewView:
    review = access.visible_review(session, principal, review_id)
    team = session.get(Team, review.team_id)
    scale = session.get(ScaleVersion, review.scale_version_id)
    assert team is not None and scale is not None
    reviewers = session.exec(
        select(User, ReviewReviewer)
        .join(ReviewReviewer, col(ReviewReviewer.user_id) == col(User.id))
        .where(ReviewReviewer.review_id == review_id)
        .order_by(col(ReviewReviewer.is_lead).desc(), col(User.display_name))
    )
    return ReviewView(review, team, scale, [(user, link) for user, link in reviewers])
