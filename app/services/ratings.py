"""One item's rating: the save that runs on every tap of a tablet, for a reviewer's own
rating or (for the lead) the consensus's.

Every write of a rating is idempotent by the client's ``client_id`` (one id per change):
the UNIQUE constraint on ``rating_change.client_id`` settles races between copies, and a
copy answers with the stored result. A write based on an older revision than the stored
one is refused with the current value, never applied over it. What a change may say is
checked first by the pure rules in ``app.scales.rules``; the rows are read and written by
``rating_rows``; the request's one commit point commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from app.models import RaterKind, Review, ReviewReviewer, ReviewStatus, Role, ScaleVersion, utcnow
from app.scales.rules import RatingInput, rating_content, suggested_score
from app.scales.schema import Item
from app.services import access, audit
from app.services import rating_rows as rows
from app.services import scales as scale_service
from app.services.access import Principal
from app.services.rating_rows import Slot, StoredRating, stored_content

CLIENT_ID_MAX = 64


@dataclass
class SaveResult:
    """What a save answers: the rating as the change left it, and what became of it."""

    rating: StoredRating
    outcome: str  # "saved", "unchanged" (same content as stored) or "replayed" (known id)
    suggested_score: float | None = None


class StaleRating(Conflict):
    """A change based on an older revision than the stored one. Carries the current value
    so the client can show both and let the person choose."""

    def __init__(
        self, detail: str, *, current: StoredRating, key: str | None = None, **params: object
    ) -> None:
        super().__init__(detail, key=key, **params)
        self.current = current
        self.extra = {
            "current": {
                "item_key": current.item_key,
                "revision": current.revision,
                **stored_content(current),
            }
        }


def new_client_id() -> str:
    """A fresh id for one change."""
    return str(uuid.uuid4())


# One read for the review, its scale and the caller's place on it.
_TARGET = (
    sa.select(
        col(Review.status),
        col(Review.scale_version_id),
        col(ScaleVersion.sha256),
        col(ReviewReviewer.user_id),  # None: the caller is not a reviewer of it
        col(ReviewReviewer.is_lead),
        col(ReviewReviewer.submitted_at),
    )
    .select_from(Review)
    .join(ScaleVersion, col(ScaleVersion.id) == col(Review.scale_version_id))
    .outerjoin(
        ReviewReviewer,
        (col(ReviewReviewer.review_id) == col(Review.id))
        & (col(ReviewReviewer.user_id) == sa.bindparam("user_id"))
        & col(ReviewReviewer.removed_at).is_(None),  # taken off it: scores no more
    )
    .where(col(Review.id) == sa.bindparam("review_id"))
)
# On PostgreSQL, writers of one review queue on its row, and only then read it and the
# assignments as the writer before them left them, so a rating cannot slip in beside a
# submission or a finalisation. The lock is a statement of its own: a statement that
# waits for a row lock still sees the rows it joins as they were when it began, and a
# submission changes the assignment, not always the review. On SQLite every write
# transaction begins with BEGIN IMMEDIATE: one writer at a time.
_LOCK_REVIEW = (
    sa.select(col(Review.id)).where(col(Review.id) == sa.bindparam("review_id")).with_for_update()
)


@dataclass(frozen=True)
class _Place:
    """A reviewer's place on a review, as the save path needs it."""

    is_lead: bool
    submitted_at: datetime | None


@dataclass(frozen=True)
class _Target:
    """The review a change is for, and the caller's place on it (None: not a reviewer)."""

    review_id: int
    status: str
    scale_version_id: int
    sha256: str
    reviewer: _Place | None


def save_rating(
    session: Session,
    *,
    principal: Principal,
    review_id: int,
    item_key: str,
    change: RatingInput,
    client_id: str | None,
    base_revision: int | None = None,
    consensus: bool = False,
) -> SaveResult:
    """Store the caller's own rating of one item (or, for the lead, the consensus's)."""
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    target = _target(session, connection, principal, review_id, locked=postgres)
    definition = scale_service.definition_with(
        session, scale_version_id=target.scale_version_id, sha256=target.sha256
    )
    try:
        item = definition.item(item_key)
    except KeyError:
        raise NotFound.of("err_no_item", item=item_key) from None
    slot = Slot(
        review_id=review_id,
        item_key=item_key,
        rater_kind=RaterKind.CONSENSUS if consensus else RaterKind.REVIEWER,
        rater_id=None if consensus else principal.user_id,
        client_id=checked_client_id(client_id),
    )
    content = _admitted(connection, target, item, change, slot)
    if isinstance(content, SaveResult):
        return content
    replay = _replay(connection, slot, content)
    if replay is not None:
        return replay
    write = partial(
        _apply,
        connection,
        principal,
        item,
        content,
        slot,
        base_revision=base_revision,
        suggested=suggested_score(item, change.inputs),
    )
    # The statements go around the ORM, so whatever the session already holds (a page
    # that read the ratings first) is read again on its next use.
    session.expire_all()
    if not postgres:
        # One writer at a time (BEGIN IMMEDIATE): the replay check above saw every
        # committed change, so no copy can race in, and no savepoint is needed.
        return write()
    return _write_first_wins(session, connection, write, slot, content)


def _admitted(
    connection: sa.Connection,
    target: _Target,
    item: Item,
    change: RatingInput,
    slot: Slot,
) -> dict[str, Any] | SaveResult:
    """The change's content when the caller may rate now. Submitted, or finalised, since:
    a change stored before that, whose answer was lost on the way, is still answered as
    stored (a tablet resending it must not be told it was refused); anything else is
    refused as it was."""
    consensus = slot.rater_kind == RaterKind.CONSENSUS
    try:
        _check_may_rate(target.status, target.reviewer, consensus)
    except Conflict as refused:
        try:
            content = rating_content(item=item, change=change, consensus=consensus)
        except DomainError:
            raise refused from None
        replay = _replay(connection, slot, content)
        if replay is not None:
            return replay
        raise
    return rating_content(item=item, change=change, consensus=consensus)


def _write_first_wins(
    session: Session,
    connection: sa.Connection,
    write: Callable[[], SaveResult],
    slot: Slot,
    content: dict[str, Any],
) -> SaveResult:
    """On PostgreSQL, the write in a savepoint: a concurrent copy of this change (same
    client_id), or a concurrent first rating of the same item, may commit first; the
    answer is then as that copy's was."""
    for attempt in range(2):
        try:
            with session.begin_nested():
                return write()
        except IntegrityError:
            replay = _replay(connection, slot, content)
            if replay is not None:
                return replay
            if attempt:
                raise
    raise AssertionError("unreachable")


def _target(
    session: Session,
    connection: sa.Connection,
    principal: Principal,
    review_id: int,
    *,
    locked: bool,
) -> _Target:
    """The review, if the caller may see it (404 otherwise), with their place on it.

    A reviewer assigned to the review who is an ambassador or an admin can always see it,
    so for them one read answers both; anyone else goes through the access layer's rule.
    """
    if locked:
        connection.execute(_LOCK_REVIEW, {"review_id": review_id})
    row = connection.execute(
        _TARGET,
        {"review_id": review_id, "user_id": principal.user_id if principal.user_id else -1},
    ).first()
    assigned = row is not None and row.user_id is not None
    if row is None or not (assigned and principal.role in (Role.AMBASSADOR, Role.ADMIN)):
        access.visible_review(
            session, principal=principal, review_id=review_id
        )  # 404 when it may not see it
    assert row is not None  # it exists, since it is visible
    reviewer = _Place(bool(row.is_lead), row.submitted_at) if assigned else None
    return _Target(review_id, row.status, row.scale_version_id, row.sha256, reviewer)


def _apply(
    connection: sa.Connection,
    principal: Principal,
    item: Item,
    content: dict[str, Any],
    slot: Slot,
    *,
    base_revision: int | None,
    suggested: float | None,
) -> SaveResult:
    """Write the change over the stored rating, unless it is stale; record it either way."""
    rating = rows.current(connection, slot=slot)
    before = stored_content(rating) if rating is not None else None
    unchanged = before is not None and rows.same_content(
        stored=before, content=content, rater_kind=slot.rater_kind
    )
    stale = rating is not None and base_revision is not None and base_revision != rating.revision
    if stale and not unchanged:
        assert rating is not None and base_revision is not None
        raise _stale(item, rating, base_revision)
    now = utcnow()
    written = content if slot.rater_kind == RaterKind.CONSENSUS else rows.reviewer_part(content)
    if rating is None:
        rating = rows.insert(connection, slot=slot, written=written, by=principal, at=now)
    elif not unchanged:
        rating = rows.update(
            connection, rating=rating, slot=slot, written=written, by=principal, at=now
        )
    rows.record_change(connection, rating=rating, slot=slot, content=content, by=principal, at=now)
    if not unchanged:
        _audit(connection, principal, slot, rating, before, content, at=now)
    return SaveResult(rating, "unchanged" if unchanged else "saved", suggested)


def _stale(item: Item, rating: StoredRating, base_revision: int) -> StaleRating:
    return StaleRating(
        f"item {item.key} was changed elsewhere (now revision {rating.revision}, "
        f"this change was based on revision {base_revision}); reload it and choose "
        "which value to keep",
        key="err_stale_rating",
        current=rating,
        number=item.number,
        revision=rating.revision,
        base=base_revision,
    )


def _audit(
    connection: sa.Connection,
    principal: Principal,
    slot: Slot,
    rating: StoredRating,
    before: Mapping[str, Any] | None,
    content: Mapping[str, Any],
    *,
    at: datetime,
) -> None:
    audit.write(
        connection,
        action="consensus.saved" if slot.rater_kind == RaterKind.CONSENSUS else "rating.saved",
        by=principal,
        entity_type="review",
        entity_id=slot.review_id,
        before=None if before is None else {"item": slot.item_key, **before},
        after={
            "item": slot.item_key,
            **content,
            "revision": rating.revision,
            "client_id": slot.client_id,
        },
        at=at,
    )


def _replay(connection: sa.Connection, slot: Slot, content: dict[str, Any]) -> SaveResult | None:
    """The stored answer for a change already made with its ``client_id``, or None if new;
    an id used before for another change is refused."""
    made = rows.made_before(connection, slot=slot, content=content)
    if made is None:
        return None
    if not made.same:
        raise Conflict.of("err_client_id_reused", client_id=slot.client_id)
    return SaveResult(made.rating, "replayed")


def _check_may_rate(status: str, me: _Place | None, consensus: bool) -> None:
    if me is None:
        raise Forbidden.of("err_not_reviewer")
    if status == ReviewStatus.FINALISED:
        raise Conflict.of("err_review_finalised")
    if consensus:
        if not me.is_lead:
            raise Forbidden.of("err_not_lead")
        if status != ReviewStatus.CONSENSUS:
            raise Conflict.of("err_consensus_before_submit")
        return
    if me.submitted_at is not None:
        raise Conflict.of("err_already_submitted")
    if status != ReviewStatus.SCORING:
        raise Conflict.of("err_scoring_closed")


def checked_client_id(raw: str | None) -> str:
    """A change's client id as sent, checked; a fresh one when none was sent."""
    value = (raw or "").strip()
    if not value:
        return new_client_id()
    if len(value) > CLIENT_ID_MAX or not value.isprintable():
        raise Invalid.of("err_client_id", max=CLIENT_ID_MAX)
    return value
