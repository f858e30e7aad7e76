"""Settling a review: each reviewer's submission, the consensus that begins once every
reviewer has submitted, the lead's summary, finalising with the stored result, and an
administrator's reopening.

A review moves through three states:

- ``scoring``: each assigned reviewer rates every item on their own. Until a reviewer has
  submitted, they see only their own ratings (blind scoring). A submitted scoring is final.
- ``consensus``: every reviewer has submitted. Items on which they all agree are copied
  into the consensus; the lead reviewer settles the others, each with a rationale, and
  writes a recommendation for every item at or below the scale's threshold.
- ``finalised``: the consensus is complete; the total, level, section and principle
  scores and the agreement statistics are stored and the review is locked. Only an
  administrator can reopen it, with a reason; the audit trail keeps what it was.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from app.errors import Conflict, Forbidden, Invalid
from app.models import RaterKind, Rating, RatingChange, Review, ReviewReviewer, ReviewStatus, utcnow
from app.scales.rules import REOPEN_REASON_MAX, SUMMARY_MAX, clean_text
from app.scales.schema import ScaleDefinition
from app.scales.scoring import score_review
from app.services import access, audit, round_view
from app.services import scales as scale_service
from app.services.access import Principal
from app.services.rating_rows import fingerprint
from app.services.review_view import consensus_items, item_scores, scoring_view


def submit(session: Session, *, principal: Principal, review_id: int) -> Review:
    """Mark the caller's own scoring as done. Once every reviewer has, the review moves to
    consensus and the items they agree on are copied into it."""
    review = access.visible_review(session, principal=principal, review_id=review_id)
    assert review.id is not None
    lock_review(session, review=review)
    links = links_of(session, review_id=review.id)
    me = links.get(principal.user_id or -1)
    if me is None:
        raise Forbidden.of("err_not_reviewer")
    if me.submitted_at is not None:
        return review  # submitting twice changes nothing
    if review.status == ReviewStatus.FINALISED:
        raise Conflict.of("err_review_finalised")
    definition = scale_service.definition_for(session, scale_version_id=review.scale_version_id)
    mine = _ratings_of(session, review.id, RaterKind.REVIEWER, me.user_id)
    result = score_review(definition, item_scores(mine))
    if result.unscored:
        numbers = [str(definition.item(key).number) for key in result.unscored]
        raise Conflict.of("err_unscored_items", count=len(numbers), numbers=", ".join(numbers))
    me.submitted_at = utcnow()
    session.add(me)
    audit.record(
        session,
        action="review.submitted",
        by=principal,
        entity_type="review",
        entity_id=review.id,
        after={
            "total": result.total,
            "rated": result.rated_count,
            "not_rated": len(result.not_rated),
        },
    )
    if all(link.submitted_at is not None for link in links.values()):
        start_consensus(
            session,
            principal=principal,
            review=review,
            definition=definition,
            rater_ids=list(links),
        )
    session.flush()
    return review


def _ratings_of(
    session: Session, review_id: int, kind: RaterKind, rater_id: int | None = None
) -> dict[str, Rating]:
    query = select(Rating).where(Rating.review_id == review_id, Rating.rater_kind == kind)
    if rater_id is not None:
        query = query.where(Rating.rater_id == rater_id)
    return {rating.item_key: rating for rating in session.exec(query)}


def start_consensus(
    session: Session,
    *,
    principal: Principal,
    review: Review,
    definition: ScaleDefinition,
    rater_ids: list[int],
) -> None:
    """Move ``review`` to the consensus, with the items every rater scored alike copied
    into it; the event is the lead's, set off by ``principal``."""
    assert review.id is not None
    review.status = ReviewStatus.CONSENSUS
    session.add(review)
    by_rater = {
        rater: _ratings_of(session, review.id, RaterKind.REVIEWER, rater) for rater in rater_ids
    }
    existing = _ratings_of(session, review.id, RaterKind.CONSENSUS)  # a reopened review's
    agreed: list[str] = []
    for item in definition.items:
        scores = [by_rater[rater].get(item.key) for rater in rater_ids]
        values = {rating.score if rating else None for rating in scores}
        if len(values) != 1 or None in values or item.key in existing:
            continue
        evidence = sorted({source for rating in scores if rating for source in rating.evidence})
        _copy_agreed(session, principal, review.id, item.key, values.pop(), evidence)
        agreed.append(item.key)
    # The consensus is the lead's to make: it begins in their name, though the last
    # reviewer's submission (or a reviewer's removal) is what set it off.
    lead = session.exec(
        select(ReviewReviewer.user_id).where(
            ReviewReviewer.review_id == review.id, col(ReviewReviewer.is_lead).is_(True)
        )
    ).first()
    audit.record(
        session,
        action="review.consensus_started",
        actor_id=lead,
        channel="system",
        entity_type="review",
        entity_id=review.id,
        after={"agreed_items": agreed, "set_off_by": principal.username},
    )


def _copy_agreed(
    session: Session,
    principal: Principal,
    review_id: int,
    item_key: str,
    score: float | None,
    evidence: list[str],
) -> None:
    """The consensus rating of an item every reviewer scored alike, and its change record."""
    content: dict[str, Any] = {
        "score": score,
        "not_rated_reason": None,
        "note": None,
        "evidence": evidence,
        "inputs": None,
        "rationale": None,
        "recommendation": None,
    }
    rating = Rating(
        review_id=review_id,
        item_key=item_key,
        rater_kind=RaterKind.CONSENSUS,
        revision=1,
        score=score,
        evidence=evidence,
        updated_by_id=principal.user_id,
    )
    session.add(rating)
    session.flush()
    assert rating.id is not None
    session.add(
        RatingChange(
            rating_id=rating.id,
            review_id=review_id,
            revision=1,
            content=content,
            content_sha256=fingerprint(content),
            changed_by_id=principal.user_id,
            channel="system",
        )
    )


def save_summary(
    session: Session,
    *,
    principal: Principal,
    review_id: int,
    strengths: str | None,
    summary: str | None,
) -> Review:
    """The lead's strengths and overall summary; each call replaces both texts."""
    review = access.visible_review(session, principal=principal, review_id=review_id)
    me = links_of(session, review_id=review_id).get(principal.user_id or -1)
    if me is None:
        raise Forbidden.of("err_not_reviewer")
    if not me.is_lead:
        raise Forbidden.of("err_not_lead")
    if review.status == ReviewStatus.FINALISED:
        raise Conflict.of("err_review_finalised")
    after = {
        "strengths": clean_text(strengths, limit=SUMMARY_MAX, key="err_summary_long"),
        "summary": clean_text(summary, limit=SUMMARY_MAX, key="err_summary_long"),
    }
    before = {"strengths": review.strengths, "summary": review.summary}
    if before == after:
        return review
    review.strengths, review.summary = after["strengths"], after["summary"]
    session.add(review)
    audit.record(
        session,
        action="review.summary_saved",
        by=principal,
        entity_type="review",
        entity_id=review_id,
        before=before,
        after=after,
    )
    session.flush()
    return review


def finalise(session: Session, *, principal: Principal, review_id: int) -> Review:
    """Lock the review with its consensus result, once nothing is left open."""
    review = access.visible_review(session, principal=principal, review_id=review_id)
    assert review.id is not None
    lock_review(session, review=review)
    if review.status == ReviewStatus.FINALISED:
        raise Conflict.of("err_review_finalised")
    me = links_of(session, review_id=review_id).get(principal.user_id or -1)
    if not principal.is_admin and (me is None or not me.is_lead):
        raise Forbidden.of("err_not_lead")
    if review.status != ReviewStatus.CONSENSUS:
        raise Conflict.of("err_consensus_before_submit")
    view = scoring_view(session, principal=principal, review_id=review_id)
    rows = consensus_items(view)
    blocking: list[tuple[str, dict[str, object]]] = []
    open_points: dict[str, list[int]] = {}
    for point, key in (
        ("missing_consensus", "err_finalise_unsettled"),
        ("missing_rationale", "err_finalise_rationale"),
        ("missing_recommendation", "err_finalise_recommendation"),
    ):
        numbers = [row.item.number for row in rows if point in row.open_points]
        if numbers:
            open_points[point] = numbers
            text = ", ".join(str(number) for number in numbers)
            blocking.append((key, {"count": len(numbers), "numbers": text}))
    if blocking:  # everything in the way at once, not one kind at a time
        refused = Conflict.all_of(blocking)
        refused.extra["open_points"] = open_points
        raise refused
    result = view.score_of(view.consensus or {})
    stats = view.agreement()
    stored = result.to_dict()
    stored["agreement"] = stats.to_dict()
    stored["explanation"] = {
        "da": result.explanation("da"),
        "en": result.explanation("en"),
    }
    figures = round_view.team_figures_for_review(
        session, review_id=review_id, definition=view.definition
    )
    if figures:  # the team's own figures beside the consensus's: both are kept
        counted = [view.ratings.get(user.id or 0, {}) for user, _ in view.raters]
        stored["team_figures"] = round_view.figure_comparison(
            figures, view.consensus or {}, counted
        )
    review.status = ReviewStatus.FINALISED
    review.finalised_at = utcnow()
    review.finalised_by_id = principal.user_id
    review.total_score = result.total
    review.level_key = result.level.key if result.level else None
    review.result = stored
    session.add(review)
    audit.record(
        session,
        action="review.finalised",
        by=principal,
        entity_type="review",
        entity_id=review.id,
        after={"total": result.total, "level": review.level_key, "agreement": stats.to_dict()},
    )
    session.flush()
    return review


def reopen(session: Session, *, principal: Principal, review_id: int, reason: str | None) -> Review:
    """Unlock a finalised review for the lead to correct (administrators only, with a
    reason). The result it had is kept in the audit trail."""
    review = access.visible_review(session, principal=principal, review_id=review_id)
    access.require_admin(principal)
    text = clean_text(reason, limit=REOPEN_REASON_MAX, key="err_reopen_reason_long")
    if text is None:
        raise Invalid.of("err_reopen_reason")
    if review.status != ReviewStatus.FINALISED:
        raise Conflict.of("err_reopen_not_finalised")
    before = {
        "status": review.status,
        "total": review.total_score,
        "level": review.level_key,
        "finalised_at": review.finalised_at.isoformat() if review.finalised_at else None,
        "finalised_by_id": review.finalised_by_id,
        "result": review.result,
    }
    review.status = ReviewStatus.CONSENSUS
    review.finalised_at = None
    review.finalised_by_id = None
    review.total_score = None
    review.level_key = None
    review.result = None
    session.add(review)
    audit.record(
        session,
        action="review.reopened",
        by=principal,
        entity_type="review",
        entity_id=review_id,
        before=before,
        after={"status": review.status, "reason": text},
    )
    session.flush()
    return review


def lock_review(session: Session, *, review: Review) -> None:
    """On PostgreSQL, writers of one review queue here, and then read the review again as
    the writer before them left it, so a rating cannot slip in beside a submission or a
    finalisation. On SQLite the request's transaction began with BEGIN IMMEDIATE: one
    writer at a time, and everything it reads is current."""
    if session.get_bind().dialect.name == "postgresql":
        session.exec(select(Review.id).where(Review.id == review.id).with_for_update()).one()
        session.refresh(review)


def links_of(session: Session, *, review_id: int) -> dict[int, ReviewReviewer]:
    """The review's reviewers by user id; one taken off it is not among them."""
    rows = session.exec(
        select(ReviewReviewer).where(
            ReviewReviewer.review_id == review_id, col(ReviewReviewer.removed_at).is_(None)
        )
    )
    return {link.user_id: link for link in rows}
