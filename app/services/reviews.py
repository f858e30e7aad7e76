"""Reviews as the caller may see them, in lists. One review, with its ratings as the
caller may see them, is ``review_view.scoring_view``.

Every list is bounded: the newest few for a front page, one page after a cursor for the
API, or one team's reviews (a review a year). None reads the whole history.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import Select

from app.models import FINALISED, Review, ScaleVersion, Team
from app.services import access
from app.services.access import Principal

ReviewRow = tuple[Review, Team, ScaleVersion]


def _visible(
    principal: Principal, *, newest_first: bool = False
) -> Select[Review, Team, ScaleVersion]:
    scope = (
        access.review_scope_newest_first(principal)
        if newest_first
        else access.review_scope(principal)
    )
    return (
        select(Review, Team, ScaleVersion)
        .join(Team, col(Team.id) == col(Review.team_id))
        .join(ScaleVersion, col(ScaleVersion.id) == col(Review.scale_version_id))
        .where(scope)
    )


def list_reviews(
    session: Session, *, principal: Principal, team_id: int | None = None, limit: int | None = None
) -> list[ReviewRow]:
    """The reviews the caller may see, newest visit first: of one team, or the newest
    ``limit`` of all (one of the two, so the list is bounded)."""
    if team_id is None and limit is None:
        raise ValueError("a list of every team's reviews needs a limit")
    query = _visible(principal, newest_first=team_id is None).order_by(
        col(Review.visit_date).desc(), col(Review.id).desc()
    )
    if team_id is not None:
        query = query.where(Review.team_id == team_id)
    if limit is not None:
        query = query.limit(limit)
    return [(review, team, scale) for review, team, scale in session.exec(query)]


def review_slice(
    session: Session,
    *,
    principal: Principal,
    team_id: int | None,
    after: tuple[date, int] | None,
    limit: int,
) -> tuple[list[ReviewRow], tuple[date, int] | None]:
    """Up to ``limit`` reviews after the (visit date, id) ``after``, newest first, and the
    key the next slice starts after (None: this was the last)."""
    query = _visible(principal, newest_first=team_id is None).order_by(
        col(Review.visit_date).desc(), col(Review.id).desc()
    )
    if team_id is not None:
        query = query.where(Review.team_id == team_id)
    if after is not None:
        day, review_id = after
        query = query.where(
            or_(
                col(Review.visit_date) < day,
                and_(col(Review.visit_date) == day, col(Review.id) < review_id),
            )
        )
    rows = [(r, t, s) for r, t, s in session.exec(query.limit(limit + 1))]
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1][0]
    assert last.id is not None
    return rows[:limit], (last.visit_date, last.id)


def in_progress(
    session: Session, *, principal: Principal, limit: int
) -> tuple[list[ReviewRow], int]:
    """The newest ``limit`` reviews under way that the caller may see, and how many
    there are in all (a team has at most one, so they are few, but the front page
    stays bounded all the same)."""
    open_only = col(Review.status) != FINALISED  # the partial index of open reviews
    query = _visible(principal).where(open_only)
    # Sorted by an expression no index serves: given the index by visit date, SQLite
    # walked all 100,000 reviews newest first looking for the few open ones (0.13 s);
    # this way it takes the open ones from their own index and sorts those.
    newest = func.coalesce(col(Review.visit_date), col(Review.visit_date))
    rows = session.exec(query.order_by(newest.desc(), col(Review.id).desc()).limit(limit))
    total = session.exec(
        select(func.count()).select_from(Review).where(open_only, access.review_scope(principal))
    ).one()
    return [(r, t, s) for r, t, s in rows], int(total)
