"""The rows of one rating, as the save path reads and writes them: a few prepared
statements (SQLAlchemy compiles each once and caches it) on the session's connection,
rather than the ORM's unit of work, since they run for every tap on a tablet. One read
for a replayed ``client_id``, one for the stored rating, then the rating's update or
insert and its change record. ``ratings`` decides; this module only reads and writes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.models import RaterKind, Rating, RatingChange, table_of
from app.services.access import Principal


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


@dataclass(frozen=True)
class Slot:
    """Where a change goes: one item's rating by one rater (None: the consensus's), and
    the change's own id."""

    review_id: int
    item_key: str
    rater_kind: RaterKind
    rater_id: int | None
    client_id: str


_RATINGS = table_of(Rating)
_CHANGES = table_of(RatingChange)
_RATING_COLUMNS = tuple(_RATINGS.c[name] for name in (field.name for field in fields(StoredRating)))

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


def current(connection: sa.Connection, *, slot: Slot) -> StoredRating | None:
    """The stored rating the change is for (locked on PostgreSQL), or None: its first."""
    locked = connection.dialect.name == "postgresql"
    found = connection.execute(
        _CURRENT[slot.rater_kind, locked],
        {
            "review_id": slot.review_id,
            "item_key": slot.item_key,
            "rater_kind": slot.rater_kind.value,
            "rater_id": slot.rater_id,
        },
    ).first()
    return _stored(found) if found is not None else None


def insert(
    connection: sa.Connection,
    *,
    slot: Slot,
    written: Mapping[str, Any],
    by: Principal,
    at: datetime,
) -> StoredRating:
    """The item's first rating by this rater, at revision 1."""
    values = {
        "review_id": slot.review_id,
        "item_key": slot.item_key,
        "rater_kind": slot.rater_kind.value,
        "rater_id": slot.rater_id,
        **written,
        "revision": 1,
        "client_id": slot.client_id,
        "updated_at": at,
        "updated_by_id": by.user_id,
    }
    inserted = connection.execute(_INSERT_RATING, values).inserted_primary_key
    assert inserted is not None
    return _stored_from(int(inserted[0]), values)


def update(
    connection: sa.Connection,
    *,
    rating: StoredRating,
    slot: Slot,
    written: Mapping[str, Any],
    by: Principal,
    at: datetime,
) -> StoredRating:
    """The stored rating with ``written`` in place, one revision on."""
    revision = rating.revision + 1
    connection.execute(
        _UPDATE[slot.rater_kind],
        {
            "rating_id": rating.id,
            **{f"new_{name}": value for name, value in written.items()},
            "new_revision": revision,
            "new_client_id": slot.client_id,
            "new_updated_at": at,
            "new_updated_by_id": by.user_id,
        },
    )
    return replace(rating, **written, revision=revision, updated_at=at)


def record_change(
    connection: sa.Connection,
    *,
    rating: StoredRating,
    slot: Slot,
    content: Mapping[str, Any],
    by: Principal,
    at: datetime,
) -> None:
    """The change record that makes ``slot.client_id`` known (and a copy of it a replay)."""
    connection.execute(
        _INSERT_CHANGE,
        {
            "client_id": slot.client_id,
            "rating_id": rating.id,
            "review_id": slot.review_id,
            "revision": rating.revision,
            "content": content,
            "content_sha256": fingerprint(content),
            "changed_at": at,
            "changed_by_id": by.user_id,
            "channel": by.channel,
        },
    )


@dataclass(frozen=True)
class Made:
    """A change already made under a ``client_id``: the rating as it left it."""

    rating: StoredRating
    same: bool  # the same rating and content as the change asked for now


def made_before(
    connection: sa.Connection, *, slot: Slot, content: Mapping[str, Any]
) -> Made | None:
    """The change already made with ``slot.client_id``, or None if the id is new."""
    row = connection.execute(_REPLAY, {"client_id": slot.client_id}).first()
    if row is None:
        return None
    rating = _stored(row)
    same_target = (
        rating.review_id == slot.review_id
        and rating.item_key == slot.item_key
        and rating.rater_kind == slot.rater_kind
        and rating.rater_id == slot.rater_id
    )
    # The rating as this change left it, not as it is now: a client that builds its next
    # change on the answer's revision must not skip a change made elsewhere since (that
    # one would then be overwritten unseen).
    made = dict(row.change_content or {})
    as_left = {name: made[name] for name in _CONTENT_COLUMNS + _CONSENSUS_COLUMNS if name in made}
    return Made(
        replace(rating, **as_left, revision=row.change_revision, updated_at=row.change_at),
        same_target and row.content_sha256 == fingerprint(content),
    )


def reviewer_part(content: Mapping[str, Any]) -> dict[str, Any]:
    """What a reviewer's change writes: not the consensus's rationale or recommendation."""
    return {name: content[name] for name in _CONTENT_COLUMNS}


def _stored(row: sa.Row[Any]) -> StoredRating:
    """A rating from a row that ends with ``_RATING_COLUMNS``."""
    return StoredRating(*row[len(row) - len(_RATING_COLUMNS) :])


def _stored_from(rating_id: int, values: Mapping[str, Any]) -> StoredRating:
    known: dict[str, Any] = {f.name: values.get(f.name) for f in fields(StoredRating)}
    known["evidence"] = list(known["evidence"] or [])
    return StoredRating(**(known | {"id": rating_id}))


def stored_content(rating: Rating | StoredRating) -> dict[str, Any]:
    """A stored rating's content, in the form ``app.scales.rules.rating_content`` gives."""
    return {
        "score": rating.score,
        "not_rated_reason": rating.not_rated_reason,
        "note": rating.note,
        "evidence": sorted(rating.evidence or []),
        "inputs": rating.inputs or None,
        "rationale": rating.rationale,
        "recommendation": rating.recommendation,
    }


def same_content(
    *, stored: Mapping[str, Any], content: Mapping[str, Any], rater_kind: RaterKind
) -> bool:
    """Whether a change says what is stored (a reviewer's: leaving out the consensus's texts)."""
    keys = (
        content.keys()
        if rater_kind == RaterKind.CONSENSUS
        else content.keys() - {"rationale", "recommendation"}
    )
    return all(stored.get(key) == content.get(key) for key in keys)


def fingerprint(content: Mapping[str, Any]) -> str:
    """The sha256 of a change's canonical JSON: two copies of one change share it."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
