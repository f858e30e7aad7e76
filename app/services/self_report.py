"""Saving the parts of a measurement round, one field group at a time: the team's (or the
ambassadors') rating of one implementation point, one of the team's figures, and the
documents the team shows.

Every save is checked whole before anything is written, so a refused save leaves the
round as it was. Each carries a client id, as a rating does: the UNIQUE id in
``round_change`` makes the same change sent twice (a tablet's outbox after a lost
answer) land once, and a different change under a used id is refused. A change may also
name the revision of the field group it was made on (``base_revision``; 0 for one never
saved): made on an older one, someone else's change came in between, and it is refused
as stale with the stored value, for the person to choose, never overwriting it unseen.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, func, select

from app.errors import Conflict, Forbidden, Invalid
from app.models import (
    Channel,
    ImplementationRater,
    ImplementationRating,
    RoundChange,
    TeamFigure,
    utcnow,
)
from app.scales.figures import check_consultants, check_figure, read_figure
from app.scales.implementation import MATURITY_LEVELS, applies
from app.scales.rules import clean_text
from app.services import audit, rounds
from app.services.access import Principal
from app.services.ratings import checked_client_id
from app.services.rounds import RoundContext

DESCRIPTION_MAX = 2000
DOCUMENT_MAX = 300
FIGURE_NOTE_MAX = 1000
DOCUMENTS_NOTE_MAX = 2000
Part = Literal["implementation", "figure", "documents"]
Outcome = Literal["saved", "unchanged", "replayed"]
TEAM = ImplementationRater.TEAM


@dataclass(frozen=True)
class PointInput:
    """One implementation point as typed: the step, what exists, and the evidence."""

    item_key: str
    level: int | str | None
    description: str | None = None
    evidence_date: str | date | None = None
    evidence_document: str | None = None


@dataclass(frozen=True)
class FigureInput:
    """One of the team's figures as typed (text from a form, a number from the API), or
    one per consultant; an empty value clears it."""

    input_key: str
    value: str | float | None = None
    consultants: Sequence[str | float] | None = None
    note: str | None = None


@dataclass(frozen=True)
class DocumentsInput:
    """The kinds of document the team lets the reviewers see, and a note about them."""

    documents: Sequence[str]
    note: str | None = None


@dataclass(frozen=True)
class Stored:
    """A field group as stored: its revision (0: never saved), when it last changed, and
    its value as the API takes it."""

    revision: int
    updated_at: datetime | None
    body: dict[str, Any]


@dataclass(frozen=True)
class Saved:
    """What a save did, the round it did it to, and the field group as now stored."""

    context: RoundContext
    outcome: Outcome
    content: dict[str, Any]
    stored: Stored


class StaleChange(Conflict):
    """A change made on an older revision of its field group than the stored one: someone
    else's change came in between. Carries the stored value, for the person to choose."""

    current: Stored

    @classmethod
    def about(
        cls, key: str, params: dict[str, object], *, current: Stored, base: int
    ) -> StaleChange:
        error = cls.of(key, **params, revision=current.revision, base=base)
        error.current = current
        error.extra = {
            "current": {
                "revision": current.revision,
                "updated_at": current.updated_at.isoformat() if current.updated_at else None,
                **current.body,
            }
        }
        return error


def save_point(
    session: Session,
    *,
    principal: Principal,
    round_id: int,
    change: PointInput,
    rater: ImplementationRater,
    client_id: str | None,
    today: date,
    base_revision: int | None = None,
    channel: Channel = "web",
) -> Saved:
    """The team's own rating of one point (``rater`` team) or the ambassadors' (with
    their note in ``description``)."""
    context = _round(session, principal, round_id)
    content = _point_content(context, change)
    number = context.instrument.item(change.item_key).number
    return _save(
        session,
        principal=principal,
        context=context,
        admit=lambda: _admit(session, principal, context, rater=rater, today=today),
        part="implementation",
        key=f"{rater}:{change.item_key}",
        content=content,
        client_id=client_id,
        channel=channel,
        apply=lambda: _apply_point(session, context, principal, rater, change.item_key, content),
        base_revision=base_revision,
        stored=lambda: _stored_point(session, context, rater, change.item_key),
        stale=("err_stale_point", {"number": number}),
    )


def save_figure(
    session: Session,
    *,
    principal: Principal,
    round_id: int,
    change: FigureInput,
    client_id: str | None,
    today: date,
    language: str = "en",
    base_revision: int | None = None,
    channel: Channel = "web",
) -> Saved:
    """One of the team's figures, checked against its declared unit, range and precision."""
    context = _round(session, principal, round_id)
    content = _figure_content(context, change, language)
    label = context.instrument.team_input(change.input_key).label.get(language)
    return _save(
        session,
        principal=principal,
        context=context,
        admit=lambda: _admit(session, principal, context, rater=TEAM, today=today),
        part="figure",
        key=change.input_key,
        content=content,
        client_id=client_id,
        channel=channel,
        apply=lambda: _apply_figure(session, context, principal, change.input_key, content),
        base_revision=base_revision,
        stored=lambda: _stored_figure(session, context, change.input_key),
        stale=("err_stale_figure", {"label": label}),
    )


def save_documents(
    session: Session,
    *,
    principal: Principal,
    round_id: int,
    change: DocumentsInput,
    client_id: str | None,
    today: date,
    base_revision: int | None = None,
    channel: Channel = "web",
) -> Saved:
    """The documents the team lets the reviewers see."""
    context = _round(session, principal, round_id)
    known = [document.key for document in context.instrument.documents]
    unknown = [key for key in change.documents if key not in known]
    if unknown:
        raise Invalid.of("err_round_unknown_document", name=unknown[0][:64])
    documents = [key for key in known if key in set(change.documents)]
    note = clean_text(change.note, limit=DOCUMENTS_NOTE_MAX, key="err_note_long")
    content: dict[str, Any] = {"documents": documents, "note": note}

    def apply() -> bool:
        measurement = context.round
        if (measurement.documents, measurement.documents_note) == (documents, note):
            return False
        measurement.documents, measurement.documents_note = documents, note
        measurement.documents_revision += 1
        session.add(measurement)
        return True

    return _save(
        session,
        principal=principal,
        context=context,
        admit=lambda: _admit(session, principal, context, rater=TEAM, today=today),
        part="documents",
        key="documents",
        content=content,
        client_id=client_id,
        channel=channel,
        apply=apply,
        base_revision=base_revision,
        stored=lambda: _stored_documents(session, context),
        stale=("err_stale_documents", {}),
    )


def _round(session: Session, principal: Principal, round_id: int) -> RoundContext:
    """The round as ``principal`` may see it, its row locked for the save."""
    return rounds.locked(
        session, rounds.visible_round(session, principal=principal, round_id=round_id)
    )


# Checks ---------------------------------------------------------------------------------


def _admit(
    session: Session,
    principal: Principal,
    context: RoundContext,
    *,
    rater: ImplementationRater,
    today: date,
) -> None:
    """Refuse unless ``principal`` may write ``rater``'s part of the round now."""
    state = rounds.self_report_state(context.round, today=today)
    if rater == ImplementationRater.TEAM:
        if not rounds.is_team_member(principal, team_id=context.team.id or 0):
            raise Forbidden.of("err_round_team_only")
        if state == "submitted":
            raise Conflict.of("err_round_submitted")
        if state == "closed":
            raise Conflict.of("err_round_closed", date=context.round.deadline.isoformat())
        return
    if not rounds.can_assess(session, principal=principal, context=context):
        raise Forbidden.of("err_round_cannot_assess")
    if state == "open":
        raise Conflict.of("err_round_still_open", date=context.round.deadline.isoformat())
    if context.round.assessed_at is not None:
        raise Conflict.of("err_round_assessed")


def _point_content(context: RoundContext, change: PointInput) -> dict[str, Any]:
    try:
        item = context.instrument.item(change.item_key)
    except KeyError:
        raise Invalid.of("err_round_unknown_point", name=change.item_key[:64]) from None
    if not applies(item, context.team.program_type):
        raise Invalid.of("err_round_point_not_for_team", number=item.number)
    level = _level(change.level, number=item.number)
    evidence_date = _date(change.evidence_date, number=item.number)
    return {
        "level": level,
        "description": clean_text(
            change.description, limit=DESCRIPTION_MAX, key="err_round_description_long"
        ),
        "evidence_date": evidence_date.isoformat() if evidence_date else None,
        "evidence_document": clean_text(
            change.evidence_document, limit=DOCUMENT_MAX, key="err_round_document_long"
        ),
    }


def _level(raw: int | str | None, *, number: int) -> int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        level = int(raw)
    except (TypeError, ValueError):
        raise Invalid.of("err_round_level", number=number) from None
    if level not in MATURITY_LEVELS or (isinstance(raw, float) and raw != level):
        raise Invalid.of("err_round_level", number=number)
    return level


def _date(raw: str | date | None, *, number: int) -> date | None:
    if raw is None or isinstance(raw, date):
        return raw
    text = raw.strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise Invalid.of("err_round_evidence_date", number=number) from None
    if not rounds.FIRST_YEAR <= day.year <= rounds.LAST_YEAR:
        raise Invalid.of("err_round_evidence_date", number=number)
    return day


def _figure_content(context: RoundContext, change: FigureInput, language: str) -> dict[str, Any]:
    try:
        entry = context.instrument.team_input(change.input_key)
    except KeyError:
        raise Invalid.of("err_round_unknown_figure", name=change.input_key[:64]) from None
    note = clean_text(change.note, limit=FIGURE_NOTE_MAX, key="err_note_long")
    if entry.per_consultant:
        typed = [
            v for v in (change.consultants or []) if not (isinstance(v, str) and not v.strip())
        ]
        if change.value not in (None, ""):
            raise Invalid.of("err_figure_consultants", label=entry.label.get(language), max=50)
        if not typed:
            return {"value": None, "consultants": None, "note": note}
        values = [_one(v, entry, language) for v in typed]
        values = check_consultants(values, entry=entry, language=language)
        return {"value": None, "consultants": values, "note": note}
    if change.consultants:
        raise Invalid.of("err_figure_one_value", label=entry.label.get(language))
    if change.value is None or (isinstance(change.value, str) and not change.value.strip()):
        return {"value": None, "consultants": None, "note": note}
    return {"value": _one(change.value, entry, language), "consultants": None, "note": note}


def _one(raw: str | float, entry: Any, language: str) -> float:
    if isinstance(raw, str):
        return read_figure(raw, entry=entry, language=language)
    if isinstance(raw, bool):
        raise Invalid.of(
            "err_figure_not_number",
            label=entry.label.get(language),
            text=str(raw),
            unit=entry.unit.get(language),
        )
    return check_figure(float(raw), entry=entry, language=language)


# Writing --------------------------------------------------------------------------------


def _save(
    session: Session,
    *,
    principal: Principal,
    context: RoundContext,
    admit: Callable[[], None],
    part: Part,
    key: str,
    content: dict[str, Any],
    client_id: str | None,
    channel: Channel,
    apply: Callable[[], bool],
    base_revision: int | None,
    stored: Callable[[], Stored],
    stale: tuple[str, dict[str, object]],
) -> Saved:
    """A change saved once: a change already stored under its client id is answered as
    stored (even once the round has moved on), anything else checked against the round's
    state and the revision it was made on, then written with its record in one
    savepoint."""
    client = checked_client_id(client_id)
    sha = hashlib.sha256(
        json.dumps({"part": part, "key": key, **content}, sort_keys=True).encode()
    ).hexdigest()
    known = session.exec(select(RoundChange).where(RoundChange.client_id == client)).first()
    if known is not None:
        return _replay(context, known, sha, content, stored())
    admit()
    if base_revision is not None:
        now = stored()
        if now.revision != base_revision:
            key, params = stale
            raise StaleChange.about(key, params, current=now, base=base_revision)
    change = RoundChange(
        client_id=client,
        round_id=context.id,
        part=part,
        key=key,
        content=content,
        content_sha256=sha,
        changed_by_id=principal.user_id,
        channel=channel,
    )
    try:
        with session.begin_nested():
            changed = apply()
            session.add(change)  # unchanged too: the id is then spent on this content
            session.flush()
            now = stored()  # with this change among the round's changes
            change.revision = now.revision
            session.flush()
    except IntegrityError:  # the same id arrived twice at once; the other one won
        session.expire_all()
        known = session.exec(select(RoundChange).where(RoundChange.client_id == client)).one()
        return _replay(context, known, sha, content, stored())
    if not changed:
        return Saved(context, "unchanged", content, now)
    audit.record(
        session,
        action="round.saved",
        by=principal,
        entity_type="measurement_round",
        entity_id=context.id,
        after={"part": part, "key": key, **content},
    )
    return Saved(context, "saved", content, now)


def _replay(
    context: RoundContext, known: RoundChange, sha: str, content: dict[str, Any], now: Stored
) -> Saved:
    """A change already stored, answered with the revision it left (not the group's
    latest, which may be someone else's since: the next change resting on that would
    overwrite it unseen) and the time it was made."""
    if known.round_id != context.id or known.content_sha256 != sha:
        raise Conflict.of("err_client_id_reused", client_id=known.client_id)
    if known.revision is None:  # recorded before changes kept their revision
        return Saved(context, "replayed", content, now)
    made = Stored(known.revision, known.changed_at, content)
    return Saved(context, "replayed", content, made)


# What is stored -------------------------------------------------------------------------


def _point_row(
    session: Session, context: RoundContext, rater: ImplementationRater, item_key: str
) -> ImplementationRating | None:
    return session.exec(
        select(ImplementationRating).where(
            ImplementationRating.round_id == context.id,
            ImplementationRating.item_key == item_key,
            ImplementationRating.rater == rater,
        )
    ).first()


def _figure_row(session: Session, context: RoundContext, input_key: str) -> TeamFigure | None:
    return session.exec(
        select(TeamFigure).where(
            TeamFigure.round_id == context.id, TeamFigure.input_key == input_key
        )
    ).first()


def _stored_point(
    session: Session, context: RoundContext, rater: ImplementationRater, item_key: str
) -> Stored:
    row = _point_row(session, context, rater, item_key)
    if row is None:
        body = {"level": None, "description": None, "evidence_date": None}
        return Stored(0, None, body | {"evidence_document": None})
    return Stored(
        row.revision,
        row.updated_at,
        {
            "level": row.level,
            "description": row.description,
            "evidence_date": row.evidence_date.isoformat() if row.evidence_date else None,
            "evidence_document": row.evidence_document,
        },
    )


def _stored_figure(session: Session, context: RoundContext, input_key: str) -> Stored:
    row = _figure_row(session, context, input_key)
    if row is None:
        return Stored(0, None, {"value": None, "consultants": None, "note": None})
    body = {"value": row.value, "consultants": row.consultants, "note": row.note}
    return Stored(row.revision, row.updated_at, body)


def _stored_documents(session: Session, context: RoundContext) -> Stored:
    measurement = context.round
    body = {"documents": list(measurement.documents), "note": measurement.documents_note}
    changed = session.exec(
        select(func.max(RoundChange.changed_at)).where(
            RoundChange.round_id == context.id, RoundChange.part == "documents"
        )
    ).one()
    return Stored(measurement.documents_revision, changed, body)


def _apply_point(
    session: Session,
    context: RoundContext,
    principal: Principal,
    rater: ImplementationRater,
    item_key: str,
    content: dict[str, Any],
) -> bool:
    row = _point_row(session, context, rater, item_key)
    evidence = date.fromisoformat(content["evidence_date"]) if content["evidence_date"] else None
    values = (
        content["level"],
        content["description"],
        evidence,
        content["evidence_document"],
    )
    if row is not None:
        current = (row.level, row.description, row.evidence_date, row.evidence_document)
        if current == values:
            return False
        row.revision += 1
    else:
        row = ImplementationRating(round_id=context.id, item_key=item_key, rater=rater)
    row.level, row.description, row.evidence_date, row.evidence_document = values
    row.updated_at, row.updated_by_id = utcnow(), principal.user_id
    session.add(row)
    session.flush()
    return True


def _apply_figure(
    session: Session,
    context: RoundContext,
    principal: Principal,
    input_key: str,
    content: dict[str, Any],
) -> bool:
    row = _figure_row(session, context, input_key)
    values = (content["value"], content["consultants"], content["note"])
    if row is not None:
        if (row.value, row.consultants, row.note) == values:
            return False
        row.revision += 1
    else:
        row = TeamFigure(round_id=context.id, input_key=input_key)
    row.value, row.consultants, row.note = values
    row.updated_at, row.updated_by_id = utcnow(), principal.user_id
    session.add(row)
    session.flush()
    return True
