"""The team's side of a finalised review: its leader's comment per item while the feedback
window is open, and the feedback page that shows the comments beside the action plan
(whose rules are in ``action_plan``).

Only the team's own leaders write on a finalised review (``writable_review``, which the
action plan follows too); whoever may read the review reads what they wrote. The feedback
window opens when the review is finalised and closes ``FIDELITY_FEEDBACK_DAYS`` later (a
review that is reopened and finalised again opens a new one). Every write is in the audit
trail with what it replaced.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from app.errors import Conflict, Forbidden, NotFound
from app.models import ActionItem, Review, ReviewStatus, Team, TeamComment, utcnow
from app.scales.rules import clean_text
from app.scales.schema import Item, ScaleDefinition
from app.services import access, audit, profiles
from app.services import scales as scale_service
from app.services.access import Principal

COMMENT_MAX = 5000


def window_closes(review: Review, *, days: int) -> datetime | None:
    """When the team's feedback window on ``review`` closes (None: not finalised)."""
    if review.status != ReviewStatus.FINALISED or review.finalised_at is None:
        return None
    return review.finalised_at + timedelta(days=days)


@dataclass(frozen=True)
class Feedback:
    """A finalised review with the team's comments and actions, item by item."""

    team: Team
    review: Review
    result: profiles.ReviewResult
    comments: dict[str, TeamComment]
    actions: dict[str, list[ActionItem]]
    closes_at: datetime
    can_write: bool

    def is_open(self, now: datetime) -> bool:
        return now < self.closes_at

    @property
    def recommended(self) -> list[Item]:
        """The items with a recommendation, in the scale's order."""
        return [
            item
            for item in self.result.definition.items
            if (found := self.result.items.get(item.key)) and found.recommendation
        ]

    @property
    def others(self) -> list[Item]:
        recommended = {item.key for item in self.recommended}
        return [item for item in self.result.definition.items if item.key not in recommended]

    @property
    def action_count(self) -> int:
        return sum(len(actions) for actions in self.actions.values())


def review_feedback(
    session: Session, *, principal: Principal, review_id: int, feedback_days: int
) -> Feedback:
    """A finalised review's feedback page (404 outside the caller's scope, 409 in progress)."""
    result = profiles.finalised_review(session, principal=principal, review_id=review_id)
    review = session.get(Review, review_id)
    team = session.get(Team, result.team_id)
    assert review is not None and team is not None
    closes_at = window_closes(review, days=feedback_days)
    assert closes_at is not None
    return Feedback(
        team=team,
        review=review,
        result=result,
        comments=comments_of(session, review_id=review_id),
        actions=_actions_by_item(session, review_id),
        closes_at=closes_at,
        can_write=access.can_write_team_feedback(principal, team=team),
    )


@dataclass(frozen=True)
class Counts:
    comments: int
    actions: int


def counts(session: Session, *, review_id: int) -> Counts:
    """How many comments and actions the team has written on a review."""
    comments = select(func.count()).where(TeamComment.review_id == review_id)
    actions = select(func.count()).where(ActionItem.review_id == review_id)
    return Counts(session.exec(comments).one(), session.exec(actions).one())


def comments_of(session: Session, *, review_id: int) -> dict[str, TeamComment]:
    """The team's comments on a review, by item."""
    query = select(TeamComment).where(TeamComment.review_id == review_id)
    return {comment.item_key: comment for comment in session.exec(query)}


def _actions_by_item(session: Session, review_id: int) -> dict[str, list[ActionItem]]:
    query = (
        select(ActionItem)
        .where(ActionItem.review_id == review_id)
        .order_by(col(ActionItem.due_date), col(ActionItem.id))
    )
    found: dict[str, list[ActionItem]] = defaultdict(list)
    for action in session.exec(query):
        found[action.item_key].append(action)
    return dict(found)


def writable_review(
    session: Session, *, principal: Principal, review_id: int
) -> tuple[Review, ScaleDefinition]:
    """The finalised review whose team the caller leads, and its scale (else 404, 403, 409)."""
    review = access.visible_review(session, principal=principal, review_id=review_id)
    team = session.get(Team, review.team_id)
    assert team is not None
    if not access.can_write_team_feedback(principal, team=team):
        raise Forbidden.of("err_not_team_leader")
    if review.status != ReviewStatus.FINALISED:
        raise Conflict.of("err_report_not_final")
    return review, scale_service.definition_for(session, scale_version_id=review.scale_version_id)


def item_of(definition: ScaleDefinition, *, item_key: str) -> Item:
    """The scale's item with this key, or a 404 naming the key."""
    try:
        return definition.item(item_key)
    except KeyError:
        raise NotFound.of("err_no_item", item=item_key) from None


# Comments ---------------------------------------------------------------------------------


def save_comment(
    session: Session,
    *,
    principal: Principal,
    review_id: int,
    item_key: str,
    body: str | None,
    feedback_days: int,
    timezone: str = "Europe/Copenhagen",
    now: datetime | None = None,
) -> TeamComment | None:
    """Write, replace or (with an empty text) remove the team's comment on one item.

    ``timezone`` is where the window's end is told (FIDELITY_TIMEZONE)."""
    review, definition = writable_review(session, principal=principal, review_id=review_id)
    item_of(definition, item_key=item_key)
    _refuse_when_closed(review, days=feedback_days, timezone=timezone, now=now)
    text = clean_text(body, limit=COMMENT_MAX, key="err_comment_long")
    query = select(TeamComment).where(
        TeamComment.review_id == review_id, TeamComment.item_key == item_key
    )
    comment = session.exec(query).first()
    before = {"body": comment.body} if comment else None
    if text is None:
        if comment is None:
            return None
        session.delete(comment)
        _audit_comment(session, principal, review_id, item_key, "team_comment.deleted", before)
        session.flush()
        return None
    if comment is not None and comment.body == text:
        return comment
    if comment is None:
        comment = TeamComment(
            review_id=review_id, item_key=item_key, body=text, updated_by_id=principal.user_id
        )
        try:
            with session.begin_nested():  # two leaders writing the same item's first comment
                session.add(comment)
        except IntegrityError:
            raise Conflict.of("err_comment_written_meanwhile") from None
    else:
        comment.body, comment.updated_at = text, utcnow()
        comment.updated_by_id = principal.user_id
        session.add(comment)
    _audit_comment(
        session, principal, review_id, item_key, "team_comment.saved", before, {"body": text}
    )
    session.flush()
    return comment


def _refuse_when_closed(review: Review, *, days: int, timezone: str, now: datetime | None) -> None:
    closes_at = window_closes(review, days=days)
    assert closes_at is not None
    if (now or utcnow()) >= closes_at:
        local = closes_at.astimezone(ZoneInfo(timezone))
        raise Conflict.of("err_feedback_closed", date=local.strftime("%Y-%m-%d %H:%M"))


def _audit_comment(
    session: Session,
    principal: Principal,
    review_id: int,
    item_key: str,
    action: str,
    before: dict[str, str] | None,
    after: dict[str, str] | None = None,
) -> None:
    audit.record(
        session,
        action=action,
        by=principal,
        entity_type="review",
        entity_id=review_id,
        before={"item": item_key} | before if before else {"item": item_key},
        after={"item": item_key} | after if after else None,
    )
