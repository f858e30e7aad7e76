"""Taking a reviewer off a review in progress: replaced by someone else, or removed.

A review waits for every reviewer on it, so one who can no longer score (their account
was disabled, they left the corps, they fell ill) would hold it up for good: consensus
would never start, nobody could stand in, and the team could get no new review while
this one was open. The review's lead or an administrator takes them off it, with a
reason that everyone who reads the review sees.

The reviewer's place and ratings stay, for the record, but out of everything that
follows: they no longer score, the consensus no longer waits for them, and the
agreement between reviewers is counted without them. A replacement scores like anyone
else while the review is being scored; taken on during the consensus, they join it
with nothing to score (the lead makes the consensus). If the lead is taken off, the
lead passes to the replacement or to a reviewer named for it.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.errors import Conflict, Forbidden, Invalid
from app.models import Review, ReviewReviewer, ReviewStatus, Role, User, utcnow
from app.scales.rules import TAKE_OFF_REASON_MAX, clean_text
from app.services import access, audit, consensus
from app.services import scales as scale_service
from app.services.access import Principal


def may_change(principal: Principal, *, leads: bool) -> bool:
    """Whether the caller may take reviewers off a review in progress: its lead, or an
    administrator."""
    return principal.is_admin or leads


def take_off(
    session: Session,
    *,
    principal: Principal,
    review_id: int,
    username: str | None = None,
    user_id: int | None = None,
    reason: str | None,
    replacement: str | None = None,
    new_lead: str | None = None,
) -> ReviewReviewer:
    """Take a reviewer (by ``username`` or ``user_id``) off the review, with ``reason``,
    putting ``replacement`` in their place if given; ``new_lead`` leads when the
    reviewer taken off led it. Who may do this is checked before anyone is looked up."""
    review = access.visible_review(session, principal=principal, review_id=review_id)
    assert review.id is not None
    consensus.lock_review(session, review=review)
    if review.status == ReviewStatus.FINALISED:
        raise Conflict.of("err_review_finalised")
    links = consensus.links_of(session, review_id=review.id)
    me = links.get(principal.user_id or -1)
    if not may_change(principal, leads=me is not None and me.is_lead):
        raise Forbidden.of("err_change_reviewers")
    why = clean_text(reason, limit=TAKE_OFF_REASON_MAX, key="err_reason_long")
    if not why:
        raise Invalid.of("err_reviewer_reason")
    leaving, link = _leaving(session, links, username=username, user_id=user_id)
    newcomer = _newcomer(session, review.id, replacement, links) if replacement else None
    staying = [other for other in links.values() if other.user_id != link.user_id]
    needed = 2 if review.status == ReviewStatus.SCORING else 1
    if len(staying) + (1 if newcomer else 0) < needed:
        raise Invalid.of("err_too_few_reviewers", count=needed)
    lead = _next_lead(session, link, staying, newcomer, new_lead)
    was_lead = link.is_lead
    _move(session, principal, review, link, staying, newcomer, lead, why)
    audit.record(
        session,
        action="review.reviewer_replaced" if newcomer else "review.reviewer_removed",
        by=principal,
        entity_type="review",
        entity_id=review.id,
        before={"reviewer": leaving.username, "was_lead": was_lead},
        after={
            "reviewer": leaving.username,
            "replacement": newcomer.username if newcomer else None,
            "lead": _username(session, lead),
            "reason": why,
        },
    )
    if review.status == ReviewStatus.SCORING and all(o.submitted_at for o in staying):
        # Everyone left on it has submitted: the consensus waited only for them.
        definition = scale_service.definition_for(session, scale_version_id=review.scale_version_id)
        consensus.start_consensus(
            session,
            principal=principal,
            review=review,
            definition=definition,
            rater_ids=[o.user_id for o in staying],
        )
    session.flush()
    return link


def _leaving(
    session: Session,
    links: dict[int, ReviewReviewer],
    *,
    username: str | None,
    user_id: int | None,
) -> tuple[User, ReviewReviewer]:
    """The reviewer to take off (by id or name) and their place on the review."""
    leaving = session.get(User, user_id) if user_id is not None else _user(session, username or "")
    if leaving is None:
        raise Invalid.of("err_no_user", username=str(user_id))
    link = links.get(leaving.id or -1)
    if link is None:
        raise Invalid.of("err_not_on_review", username=leaving.username)
    return leaving, link


def _move(
    session: Session,
    principal: Principal,
    review: Review,
    link: ReviewReviewer,
    staying: list[ReviewReviewer],
    newcomer: User | None,
    lead: int,
    why: str,
) -> None:
    """The reviewer's place marked as left, the newcomer's added, the lead set anew."""
    assert review.id is not None
    link.removed_at = utcnow()
    link.removed_by_id = principal.user_id
    link.removed_reason = why
    link.is_lead = False
    session.add(link)
    if newcomer is not None:
        assert newcomer.id is not None
        joining = ReviewReviewer(
            review_id=review.id,
            user_id=newcomer.id,
            # Joining once the scoring is over: nothing to score, the consensus to help.
            submitted_at=utcnow() if review.status == ReviewStatus.CONSENSUS else None,
        )
        session.add(joining)
        staying.append(joining)
    for other in staying:
        other.is_lead = other.user_id == lead
        session.add(other)
    session.flush()


def _user(session: Session, username: str) -> User:
    found = session.exec(select(User).where(User.username == username.strip().lower())).first()
    if found is None:
        raise Invalid.of("err_no_user", username=username.strip()[:64])
    return found


def _newcomer(
    session: Session, review_id: int, username: str, links: dict[int, ReviewReviewer]
) -> User:
    user = _user(session, username)
    if not user.is_active:
        raise Invalid.of("err_reviewer_disabled", username=user.username)
    if user.role not in (Role.AMBASSADOR, Role.ADMIN):
        raise Invalid.of("err_reviewer_role", username=user.username)
    if user.id in links:
        raise Invalid.of("err_already_on_review", username=user.username)
    earlier = session.get(ReviewReviewer, (review_id, user.id))
    if earlier is not None:  # taken off it before: their old place keeps its record
        raise Invalid.of("err_was_on_review", username=user.username)
    return user


def _next_lead(
    session: Session,
    leaving: ReviewReviewer,
    staying: list[ReviewReviewer],
    newcomer: User | None,
    named: str | None,
) -> int:
    """Who leads afterwards: as before, unless the lead is the one leaving; then the
    reviewer named for it, or else the replacement."""
    current = next((other.user_id for other in staying if other.is_lead), None)
    if not leaving.is_lead and current is not None:
        return current
    if named:
        chosen = _user(session, named)
        candidates = {other.user_id for other in staying} | ({newcomer.id} if newcomer else set())
        if chosen.id not in candidates:
            raise Invalid.of("err_lead_not_reviewer", username=chosen.username)
        assert chosen.id is not None
        return chosen.id
    if newcomer is not None and newcomer.id is not None:
        return newcomer.id
    raise Invalid.of("err_new_lead_needed")


def _username(session: Session, user_id: int) -> str | None:
    return session.exec(select(User.username).where(col(User.id) == user_id)).first()
