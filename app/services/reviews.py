"""Reviews as the caller may see them, in lists. One review, with its ratings as the
caller may see them, is ``scoring.scoring_view``."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.models import Review, ScaleVersion, Team
from app.services import access
from app.services.access import Principal


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
