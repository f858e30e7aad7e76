"""The audit trail: every change is recorded by the service that makes it, in the same
unit of work, so a change and its audit event commit or roll back together.

Rows are only ever added: the product has no code path that edits or deletes them, and
database triggers refuse UPDATE and DELETE on ``audit_event`` outright.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Select
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from app.errors import Invalid
from app.models import AuditEvent, Channel, FiguresVersion, User, table_of, utcnow
from app.services.access import Principal

# Every action the product records, grouped by what it concerns (the part before the
# dot). The audit page names each in words (``audit_action_<group>_<name>`` in the
# catalogue) and offers them as its filter; a test checks that no code records an action
# missing here.
ACTIONS: tuple[str, ...] = (
    "auth.signed_in",
    "auth.sign_in_failed",
    "auth.sign_in_throttled",
    "auth.signed_out",
    "auth.password_check_failed",
    "session.ended",
    "access.denied",
    "user.created",
    "user.updated",
    "user.password_set",
    "user.invited",
    "api_token.created",
    "api_token.revoked",
    "team.created",
    "team.updated",
    "team.viewed",
    "scale_version.drafted",
    "scale_version.edited",
    "scale_version.uploaded",
    "scale_version.sent",
    "scale_version.withdrawn",
    "scale_version.approved",
    "scale_version.changes_requested",
    "scale_version.published",
    "scale_version.retired",
    "scale_comment.added",
    "scale_comment.resolved",
    "scale_comment.reopened",
    "review.created",
    "review.viewed",
    "rating.saved",
    "review.submitted",
    "review.consensus_started",
    "consensus.saved",
    "review.summary_saved",
    "review.reviewer_replaced",
    "review.reviewer_removed",
    "review.finalised",
    "review.reopened",
    "team_comment.saved",
    "team_comment.deleted",
    "action.created",
    "action.updated",
    "action.deleted",
    "round.opened",
    "round.deadline_set",
    "round.saved",
    "round.submitted",
    "round.assessed",
    "round.assessment_reopened",
    "outbox.imported",
    "outcomes.imported",
    "outcomes.team_saved",
    "outcomes.team_removed",
    "agreement.saved",
    "agreement.deleted",
    "activity.saved",
    "activity.deleted",
    "status_report.sent",
    "export.downloaded",
    "audit.exported",
    "demo.loaded",
    "demo.synthetic_reviews",
)
ACTION_GROUPS: tuple[str, ...] = tuple(dict.fromkeys(a.split(".")[0] for a in ACTIONS))


# What the national figures, a team's national comparison and who sees which team are
# made of: every change to them is recorded by one of these actions, and recording one
# moves the figures' version in the same transaction (``figures_version``).
FIGURES_CHANGED = frozenset(
    {
        "review.finalised",
        "review.reopened",
        "round.assessed",
        "round.assessment_reopened",
        "team.created",
        "team.updated",
        "scale_version.published",
        "scale_version.retired",
        "outcomes.imported",
        "outcomes.team_saved",
        "outcomes.team_removed",
        "agreement.saved",
        "agreement.deleted",
        "demo.loaded",
        "demo.synthetic_reviews",
        # an ambassador sees the teams of the reviews they are on
        "review.created",
        "review.reviewer_replaced",
        "review.reviewer_removed",
    }
)
_FIGURES = table_of(FiguresVersion)
_BUMP_FIGURES = sa.update(_FIGURES).where(_FIGURES.c.id == 1).values(version=_FIGURES.c.version + 1)


def figures_version(session: Session) -> int:
    """The version of the figures: it goes up with every change in ``FIGURES_CHANGED``,
    in the order those changes commit (an UPDATE of one row, taken in turn), in every
    worker process alike. The key for figures kept between requests: a reader that sees
    a number also sees every change made before it."""
    found = (
        session.connection()
        .execute(sa.select(_FIGURES.c.version).where(_FIGURES.c.id == 1))
        .scalar_one()  # the row migration 0009 made; without it nothing would be kept right
    )
    return int(found)


def action_label(action: str) -> str:
    """The catalogue key that names ``action`` in words."""
    return "audit_action_" + action.replace(".", "_")


def record(
    session: Session,
    *,
    action: str,
    channel: Channel | None = None,
    actor_id: int | None = None,
    by: Principal | None = None,
    entity_type: str | None = None,
    entity_id: str | int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    client_address: str | None = None,
) -> None:
    """Write one audit event in the session's transaction.

    ``by`` supplies the actor, channel and client address; ``channel`` and ``actor_id``
    are for callers without a principal (the CLI, the demo loader).
    """
    if session.info.get("read_only"):
        raise RuntimeError("a request that only reads cannot write to the audit trail")
    write(
        session.connection(),
        action=action,
        channel=channel,
        actor_id=actor_id,
        by=by,
        entity_type=entity_type,
        entity_id=entity_id,
        before=before,
        after=after,
        client_address=client_address,
    )


_INSERT = sa.insert(table_of(AuditEvent))


def write(
    connection: sa.Connection,
    *,
    action: str,
    channel: Channel | None = None,
    actor_id: int | None = None,
    by: Principal | None = None,
    entity_type: str | None = None,
    entity_id: str | int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    client_address: str | None = None,
    at: datetime | None = None,
) -> None:
    """``record`` on a connection: one prepared insert, for the paths that write often."""
    if by is not None:
        actor_id, channel = by.user_id, channel or by.channel
        client_address = by.client_address
    if action in FIGURES_CHANGED:
        connection.execute(_BUMP_FIGURES)
    connection.execute(
        _INSERT,
        {
            "occurred_at": at or utcnow(),
            "action": action,
            "channel": channel or "system",
            "actor_id": actor_id,
            "client_address": client_address,
            "entity_type": entity_type,
            "entity_id": None if entity_id is None else str(entity_id),
            "before": before,
            "after": after,
        },
    )


def parse_day(value: str | None, *, field: str) -> date | None:
    """A filter's date (2026-11-23), or Invalid naming the field."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Invalid.of("err_bad_date", field=field, value=value) from None


@dataclass(frozen=True)
class EventFilter:
    """The audit trail's filters: conditions each event must meet, and the actions and
    actors asked for, which the trail is walked by (``_walks``)."""

    clauses: tuple[ColumnElement[bool], ...] = ()
    actions: tuple[str, ...] = ()  # none: every action
    actors: SelectOfScalar[int | None] | None = None  # the users an actor filter finds


def event_filter(
    *,
    action: str | None = None,
    actor: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    since: date | None = None,
    until: date | None = None,
    timezone: str = "UTC",
) -> EventFilter:
    """The filters of the audit page and the CSV export. ``action`` is one of
    ``ACTIONS``, or a group of them (``auth`` finds every sign-in event); ``actor`` any
    part of a username or display name, in any case. ``since`` and ``until`` are whole
    days, both included, as the calendar reads in ``timezone``."""
    if since and until and since > until:
        raise Invalid.of("err_dates_reversed", since=since, until=until)
    zone = ZoneInfo(timezone)
    actions: tuple[str, ...] = ()
    if action:
        wanted = action.strip().removesuffix(".")  # "auth." reads as the group too
        if wanted in ACTION_GROUPS:
            actions = tuple(known for known in ACTIONS if known.startswith(wanted + "."))
        elif wanted in ACTIONS:
            actions = (wanted,)
        else:
            raise Invalid.of("err_unknown_action", value=wanted, allowed=", ".join(ACTIONS))
    actors = None
    if actor:
        needle = actor.strip()
        actors = select(col(User.id)).where(
            col(User.username).icontains(needle, autoescape=True)
            | col(User.display_name).icontains(needle, autoescape=True)
        )
    clauses: list[ColumnElement[bool]] = []
    if entity_type:
        clauses.append(col(AuditEvent.entity_type) == entity_type)
    if entity_id:
        clauses.append(col(AuditEvent.entity_id) == entity_id)
    if since:
        start = datetime.combine(since, time(), tzinfo=zone)
        clauses.append(col(AuditEvent.occurred_at) >= start)
    if until:
        end = datetime.combine(until + timedelta(days=1), time(), tzinfo=zone)
        clauses.append(col(AuditEvent.occurred_at) < end)
    return EventFilter(tuple(clauses), actions, actors)


# An actor filter that finds more users than this is checked on each event instead of
# walking each user's events; a person and a group of actions are walked pair by pair up
# to this many pairs.
MAX_WALKS = 32


def _walks(session: Session, found: EventFilter) -> list[list[ColumnElement[bool]]]:
    """The filter as walks along the trail's indexes, each a list of conditions naming at
    most one action and one actor: one walk per action of a group (by action and id),
    per actor an actor filter finds (by actor and id), or per actor and action (by
    both). A page is the newest events of every walk, merged. Given a set whole
    (``action IN (...)``), a database reads every matching event through the index and
    sorts them to find the newest fifty: 0.6 s for a group on three million events.
    No walks: nothing can match."""
    action, actor = col(AuditEvent.action), col(AuditEvent.actor_id)
    base = list(found.clauses)
    actions: list[ColumnElement[bool]] = [action == one for one in found.actions]
    if found.actors is None:
        return [[*base, one] for one in actions] if actions else [base]
    actor_ids = [one for one in session.exec(found.actors) if one is not None]
    if not actor_ids:
        return []
    people: list[ColumnElement[bool]] = [actor == one for one in actor_ids]
    if len(people) * max(1, len(actions)) <= MAX_WALKS:
        if not actions:
            return [[*base, person] for person in people]
        return [[*base, person, one] for person in people for one in actions]
    # very many people: they are checked on each event (``+ 0`` keeps the database from
    # reading all their events and sorting them)
    base.append((actor + 0).in_(actor_ids))
    return [[*base, one] for one in actions] if actions else [base]


def _ids(
    walks: list[list[ColumnElement[bool]]],
    *,
    limit: int,
    newest_first: bool,
    beyond: int | None,
) -> Select[int | None] | sa.CompoundSelect[int | None]:
    """The ids of the next ``limit`` events of each walk, past the id ``beyond``."""
    event_id = col(AuditEvent.id)

    def walk(conditions: list[ColumnElement[bool]]) -> Select[int | None]:
        query = sa.select(event_id).where(*conditions)
        if beyond is not None:
            query = query.where(event_id < beyond if newest_first else event_id > beyond)
        return query.order_by(event_id.desc() if newest_first else event_id).limit(limit)

    if len(walks) == 1:
        return walk(walks[0])
    # each walk in a subquery of its own, so that its ORDER BY and LIMIT apply to it
    arms = [select(walk(conditions).subquery().c.id) for conditions in walks]
    return sa.union_all(*arms)


def _events(
    session: Session,
    walks: list[list[ColumnElement[bool]]],
    *,
    limit: int,
    newest_first: bool,
    beyond: int | None,
) -> list[tuple[AuditEvent, str | None]]:
    if not walks:
        return []
    event_id = col(AuditEvent.id)
    query = (
        select(AuditEvent, User.username)
        .join(User, col(User.id) == col(AuditEvent.actor_id), isouter=True)
        .where(event_id.in_(_ids(walks, limit=limit, newest_first=newest_first, beyond=beyond)))
        .order_by(event_id.desc() if newest_first else event_id)
        .limit(limit)
    )
    return [(event, username) for event, username in session.exec(query)]


def list_events(
    session: Session, *, found: EventFilter, limit: int, before_id: int | None
) -> list[tuple[AuditEvent, str | None]]:
    """The newest events first, with each actor's username, one page at a time."""
    walks = _walks(session, found)
    return _events(session, walks, limit=limit, newest_first=True, beyond=before_id)


CSV_COLUMNS = (
    "id",
    "occurred_at",
    "actor",
    "channel",
    "client_address",
    "action",
    "entity_type",
    "entity_id",
    "before",
    "after",
)


def csv_rows(session: Session, *, found: EventFilter, batch: int = 1000) -> Iterator[list[str]]:
    """The header and then every matching event, oldest first, read in batches."""
    yield list(CSV_COLUMNS)
    walks = _walks(session, found)
    last_id = 0
    while True:
        rows = _events(session, walks, limit=batch, newest_first=False, beyond=last_id)
        for event, username in rows:
            yield [
                str(event.id),
                event.occurred_at.isoformat(),
                username or "",
                event.channel,
                event.client_address or "",
                event.action,
                event.entity_type or "",
                event.entity_id or "",
                "" if event.before is None else json.dumps(event.before, ensure_ascii=False),
                "" if event.after is None else json.dumps(event.after, ensure_ascii=False),
            ]
            last_id = event.id or last_id
        if len(rows) < batch:
            return


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, line: str) -> str:
        return line


def csv_lines(rows: Iterable[list[str]], *, sep: str = ",") -> Iterator[str]:
    """Each row as one line of CSV, written as the rows come (for a streamed download)."""
    writer = csv.writer(_Echo(), delimiter=sep)
    for row in rows:
        yield writer.writerow(row)
