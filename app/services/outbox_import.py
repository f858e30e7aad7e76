"""The administrator's import of a tablet's outbox file: the changes a reviewer (or a
team filling in its part of a measurement round) downloaded from a tablet that could not
send them, each saved as that person's own through the same service call as the rating
API (or the round's), so a change that reached the server both ways is stored once.

Each change is saved in a unit of work of its own (a refused one leaves the others as
they are); a change made on top of an earlier change of the same item names it in
``after`` and rests on the revision that change got here. The import as a whole is
recorded in the audit trail with each outcome counted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from app.errors import DomainError, Invalid
from app.models import ImplementationRater
from app.schemas.ratings import ConsensusIn, RatingIn
from app.schemas.rounds import DocumentsIn, FigureIn, PointIn
from app.services import access, audit, ratings, self_report, users
from app.services.access import Principal

Units = Callable[[], AbstractContextManager[Session]]  # each call: a unit of work of its own

MAX_FILE = 5 * 1024 * 1024
MAX_ENTRIES = 10_000
REVIEW_MODES = ("rating", "consensus")
ROUND_MODES = ("point", "assessment", "figure", "documents")
RoundChange = PointIn | FigureIn | DocumentsIn


@dataclass
class Imported:
    number: int
    user: str
    review_id: object
    item_key: object
    outcome: str  # saved, unchanged, replayed, conflict, refused
    message: str = ""
    round_id: object = None  # a change of a measurement round's field group


@dataclass(frozen=True)
class _File:
    """What every change of one file is saved with."""

    units: Units
    language: str
    today: date


def import_file(
    *,
    units: Units,
    principal: Principal,
    filename: str,
    raw: bytes,
    language: str,
    today: date,
) -> list[Imported]:
    """Save every change of an outbox file, oldest first, and record the import; a file
    that is not an outbox file at all is refused (Invalid) with nothing written."""
    entries = read_entries(raw)
    revisions: dict[str, int | None] = {}
    saving = _File(units, language, today)
    results = [_apply(saving, revisions, number, entry) for number, entry in enumerate(entries, 1)]
    with units() as session:
        audit.record(
            session,
            action="outbox.imported",
            by=principal,
            after={
                "file": filename[:200],
                "entries": len(results),
                "outcomes": {
                    kind: sum(1 for r in results if r.outcome == kind)
                    for kind in ("saved", "unchanged", "replayed", "conflict", "refused")
                },
                "client_ids": [str(e.get("client_id", ""))[:36] for e in entries][:MAX_ENTRIES],
            },
        )
    return results


def read_entries(raw: bytes) -> list[dict[str, Any]]:
    """The file's changes, oldest first, or Invalid saying what is wrong with the file."""
    if len(raw) > MAX_FILE:
        raise Invalid.of("outbox_bad_file", reason=f"larger than {MAX_FILE // 1024 // 1024} MB")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise Invalid.of("outbox_bad_file", reason=f"not JSON ({error})") from None
    except RecursionError:
        raise Invalid.of("outbox_bad_file", reason="nested too deeply") from None
    if not isinstance(data, dict) or data.get("format") != "ips-fidelity-outbox":
        raise Invalid.of("outbox_bad_file", reason="format is not 'ips-fidelity-outbox'")
    if data.get("version") != 1:
        raise Invalid.of("outbox_bad_file", reason=f"unknown version {data.get('version')!r}")
    entries = data.get("entries")
    if not isinstance(entries, list) or len(entries) > MAX_ENTRIES:
        raise Invalid.of("outbox_bad_file", reason=f"'entries' must be a list of ≤ {MAX_ENTRIES}")
    return [entry if isinstance(entry, dict) else {} for entry in entries]


_KEY = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def _is_id(value: object) -> bool:
    """A database id as JSON gives it: an integer (not true or false) in range."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31


def _apply(
    saving: _File,
    revisions: dict[str, int | None],
    number: int,
    entry: dict[str, Any],
) -> Imported:
    """Save one change of the file as its maker's own, in a unit of work of its own: a
    refused change leaves the others as they are, and nothing of itself."""
    language = saving.language
    user = str(entry.get("user") or "")[:64]
    review_id, item_key = entry.get("review_id"), entry.get("item_key")
    row = Imported(number, user, review_id, item_key, "refused")
    if entry.get("mode") in ROUND_MODES:
        row.review_id, row.round_id = None, entry.get("round_id")
    client_id = str(entry.get("client_id") or "")
    base = entry.get("base_revision")
    after = entry.get("after")
    if isinstance(after, str) and after in revisions:
        base = revisions[after]
    try:
        if isinstance(after, str) and after not in revisions:
            # Made on top of a change that is not in the file: its base is not known, and
            # saving it unchecked could overwrite a change made elsewhere unseen.
            raise Invalid.of("err_outbox_entry", number=number, reason="after")
        if entry.get("mode") in ROUND_MODES:
            saved = _save_round(saving, user, entry, _round_change(entry, number, client_id, base))
            revisions[client_id] = saved.stored.revision
            row.outcome = saved.outcome
        else:
            change = _change(entry, number, client_id, base)
            result = _save(saving.units, user, entry, change)
            revisions[client_id] = result.rating.revision
            row.outcome = result.outcome
    except (ratings.StaleRating, self_report.StaleChange) as conflict:
        revisions[client_id] = base  # not applied: what came after it rests on its base
        row.outcome, row.message = "conflict", conflict.message(language)
    except ValidationError as error:
        revisions[client_id] = base  # not applied: what came after it rests on its base
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        reason = f"{where}: {first['msg']}"
        row.message = Invalid.of("err_outbox_entry", number=number, reason=reason).message(language)
    except DomainError as refused:
        revisions[client_id] = base  # not applied: what came after it rests on its base
        row.message = refused.message(language)
    return row


def _change(entry: dict[str, Any], number: int, client_id: str, base: object) -> RatingIn:
    """The entry's change, read as the rating API reads its body; an entry that is not a
    whole change is refused, naming what is wrong with it."""
    mode = entry.get("mode")
    if mode not in REVIEW_MODES:
        raise Invalid.of("err_outbox_entry", number=number, reason="mode")
    fields = _fields(entry, number, client_id, base, owner="review_id")
    model = ConsensusIn if mode == "consensus" else RatingIn
    return model.model_validate(fields)


def _fields(
    entry: dict[str, Any], number: int, client_id: str, base: object, *, owner: str
) -> dict[str, Any]:
    """What every change must name (its review or round, its item, a body) and rest on,
    checked; its body with its id and base revision."""
    if base is None:
        # Every change from a tablet rests on a revision (0 for a first rating); one
        # without, or resting on a change refused here, is never saved unchecked.
        raise Invalid.of("err_outbox_entry", number=number, reason="base_revision")
    if not _is_id(entry.get(owner)):
        raise Invalid.of("err_outbox_entry", number=number, reason=owner)
    item_key = entry.get("item_key")
    if not isinstance(item_key, str) or not _KEY.fullmatch(item_key):
        raise Invalid.of("err_outbox_entry", number=number, reason="item_key")
    given = entry.get("body")
    if not isinstance(given, dict):  # not a change at all: never an empty rating
        raise Invalid.of("err_outbox_entry", number=number, reason="body")
    return {**given, "client_id": client_id, "base_revision": base}


def _round_change(entry: dict[str, Any], number: int, client_id: str, base: object) -> RoundChange:
    """A round's change, read as the round API reads its body."""
    fields = _fields(entry, number, client_id, base, owner="round_id")
    mode = entry.get("mode")
    if mode == "figure":
        return FigureIn.model_validate(fields)
    if mode == "documents":
        return DocumentsIn.model_validate(fields)
    return PointIn.model_validate(fields)


def _save_round(
    saving: _File, user: str, entry: dict[str, Any], change: RoundChange
) -> self_report.Saved:
    """A round's change saved as ``user``'s own, through the tablet's channel; a figure
    read in the language it was typed in."""
    round_id, key, mode = int(entry["round_id"]), str(entry["item_key"]), entry.get("mode")
    typed_in = "en" if entry.get("language") == "en" else "da"
    with saving.units() as session:
        maker = _maker(session, user)
        common: dict[str, Any] = {
            "principal": maker,
            "round_id": round_id,
            "client_id": str(change.client_id),
            "today": saving.today,
            "base_revision": change.base_revision,
            "channel": "offline",
        }
        if isinstance(change, FigureIn):
            return self_report.save_figure(
                session, change=change.change(key), language=typed_in, **common
            )
        if isinstance(change, DocumentsIn):
            documents = self_report.DocumentsInput(documents=change.documents, note=change.note)
            return self_report.save_documents(session, change=documents, **common)
        rater = (
            ImplementationRater.AMBASSADORS if mode == "assessment" else ImplementationRater.TEAM
        )
        return self_report.save_point(session, change=change.change(key), rater=rater, **common)


def _maker(session: Session, user: str) -> Principal:
    """The person who made a change, as they would be signed in on the tablet."""
    found = users.find_user(session, username=user)
    if found is None or not found.is_active:
        raise Invalid.of("outbox_no_user", user=user)
    return access.principal_for(session, user=found, channel="offline")


def _save(units: Units, user: str, entry: dict[str, Any], change: RatingIn) -> ratings.SaveResult:
    """The change saved as ``user``'s own, through the tablet's channel."""
    with units() as session:
        reviewer = _maker(session, user)
        return ratings.save_rating(
            session,
            principal=reviewer,
            review_id=int(entry["review_id"]),
            item_key=str(entry["item_key"]),
            change=change.change(),
            client_id=str(change.client_id),
            base_revision=change.base_revision,
            consensus=entry.get("mode") == "consensus",
        )
