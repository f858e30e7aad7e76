"""Scoring a review: planning it, each reviewer's blind ratings, the consensus, the
finalised result and reopening it. The pages and the JSON API both call these functions;
neither holds a rule of its own.

A review moves through three states:

- ``scoring``: each assigned reviewer rates every item on their own. Until a reviewer has
  submitted, they see only their own ratings (blind scoring). A submitted scoring is final.
- ``consensus``: every reviewer has submitted. Items on which they all agree are copied
  into the consensus; the lead reviewer settles the others, each with a rationale, and
  writes a recommendation for every item at or below the scale's threshold.
- ``finalised``: the consensus is complete; the total, level, section and principle
  scores and the agreement statistics are stored and the review is locked. Only an
  administrator can reopen it, with a reason; the audit trail keeps what it was.

Every write of a rating is idempotent by the client's ``client_id`` (one id per change):
the UNIQUE constraint on ``rating_change.client_id`` settles races between copies, and a
copy answers with the stored result. A write based on an older revision than the stored
one is refused with the current value, never applied over it.
"""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from app.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from app.models import (
    AuditEvent,
    RaterKind,
    Rating,
    RatingChange,
    Review,
    ReviewReviewer,
    ReviewStatus,
    Role,
    ScaleStatus,
    ScaleVersion,
    Team,
    User,
    table_of,
    utcnow,
)
from app.scales.schema import FIGURE_LIMIT, Item, ScaleDefinition, to_precision
from app.scales.scoring import (
    ItemScore,
    ReviewScore,
    ScoringError,
    band_value,
    checklist_score,
    consultant_average,
    score_review,
)
from app.services import access, audit
from app.services import scales as scale_service
from app.services.access import Principal

EVIDENCE_SOURCES = ("MIS", "DOC", "INT", "OBS", "ISP")
NOTE_MAX = 5000
REASON_MAX = 1000
RATIONALE_MAX = 2000
RECOMMENDATION_MAX = 5000
SUMMARY_MAX = 10000
REOPEN_REASON_MAX = 1000
MAX_CONSULTANTS = 40
CLIENT_ID_MAX = 64
FIRST_YEAR, LAST_YEAR = 2000, 2100


# Planning ------------------------------------------------------------------------------


def scales_for(session: Session, team: Team) -> list[ScaleVersion]:
    """The published versions a review of ``team`` may use; the first is the default, the
    newest version of the first scale meant for the team's program type."""
    return [
        row
        for row in scale_service.list_scale_versions(session, published_only=True)
        if team.program_type in scale_service.definition_of(row).program_types
    ]


def default_scale(session: Session, team: Team) -> ScaleVersion | None:
    usable = scales_for(session, team)
    return usable[0] if usable else None


def eligible_reviewers(session: Session) -> list[User]:
    """Who may be assigned to score a review: active ambassadors and administrators."""
    query = (
        select(User)
        .where(col(User.is_active), col(User.role).in_([Role.AMBASSADOR, Role.ADMIN]))
        .order_by(col(User.display_name))
    )
    return list(session.exec(query))


def plan_review(
    session: Session,
    principal: Principal,
    *,
    team_id: int,
    visit_date: date | None,
    reviewer_usernames: Sequence[str],
    lead_username: str | None,
    scale_key: str | None = None,
    scale_version: str | None = None,
    visit_end_date: date | None = None,
) -> Review:
    """A new review of ``team_id`` in the scoring state, with its reviewers and lead."""
    team = access.visible_team(session, principal, team_id)
    if not access.can_create_review(session, principal, team):
        raise Forbidden.of("err_cannot_plan")
    if not team.is_active:
        raise Invalid.of("err_team_inactive", team=team.name)
    open_review = session.exec(
        select(Review.id).where(Review.team_id == team_id, Review.status != ReviewStatus.FINALISED)
    ).first()
    if open_review is not None:
        raise Conflict.of("err_review_open", team=team.name, id=open_review)
    scale = _scale_for_review(session, team, scale_key, scale_version)
    if visit_date is None:
        raise Invalid.of("err_visit_date_required")
    for day in (visit_date, visit_end_date):
        if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise Invalid.of("err_visit_date_range", value=day.isoformat())
    if visit_end_date is not None and visit_end_date < visit_date:
        raise Invalid.of(
            "err_visit_dates_reversed", start=visit_date.isoformat(), end=visit_end_date.isoformat()
        )
    reviewers = _reviewers(session, reviewer_usernames)
    lead = (lead_username or "").strip().lower()
    if not lead:
        raise Invalid.of("err_lead_required")
    if lead not in {user.username for user in reviewers}:
        raise Invalid.of("err_lead_not_reviewer", username=lead)
    assert scale.id is not None
    review = Review(
        team_id=team_id,
        scale_version_id=scale.id,
        visit_date=visit_date,
        visit_end_date=visit_end_date if visit_end_date != visit_date else None,
        status=ReviewStatus.SCORING,
        created_by_id=principal.user_id,
    )
    try:
        with session.begin_nested():
            session.add(review)
            session.flush()
    except IntegrityError:  # a second request for the same team got in first
        raise Conflict.of("err_review_open", team=team.name, id="?") from None
    assert review.id is not None
    for user in reviewers:
        assert user.id is not None
        session.add(
            ReviewReviewer(review_id=review.id, user_id=user.id, is_lead=user.username == lead)
        )
    audit.record(
        session,
        action="review.created",
        by=principal,
        entity_type="review",
        entity_id=review.id,
        after={
            "team_id": team_id,
            "scale": f"{scale.scale_key} {scale.version}",
            "visit_date": visit_date.isoformat(),
            "visit_end_date": review.visit_end_date.isoformat() if review.visit_end_date else None,
            "reviewers": sorted(user.username for user in reviewers),
            "lead": lead,
        },
    )
    session.flush()
    return review


def _scale_for_review(
    session: Session, team: Team, key: str | None, version: str | None
) -> ScaleVersion:
    if not key and not version:
        scale = default_scale(session, team)
        if scale is None:
            raise Invalid.of("err_no_scale_for_program", program=team.program_type)
        return scale
    if not key or not version:
        raise Invalid.of("err_scale_key_and_version")
    scale = scale_service.find_scale_version(session, key=key, version=version)
    if scale is None or scale.status == ScaleStatus.DRAFT:
        raise Invalid.of("err_unknown_scale", scale=f"{key} {version}")
    if scale.status != ScaleStatus.PUBLISHED:
        raise Invalid.of("err_scale_retired", scale=f"{key} {version}")
    if team.program_type not in scale_service.definition_of(scale).program_types:
        raise Invalid.of("err_scale_program", scale=f"{key} {version}", program=team.program_type)
    return scale


def _reviewers(session: Session, usernames: Sequence[str]) -> list[User]:
    wanted: list[str] = []
    for raw in usernames:
        name = raw.strip().lower()
        if name and name not in wanted:
            wanted.append(name)
    if len(wanted) < 2:
        raise Invalid.of("err_two_reviewers")
    users = {
        user.username: user
        for user in session.exec(select(User).where(col(User.username).in_(wanted)))
    }
    for name in wanted:
        user = users.get(name)
        if user is None:
            raise Invalid.of("err_no_user", username=name)
        if not user.is_active:
            raise Invalid.of("err_reviewer_disabled", username=name)
        if user.role not in (Role.AMBASSADOR, Role.ADMIN):
            raise Invalid.of("err_reviewer_role", username=name)
    return [users[name] for name in wanted]


# Reading a review for scoring ------------------------------------------------------------


@dataclass
class ScoringView:
    """A review as one caller may see it for scoring: blind where the rules say so."""

    review: Review
    team: Team
    scale: ScaleVersion
    definition: ScaleDefinition
    reviewers: list[tuple[User, ReviewReviewer]]  # those on it now
    me: ReviewReviewer | None
    ratings: dict[int, dict[str, Rating]]  # by rater id: only the raters the caller may see
    consensus: dict[str, Rating] | None  # None while the caller may not see it
    removed: list[tuple[User, ReviewReviewer]] = field(default_factory=list)  # taken off it

    @property
    def my_ratings(self) -> dict[str, Rating]:
        if self.me is None:
            return {}
        return self.ratings.get(self.me.user_id, {})

    @property
    def is_lead(self) -> bool:
        return self.me is not None and self.me.is_lead

    @property
    def can_score(self) -> bool:
        return (
            self.me is not None
            and self.me.submitted_at is None
            and self.review.status == ReviewStatus.SCORING
        )

    @property
    def raters(self) -> list[tuple[User, ReviewReviewer]]:
        """The reviewers whose independent ratings the consensus compares: those on the
        review who scored (one taken on during the consensus has nothing to compare)."""
        if self.review.status == ReviewStatus.SCORING:
            return self.reviewers
        return [
            (user, link)
            for user, link in self.reviewers
            if link.user_id not in self.ratings or self.ratings[link.user_id]
        ]

    @property
    def all_submitted(self) -> bool:
        return all(link.submitted_at is not None for _, link in self.reviewers)

    def reviewer_names(self) -> dict[int, str]:
        return {user.id: user.display_name for user, _ in self.reviewers if user.id is not None}

    def score_of(self, ratings: Mapping[str, Rating]) -> ReviewScore:
        return score_review(self.definition, item_scores(ratings))

    def agreement(self) -> Agreement:
        ids = [link.user_id for _, link in self.raters]
        return agreement(self.definition, [self.ratings.get(rater, {}) for rater in ids])


def item_scores(ratings: Mapping[str, Rating]) -> dict[str, ItemScore]:
    return {
        key: ItemScore(rating.score, rating.not_rated_reason) for key, rating in ratings.items()
    }


def scoring_view(session: Session, principal: Principal, review_id: int) -> ScoringView:
    review = access.visible_review(session, principal, review_id)
    team = session.get(Team, review.team_id)
    # The definition comes parsed from the cache; only its row's small columns are read.
    scale = session.get(
        ScaleVersion,
        review.scale_version_id,
        options=[defer(ScaleVersion.definition)],  # type: ignore[arg-type]
    )
    assert team is not None and scale is not None
    everyone = [
        (user, link)
        for user, link in session.exec(
            select(User, ReviewReviewer)
            .join(ReviewReviewer, col(ReviewReviewer.user_id) == col(User.id))
            .where(ReviewReviewer.review_id == review_id)
            .order_by(col(ReviewReviewer.is_lead).desc(), col(User.display_name))
        )
    ]
    reviewers = [(user, link) for user, link in everyone if link.removed_at is None]
    removed = [(user, link) for user, link in everyone if link.removed_at is not None]
    links = [link for _, link in reviewers]
    me = next((link for link in links if link.user_id == principal.user_id), None)
    visible = visible_raters(principal, review, links)
    ratings: dict[int, dict[str, Rating]] = {rater: {} for rater in visible}
    # The consensus exists only once every reviewer has submitted, so it blinds no one.
    consensus: dict[str, Rating] | None = {} if review.status != ReviewStatus.SCORING else None
    rows = session.exec(select(Rating).where(Rating.review_id == review_id))
    for rating in rows:
        if rating.rater_kind == RaterKind.CONSENSUS:
            if consensus is not None:
                consensus[rating.item_key] = rating
        elif rating.rater_id in ratings:
            ratings[rating.rater_id][rating.item_key] = rating
    definition = scale_service.definition_of(scale)
    return ScoringView(review, team, scale, definition, reviewers, me, ratings, consensus, removed)


def visible_raters(
    principal: Principal, review: Review, links: Sequence[ReviewReviewer]
) -> set[int]:
    """Whose independent ratings the caller may see: the blind-scoring rule.

    A reviewer who has not submitted sees only their own. A reviewer who has submitted
    also sees the other reviewers who have submitted. Anyone else who may see the review
    sees the reviewers' ratings once every reviewer has submitted (an administrator at
    any time, since they do not score). After finalisation, everyone who may see the
    review sees them all, except a team's leader, who reads only the consensus.
    """
    everyone = {link.user_id for link in links}
    if principal.role == Role.TEAM_LEADER:
        return set()  # a team's leader reads the consensus, not the reviewers' working notes
    if review.status == ReviewStatus.FINALISED:
        return everyone
    me = next((link for link in links if link.user_id == principal.user_id), None)
    if me is not None:
        if me.submitted_at is None:
            return {me.user_id}
        return {link.user_id for link in links if link.submitted_at is not None}
    if principal.is_admin or review.status == ReviewStatus.CONSENSUS:
        return everyone
    return set()


# Ratings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RatingInput:
    """One change to a rating, as a reviewer (or the lead, for the consensus) made it.

    ``not_rated`` says the rater chose "not rated"; it then needs ``not_rated_reason``.
    ``inputs`` hold what the score was worked out from: ``figure`` for a banded item,
    ``ticked`` for a checklist, ``consultants`` (each ``{"score": …}`` or ``{"figure": …}``)
    for a per-consultant item.
    """

    score: int | None = None
    not_rated: bool = False
    not_rated_reason: str | None = None
    note: str | None = None
    evidence: Sequence[str] = ()
    inputs: Mapping[str, Any] | None = None
    rationale: str | None = None
    recommendation: str | None = None
    kept_score: float | None = None  # the consensus's current average, when no level is chosen


@dataclass(frozen=True)
class StoredRating:
    """A rating as the save path reads and writes it: plain values, no ORM object."""

    id: int
    review_id: int
    item_key: str
    rater_kind: str
    rater_id: int | None
    score: float | None
    not_rated_reason: str | None
    note: str | None
    rationale: str | None
    recommendation: str | None
    evidence: list[str]
    inputs: dict[str, Any] | None
    revision: int
    updated_at: datetime


@dataclass
class SaveResult:
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
    return str(uuid.uuid4())


# The save path runs for every tap on a tablet, so it is written as a few prepared
# statements (SQLAlchemy compiles each once and caches it) on the session's connection,
# rather than through the ORM's unit of work: one read for the review, its scale and the
# caller's place on it; one for a replayed client_id; one for the stored rating; then the
# rating's update or insert, its change record and the audit event.

_RATINGS = table_of(Rating)
_CHANGES = table_of(RatingChange)
_RATING_COLUMNS = tuple(_RATINGS.c[name] for name in (field.name for field in fields(StoredRating)))

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

_REPLAY = (
    sa.select(
        _CHANGES.c.content_sha256,
        _CHANGES.c.revision.label("change_revision"),
        _CHANGES.c.content.label("change_content"),
        _CHANGES.c.changed_at.label("change_at"),
        *_RATING_COLUMNS,
    )
    .join(_RATINGS, _RATINGS.c.id == _CHANGES.c.rating_id)
    .where(_CHANGES.c.client_id == sa.bindparam("client_id"))
)

_ONE_RATING = sa.select(*_RATING_COLUMNS).where(
    _RATINGS.c.review_id == sa.bindparam("review_id"),
    _RATINGS.c.item_key == sa.bindparam("item_key"),
    _RATINGS.c.rater_kind == sa.bindparam("rater_kind"),
)
_REVIEWER_RATING = _ONE_RATING.where(_RATINGS.c.rater_id == sa.bindparam("rater_id"))
_CONSENSUS_RATING = _ONE_RATING.where(_RATINGS.c.rater_id.is_(None))
_CURRENT = {
    (RaterKind.REVIEWER, False): _REVIEWER_RATING,
    (RaterKind.CONSENSUS, False): _CONSENSUS_RATING,
    (RaterKind.REVIEWER, True): _REVIEWER_RATING.with_for_update(),
    (RaterKind.CONSENSUS, True): _CONSENSUS_RATING.with_for_update(),
}

_CONTENT_COLUMNS = ("score", "not_rated_reason", "note", "evidence", "inputs")
_CONSENSUS_COLUMNS = ("rationale", "recommendation")
_WRITTEN = ("revision", "client_id", "updated_at", "updated_by_id")


def _update_rating(columns: Sequence[str]) -> sa.Update:
    return (
        sa.update(_RATINGS)
        .where(_RATINGS.c.id == sa.bindparam("rating_id"))
        .values({name: sa.bindparam(f"new_{name}") for name in (*columns, *_WRITTEN)})
    )


_UPDATE = {
    RaterKind.REVIEWER: _update_rating(_CONTENT_COLUMNS),
    RaterKind.CONSENSUS: _update_rating(_CONTENT_COLUMNS + _CONSENSUS_COLUMNS),
}
_INSERT_RATING = sa.insert(_RATINGS)
_INSERT_CHANGE = sa.insert(_CHANGES)


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
    principal: Principal,
    review_id: int,
    item_key: str,
    change: RatingInput,
    *,
    client_id: str | None,
    base_revision: int | None = None,
    consensus: bool = False,
) -> SaveResult:
    """Store the caller's own rating of one item (or, for the lead, the consensus's)."""
    connection = session.connection()
    postgres = connection.dialect.name == "postgresql"
    target = _target(session, connection, principal, review_id, locked=postgres)
    definition = scale_service.definition_with(session, target.scale_version_id, target.sha256)
    try:
        item = definition.item(item_key)
    except KeyError:
        raise NotFound.of("err_no_item", item=item_key) from None
    client_id = _client_id(client_id)
    rater_kind = RaterKind.CONSENSUS if consensus else RaterKind.REVIEWER
    rater_id = None if consensus else principal.user_id
    try:
        _check_may_rate(target.status, target.reviewer, consensus)
    except Conflict as refused:
        # Submitted, or finalised, since: a change stored before that, whose answer was
        # lost on the way, is still answered as stored (a tablet resending it must not be
        # told it was refused). Anything else is refused as it was.
        try:
            content = rating_content(definition, item, change, consensus=consensus)
        except DomainError:
            raise refused from None
        replay = _replay(connection, client_id, review_id, item_key, rater_kind, rater_id, content)
        if replay is not None:
            return replay
        raise
    content = rating_content(definition, item, change, consensus=consensus)
    replay = _replay(connection, client_id, review_id, item_key, rater_kind, rater_id, content)
    if replay is not None:
        return replay
    write = partial(
        _apply,
        connection,
        principal,
        review_id,
        item,
        content,
        client_id=client_id,
        base_revision=base_revision,
        rater_kind=rater_kind,
        rater_id=rater_id,
        suggested=_suggested(item, change),
    )
    # The statements go around the ORM, so whatever the session already holds (a page
    # that read the ratings first) is read again on its next use.
    session.expire_all()
    if not postgres:
        # One writer at a time (BEGIN IMMEDIATE): the replay check above saw every
        # committed change, so no copy can race in, and no savepoint is needed.
        return write()
    for attempt in range(2):
        try:
            with session.begin_nested():
                return write()
        except IntegrityError:
            # A concurrent copy of this change (same client_id), or a concurrent first
            # rating of the same item, committed first. Answer as that copy did.
            replay = _replay(
                connection, client_id, review_id, item_key, rater_kind, rater_id, content
            )
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
        access.visible_review(session, principal, review_id)  # 404 when it may not see it
    assert row is not None  # it exists, since it is visible
    reviewer = _Place(bool(row.is_lead), row.submitted_at) if assigned else None
    return _Target(review_id, row.status, row.scale_version_id, row.sha256, reviewer)


def _apply(
    connection: sa.Connection,
    principal: Principal,
    review_id: int,
    item: Item,
    content: dict[str, Any],
    *,
    client_id: str,
    base_revision: int | None,
    rater_kind: RaterKind,
    rater_id: int | None,
    suggested: float | None,
) -> SaveResult:
    locked = connection.dialect.name == "postgresql"
    found = connection.execute(
        _CURRENT[rater_kind, locked],
        {
            "review_id": review_id,
            "item_key": item.key,
            "rater_kind": rater_kind.value,
            "rater_id": rater_id,
        },
    ).first()
    rating = _stored(found) if found is not None else None
    before = stored_content(rating) if rating is not None else None
    unchanged = before is not None and _same(before, content, rater_kind)
    stale = rating is not None and base_revision is not None and base_revision != rating.revision
    if stale and not unchanged:
        assert rating is not None
        raise StaleRating(
            f"item {item.key} was changed elsewhere (now revision {rating.revision}, "
            f"this change was based on revision {base_revision}); reload it and choose "
            "which value to keep",
            key="err_stale_rating",
            current=rating,
            number=item.number,
            revision=rating.revision,
            base=base_revision,
        )
    now = utcnow()
    written = content if rater_kind == RaterKind.CONSENSUS else _reviewer_part(content)
    if rating is None:
        values = {
            "review_id": review_id,
            "item_key": item.key,
            "rater_kind": rater_kind.value,
            "rater_id": rater_id,
            **written,
            "revision": 1,
            "client_id": client_id,
            "updated_at": now,
            "updated_by_id": principal.user_id,
        }
        inserted = connection.execute(_INSERT_RATING, values).inserted_primary_key
        assert inserted is not None
        rating = _stored_from(int(inserted[0]), values)
    elif not unchanged:
        revision = rating.revision + 1
        connection.execute(
            _UPDATE[rater_kind],
            {
                "rating_id": rating.id,
                **{f"new_{name}": value for name, value in written.items()},
                "new_revision": revision,
                "new_client_id": client_id,
                "new_updated_at": now,
                "new_updated_by_id": principal.user_id,
            },
        )
        rating = replace(rating, **written, revision=revision, updated_at=now)
    connection.execute(
        _INSERT_CHANGE,
        {
            "client_id": client_id,
            "rating_id": rating.id,
            "review_id": review_id,
            "revision": rating.revision,
            "content": content,
            "content_sha256": _fingerprint(content),
            "changed_at": now,
            "changed_by_id": principal.user_id,
            "channel": principal.channel,
        },
    )
    if not unchanged:
        audit.write(
            connection,
            action="consensus.saved" if rater_kind == RaterKind.CONSENSUS else "rating.saved",
            by=principal,
            entity_type="review",
            entity_id=review_id,
            before=None if before is None else {"item": item.key, **before},
            after={
                "item": item.key,
                **content,
                "revision": rating.revision,
                "client_id": client_id,
            },
            at=now,
        )
    return SaveResult(rating, "unchanged" if unchanged else "saved", suggested)


def _reviewer_part(content: dict[str, Any]) -> dict[str, Any]:
    """What a reviewer's change writes: not the consensus's rationale or recommendation."""
    return {name: content[name] for name in _CONTENT_COLUMNS}


def _stored(row: sa.Row[Any]) -> StoredRating:
    """A rating from a row that ends with ``_RATING_COLUMNS``."""
    return StoredRating(*row[len(row) - len(_RATING_COLUMNS) :])


def _stored_from(rating_id: int, values: Mapping[str, Any]) -> StoredRating:
    known: dict[str, Any] = {f.name: values.get(f.name) for f in fields(StoredRating)}
    known["evidence"] = list(known["evidence"] or [])
    return StoredRating(**(known | {"id": rating_id}))


def _replay(
    connection: sa.Connection,
    client_id: str,
    review_id: int,
    item_key: str,
    rater_kind: RaterKind,
    rater_id: int | None,
    content: dict[str, Any],
) -> SaveResult | None:
    """The stored answer for a change already made with ``client_id``, or None if new."""
    row = connection.execute(_REPLAY, {"client_id": client_id}).first()
    if row is None:
        return None
    rating = _stored(row)
    same_target = (
        rating.review_id == review_id
        and rating.item_key == item_key
        and rating.rater_kind == rater_kind
        and rating.rater_id == rater_id
    )
    if not same_target or row.content_sha256 != _fingerprint(content):
        raise Conflict.of("err_client_id_reused", client_id=client_id)
    # The answer is the rating as this change left it, not as it is now: a client that
    # builds its next change on the answer's revision must not skip a change made
    # elsewhere since (that one would then be overwritten unseen).
    made = dict(row.change_content or {})
    as_left = {name: made[name] for name in _CONTENT_COLUMNS + _CONSENSUS_COLUMNS if name in made}
    return SaveResult(
        replace(rating, **as_left, revision=row.change_revision, updated_at=row.change_at),
        "replayed",
    )


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


def _client_id(raw: str | None) -> str:
    value = (raw or "").strip()
    if not value:
        return new_client_id()
    if len(value) > CLIENT_ID_MAX or not value.isprintable():
        raise Invalid.of("err_client_id", max=CLIENT_ID_MAX)
    return value


def clean_text(value: str | None, *, limit: int, key: str) -> str | None:
    if value is None:
        return None
    text = value.replace("\r\n", "\n").strip()
    if "\x00" in text:
        raise Invalid.of("field_nul")
    if len(text) > limit:
        raise Invalid.of(key, max=limit, length=len(text))
    return text or None


def rating_content(
    definition: ScaleDefinition, item: Item, change: RatingInput, *, consensus: bool = False
) -> dict[str, Any]:
    """The rating a change asks for, checked against the item and in canonical form."""
    note = clean_text(change.note, limit=NOTE_MAX, key="err_note_long")
    reason = clean_text(change.not_rated_reason, limit=REASON_MAX, key="err_reason_long")
    evidence = sorted(set(change.evidence))
    unknown = [source for source in evidence if source not in EVIDENCE_SOURCES]
    if unknown:
        raise Invalid.of(
            "err_evidence", value=", ".join(unknown), allowed=", ".join(EVIDENCE_SOURCES)
        )
    score: float | None = None
    if change.score is not None:
        if isinstance(change.score, bool) or not isinstance(change.score, int):
            raise Invalid.of("err_score_type")
        if not 1 <= change.score <= 5:
            raise Invalid.of("err_score_range", value=change.score)
        score = float(change.score)
    inputs, derived = _inputs(item, change.inputs)
    if consensus and score is None and change.kept_score is not None:
        if not 1 <= change.kept_score <= 5:
            raise Invalid.of("err_score_range", value=change.kept_score)
        score = float(to_precision(change.kept_score, 2))
    not_rated = change.not_rated or reason is not None
    if not_rated:
        if score is not None:
            raise Invalid.of("err_score_and_not_rated", number=item.number)
        if reason is None:
            raise Invalid.of("err_reason_required", number=item.number)
    elif derived is not None:
        if item.kind == "checklist" or item.per_consultant:
            if score is not None and score != derived:
                raise Invalid.of("err_derived_score", number=item.number, derived=_plain(derived))
            score = derived
        elif score is None:
            score = derived  # a banded figure suggests a score the reviewer may overrule
    content: dict[str, Any] = {
        "score": score,
        "not_rated_reason": reason if not_rated else None,
        "note": note,
        "evidence": evidence,
        "inputs": inputs,
    }
    if consensus:
        content["rationale"] = clean_text(
            change.rationale, limit=RATIONALE_MAX, key="err_rationale_long"
        )
        content["recommendation"] = clean_text(
            change.recommendation, limit=RECOMMENDATION_MAX, key="err_recommendation_long"
        )
    return content


def _plain(value: float) -> str:
    return f"{value:g}"


def _inputs(
    item: Item, raw: Mapping[str, Any] | None
) -> tuple[dict[str, Any] | None, float | None]:
    """The inputs in canonical form and the score they give (None when they give none)."""
    if not raw:
        return None, None
    if not isinstance(raw, Mapping):
        raise Invalid.of("err_inputs_shape", number=item.number)
    allowed = (
        {"consultants"}
        if item.per_consultant
        else {"figure"}
        if item.kind == "banded"
        else {"ticked"}
        if item.kind == "checklist"
        else set()
    )
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise Invalid.of(
            "err_inputs_unknown",
            number=item.number,
            fields=", ".join(unknown),
            allowed=", ".join(sorted(allowed)) or "—",
        )
    try:
        if item.per_consultant:
            return _consultants(item, raw.get("consultants"))
        if item.kind == "banded":
            figure = raw.get("figure")
            if figure is None:
                return None, None
            value = _figure(item, figure)
            assert item.banding is not None
            return {"figure": value}, float(band_value(item.banding, value))
        if item.kind == "checklist":
            ticked = raw.get("ticked")
            if ticked is None:
                return None, None
            if not isinstance(ticked, list) or not all(isinstance(t, str) for t in ticked):
                raise Invalid.of("err_ticked_shape", number=item.number)
            assert item.checklist is not None
            keys = sorted(set(ticked))
            return {"ticked": keys}, float(checklist_score(item.checklist, keys))
    except ScoringError as error:
        raise Invalid(
            f"item {item.number}: {error}",
            key="err_item_input",
            number=item.number,
            reason=str(error),
        ) from None
    return None, None


def _figure(item: Item, raw: Any) -> float:
    """A banded item's figure, within the range its bands cover."""
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise Invalid.of("err_figure", number=item.number)
    value = float(raw)
    banding = item.banding
    if banding is None or abs(value) > FIGURE_LIMIT:
        raise Invalid.of("err_figure", number=item.number)
    rounded = to_precision(value, banding.precision)
    lowest, highest = banding.minimum, banding.maximum
    if lowest is not None and rounded < to_precision(lowest, banding.precision):
        raise Invalid.of(
            "err_figure_below", number=item.number, value=f"{value:g}", limit=f"{lowest:g}"
        )
    if highest is not None and rounded > to_precision(highest, banding.precision):
        raise Invalid.of(
            "err_figure_above", number=item.number, value=f"{value:g}", limit=f"{highest:g}"
        )
    return value


def _consultants(item: Item, raw: Any) -> tuple[dict[str, Any] | None, float | None]:
    if raw is None or raw == []:
        return None, None
    if not isinstance(raw, list) or len(raw) > MAX_CONSULTANTS:
        raise Invalid.of("err_consultants_shape", number=item.number, max=MAX_CONSULTANTS)
    entries: list[dict[str, Any]] = []
    scores: list[float] = []
    for entry in raw:
        if not isinstance(entry, Mapping) or set(entry) - {"score", "figure"}:
            raise Invalid.of("err_consultants_shape", number=item.number, max=MAX_CONSULTANTS)
        figure, score = entry.get("figure"), entry.get("score")
        if figure is not None:
            if item.banding is None:
                raise Invalid.of("err_consultants_shape", number=item.number, max=MAX_CONSULTANTS)
            value = _figure(item, figure)
            banded = band_value(item.banding, value)
            if score is not None and score != banded:
                raise Invalid.of("err_derived_score", number=item.number, derived=banded)
            entries.append({"figure": value, "score": banded})
            scores.append(banded)
        elif score is not None:
            if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
                raise Invalid.of("err_score_range", value=score)
            entries.append({"score": score})
            scores.append(score)
        else:
            raise Invalid.of("err_consultant_empty", number=item.number)
    return {"consultants": entries}, consultant_average(scores)


def _suggested(item: Item, change: RatingInput) -> float | None:
    """The score a banded item's figure suggests, to show beside the reviewer's choice."""
    if item.kind != "banded" or item.per_consultant or not change.inputs:
        return None
    figure = change.inputs.get("figure")
    if figure is None or item.banding is None:
        return None
    try:
        return float(band_value(item.banding, float(figure)))
    except (ScoringError, TypeError, ValueError):
        return None


def suggested_score(item: Item, rating: Rating | None) -> float | None:
    if rating is None or not rating.inputs:
        return None
    return _suggested(item, RatingInput(inputs=rating.inputs))


def stored_content(rating: Rating | StoredRating) -> dict[str, Any]:
    return {
        "score": rating.score,
        "not_rated_reason": rating.not_rated_reason,
        "note": rating.note,
        "evidence": sorted(rating.evidence or []),
        "inputs": rating.inputs or None,
        "rationale": rating.rationale,
        "recommendation": rating.recommendation,
    }


def _same(stored: dict[str, Any], content: dict[str, Any], rater_kind: RaterKind) -> bool:
    keys = (
        content.keys()
        if rater_kind == RaterKind.CONSENSUS
        else content.keys() - {"rationale", "recommendation"}
    )
    return all(stored.get(key) == content.get(key) for key in keys)


def _assign(rating: Rating, content: dict[str, Any]) -> None:
    rating.score = content["score"]
    rating.not_rated_reason = content["not_rated_reason"]
    rating.note = content["note"]
    rating.evidence = list(content["evidence"])
    rating.inputs = content["inputs"]
    if "rationale" in content:
        rating.rationale = content["rationale"]
        rating.recommendation = content["recommendation"]


def _fingerprint(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def lock_review(session: Session, review: Review) -> None:
    """On PostgreSQL, writers of one review queue here, and then read the review again as
    the writer before them left it, so a rating cannot slip in beside a submission or a
    finalisation. On SQLite the request's transaction began with BEGIN IMMEDIATE: one
    writer at a time, and everything it reads is current."""
    if session.get_bind().dialect.name == "postgresql":
        session.exec(select(Review.id).where(Review.id == review.id).with_for_update()).one()
        session.refresh(review)


def links_of(session: Session, review_id: int) -> dict[int, ReviewReviewer]:
    """The review's reviewers by user id; one taken off it is not among them."""
    rows = session.exec(
        select(ReviewReviewer).where(
            ReviewReviewer.review_id == review_id, col(ReviewReviewer.removed_at).is_(None)
        )
    )
    return {link.user_id: link for link in rows}


# Submitting, consensus, finalising --------------------------------------------------------


def submit(session: Session, principal: Principal, review_id: int) -> Review:
    """Mark the caller's own scoring as done. Once every reviewer has, the review moves to
    consensus and the items they agree on are copied into it."""
    review = access.visible_review(session, principal, review_id)
    assert review.id is not None
    lock_review(session, review)
    links = links_of(session, review.id)
    me = links.get(principal.user_id or -1)
    if me is None:
        raise Forbidden.of("err_not_reviewer")
    if me.submitted_at is not None:
        return review  # submitting twice changes nothing
    if review.status == ReviewStatus.FINALISED:
        raise Conflict.of("err_review_finalised")
    definition = scale_service.definition_for(session, review.scale_version_id)
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
        start_consensus(session, principal, review, definition, list(links))
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
    principal: Principal,
    review: Review,
    definition: ScaleDefinition,
    rater_ids: list[int],
) -> None:
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
        score = values.pop()
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
            review_id=review.id,
            item_key=item.key,
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
                review_id=review.id,
                revision=1,
                content=content,
                content_sha256=_fingerprint(content),
                changed_by_id=principal.user_id,
                channel="system",
            )
        )
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


def save_summary(
    session: Session,
    principal: Principal,
    review_id: int,
    *,
    strengths: str | None,
    summary: str | None,
) -> Review:
    """The lead's strengths and overall summary; each call replaces both texts."""
    review = access.visible_review(session, principal, review_id)
    me = links_of(session, review_id).get(principal.user_id or -1)
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


@dataclass(frozen=True)
class ConsensusItem:
    """One item on the consensus screen: what each reviewer said and what is still due."""

    item: Item
    reviewer_ratings: list[Rating | None]
    consensus: Rating | None
    agreed: bool
    needs_rationale: bool
    needs_recommendation: bool

    @property
    def settled(self) -> bool:
        rating = self.consensus
        return rating is not None and (rating.score is not None or bool(rating.not_rated_reason))

    @property
    def open_points(self) -> list[str]:
        points = []
        if not self.settled:
            points.append("missing_consensus")
        if self.needs_rationale:
            points.append("missing_rationale")
        if self.needs_recommendation:
            points.append("missing_recommendation")
        return points


def consensus_items(view: ScoringView) -> list[ConsensusItem]:
    rater_ids = [link.user_id for _, link in view.raters]
    consensus = view.consensus or {}
    threshold = view.definition.recommendation_threshold
    rows = []
    for item in view.definition.items:
        ratings = [view.ratings.get(rater, {}).get(item.key) for rater in rater_ids]
        said = {(r.score, r.not_rated_reason is not None) if r else None for r in ratings}
        agreed = (
            len(said) == 1 and None not in said and all(r and r.score is not None for r in ratings)
        )
        settled = consensus.get(item.key)
        differs = settled is not None and any(
            r is None or r.score != settled.score for r in ratings
        )
        rows.append(
            ConsensusItem(
                item=item,
                reviewer_ratings=ratings,
                consensus=settled,
                agreed=agreed,
                needs_rationale=bool(
                    settled is not None
                    and (settled.score is not None or settled.not_rated_reason)
                    and (not agreed or differs)
                    and not settled.rationale
                ),
                needs_recommendation=bool(
                    settled is not None
                    and settled.score is not None
                    and settled.score <= threshold
                    and not settled.recommendation
                ),
            )
        )
    return rows


def finalise(session: Session, principal: Principal, review_id: int) -> Review:
    """Lock the review with its consensus result, once nothing is left open."""
    review = access.visible_review(session, principal, review_id)
    assert review.id is not None
    lock_review(session, review)
    if review.status == ReviewStatus.FINALISED:
        raise Conflict.of("err_review_finalised")
    me = links_of(session, review_id).get(principal.user_id or -1)
    if not principal.is_admin and (me is None or not me.is_lead):
        raise Forbidden.of("err_not_lead")
    if review.status != ReviewStatus.CONSENSUS:
        raise Conflict.of("err_consensus_before_submit")
    view = scoring_view(session, principal, review_id)
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


def reopen(session: Session, principal: Principal, review_id: int, *, reason: str | None) -> Review:
    """Unlock a finalised review for the lead to correct (administrators only, with a
    reason). The result it had is kept in the audit trail."""
    review = access.visible_review(session, principal, review_id)
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


def history(session: Session, review_id: int) -> list[Any]:
    """The review's milestones from the audit trail, oldest first."""
    milestones = (
        "review.created",
        "review.submitted",
        "review.reviewer_replaced",
        "review.reviewer_removed",
        "review.consensus_started",
        "review.finalised",
        "review.reopened",
    )
    query = (
        select(AuditEvent, User)
        .join(User, col(User.id) == col(AuditEvent.actor_id), isouter=True)
        .where(
            AuditEvent.entity_type == "review",
            AuditEvent.entity_id == str(review_id),
            col(AuditEvent.action).in_(milestones),
        )
        .order_by(col(AuditEvent.occurred_at), col(AuditEvent.id))
    )
    return list(session.exec(query))


# Agreement between reviewers ----------------------------------------------------------------


@dataclass(frozen=True)
class Agreement:
    """How far the reviewers' independent scores agreed, over the items all of them scored.

    ``exact``: share of items where every reviewer gave the same score. ``within_one``:
    share where the highest and lowest score differ by at most one point. ``kappa``:
    Cohen's kappa with quadratic weights on the five levels, averaged over the pairs of
    reviewers (None when it is undefined, e.g. every score the same).
    """

    raters: int
    items_compared: int
    exact: float | None
    within_one: float | None
    kappa: float | None
    pairs: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "raters": self.raters,
            "items_compared": self.items_compared,
            "exact": self.exact,
            "within_one": self.within_one,
            "weighted_kappa": self.kappa,
        }


def agreement(definition: ScaleDefinition, raters: Sequence[Mapping[str, Rating]]) -> Agreement:
    rows: list[list[float]] = []
    for item in definition.items:
        scores = [rater.get(item.key) for rater in raters]
        values = [r.score for r in scores if r is not None and r.score is not None]
        if len(values) == len(raters) and len(raters) >= 2:
            rows.append(values)
    if not rows:
        return Agreement(len(raters), 0, None, None, None)
    exact = sum(1 for values in rows if max(values) == min(values)) / len(rows)
    within = sum(1 for values in rows if max(values) - min(values) <= 1) / len(rows)
    kappas = [
        weighted_kappa([row[a] for row in rows], [row[b] for row in rows])
        for a in range(len(raters))
        for b in range(a + 1, len(raters))
    ]
    defined = [k for k in kappas if k is not None]
    kappa = round(sum(defined) / len(defined), 3) if defined else None
    return Agreement(len(raters), len(rows), round(exact, 3), round(within, 3), kappa)


def weighted_kappa(first: Sequence[float], second: Sequence[float]) -> float | None:
    """Cohen's kappa with quadratic weights for two raters on the levels 1-5.

    A per-consultant average is rounded half up to the nearest level first.
    """
    levels = 5
    a = [int(to_precision(value, 0)) - 1 for value in first]
    b = [int(to_precision(value, 0)) - 1 for value in second]
    n = len(a)
    if n == 0:
        return None
    observed = [[0.0] * levels for _ in range(levels)]
    for i, j in zip(a, b, strict=True):
        observed[i][j] += 1 / n
    row = [sum(observed[i]) for i in range(levels)]
    column = [sum(observed[i][j] for i in range(levels)) for j in range(levels)]
    weight = [[(i - j) ** 2 / (levels - 1) ** 2 for j in range(levels)] for i in range(levels)]
    disagreement = sum(weight[i][j] * observed[i][j] for i in range(levels) for j in range(levels))
    expected = sum(weight[i][j] * row[i] * column[j] for i in range(levels) for j in range(levels))
    if expected == 0:
        return None
    return 1 - disagreement / expected
