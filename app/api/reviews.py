"""/api/v1/reviews: the reviews in the caller's scope, one in full, planning one, the
lead's summary, submitting, finalising, reopening, and taking a reviewer off it."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import BackgroundTasks, Path, Request, Response

from app.api.base import CursorParam, next_link, v1_router
from app.api.ratings import rating_out
from app.db import SessionDep
from app.scales.scoring import ReviewScore
from app.schemas.reviews import (
    ItemOut,
    RemovedReviewerOut,
    ReopenIn,
    ReviewCreate,
    ReviewDetailOut,
    ReviewerOut,
    ReviewOut,
    ReviewPage,
    SummaryIn,
    TakeOffIn,
    TotalsOut,
)
from app.services import access, consensus, paging, planning, review_view, reviewers, reviews
from app.services.access import Principal
from app.services.review_view import ScoringView
from app.web.auth import CurrentPrincipal, record_view
from app.web.params import LimitParam, PathId, QueryId

router = v1_router()


@router.get(
    "/reviews",
    response_model=ReviewPage,
    summary="Reviews in the caller's scope, newest visit first, a page at a time",
    description='Follow `next` (or the `Link: rel="next"` header) until it is null.',
)
def review_list(
    request: Request,
    response: Response,
    session: SessionDep,
    principal: CurrentPrincipal,
    team_id: QueryId = None,
    limit: LimitParam = None,
    cursor: CursorParam = None,
) -> ReviewPage:
    size = paging.page_request(number=1, size=limit).size
    after = paging.Cursor.decode(cursor, (date.fromisoformat, int))
    rows, following = reviews.review_slice(
        session,
        principal=principal,
        team_id=team_id,
        after=(after[0], after[1]) if after else None,
        limit=size,
    )
    return ReviewPage(
        items=[review_out(*row) for row in rows],
        limit=size,
        next=next_link(request, response, list(following) if following else None),
    )


@router.get(
    "/reviews/{review_id}",
    response_model=ReviewDetailOut,
    summary="One review with its items and the ratings the caller may see (404 outside scope)",
)
def review_detail(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    background: BackgroundTasks,
    review_id: PathId,
) -> ReviewDetailOut:
    detail = _review_detail(session, principal, review_id)
    record_view(request, background, principal, "review", review_id)
    return detail


@router.post(
    "/reviews",
    response_model=ReviewDetailOut,
    status_code=201,
    summary="Plan a review: team, scale version, visit date, reviewers and lead",
)
def review_create(
    session: SessionDep, principal: CurrentPrincipal, body: ReviewCreate
) -> ReviewDetailOut:
    review = planning.plan_review(
        session,
        principal=principal,
        team_id=body.team_id,
        scale_key=body.scale_key,
        scale_version=body.scale_version,
        visit_date=body.visit_date,
        visit_end_date=body.visit_end_date,
        reviewer_usernames=body.reviewer_usernames,
        lead_username=body.lead_username,
    )
    assert review.id is not None
    return _review_detail(session, principal, review.id)


@router.put(
    "/reviews/{review_id}/summary",
    response_model=ReviewDetailOut,
    summary="The lead's strengths and overall summary",
)
def summary_put(
    session: SessionDep, principal: CurrentPrincipal, review_id: PathId, body: SummaryIn
) -> ReviewDetailOut:
    consensus.save_summary(
        session,
        principal=principal,
        review_id=review_id,
        strengths=body.strengths,
        summary=body.summary,
    )
    return _review_detail(session, principal, review_id)


@router.post(
    "/reviews/{review_id}/submit",
    response_model=ReviewDetailOut,
    summary="Mark the caller's own scoring as done (every item scored or not rated)",
)
def review_submit(
    session: SessionDep, principal: CurrentPrincipal, review_id: PathId
) -> ReviewDetailOut:
    consensus.submit(session, principal=principal, review_id=review_id)
    return _review_detail(session, principal, review_id)


@router.post(
    "/reviews/{review_id}/finalize",
    response_model=ReviewDetailOut,
    summary="Finalise and lock the review (lead; every item settled)",
)
def review_finalize(
    session: SessionDep, principal: CurrentPrincipal, review_id: PathId
) -> ReviewDetailOut:
    consensus.finalise(session, principal=principal, review_id=review_id)
    return _review_detail(session, principal, review_id)


@router.post(
    "/reviews/{review_id}/reopen",
    response_model=ReviewDetailOut,
    summary="Reopen a finalised review (administrators; with a reason)",
)
def review_reopen(
    session: SessionDep, principal: CurrentPrincipal, review_id: PathId, body: ReopenIn
) -> ReviewDetailOut:
    consensus.reopen(session, principal=principal, review_id=review_id, reason=body.reason)
    return _review_detail(session, principal, review_id)


@router.post(
    "/reviews/{review_id}/reviewers/{username}/remove",
    response_model=ReviewDetailOut,
    summary="Take a reviewer off a review in progress, with a reason, optionally putting "
    "someone in their place (the lead or administrators)",
    description="Their ratings are kept for the record but no longer count: the consensus "
    "no longer waits for them. A review being scored keeps at least two reviewers. "
    "Answers with the review as it is now, or 204 when callers took themselves off and "
    "may no longer see it.",
    responses={204: {"description": "Done; the caller no longer sees the review"}},
)
def reviewer_remove(
    session: SessionDep,
    principal: CurrentPrincipal,
    review_id: PathId,
    username: Annotated[str, Path(max_length=64)],
    body: TakeOffIn,
) -> Any:
    reviewers.take_off(
        session,
        principal=principal,
        review_id=review_id,
        username=username,
        reason=body.reason,
        replacement=body.replacement_username,
        new_lead=body.lead_username,
    )
    if not access.sees_review(session, principal=principal, review_id=review_id):
        return Response(status_code=204)
    return _review_detail(session, principal, review_id)


def _review_detail(session: SessionDep, principal: Principal, review_id: int) -> ReviewDetailOut:
    view = review_view.scoring_view(session, principal=principal, review_id=review_id)
    return review_detail_out(view, principal)


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
