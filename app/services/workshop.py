"""The measurement-concept workshop: drafts of scale versions made, discussed, approved
and published in the product (issue 19).

A draft is a scale version with status ``draft``. It starts from a stored version or an
uploaded file, and is changed as a whole definition, checked exactly as
``fidelity scales validate`` checks a file, plus how it stands to the version before it
(:func:`cross_version_problems`). Every change raises its ``revision``; a change made on
an older revision is refused as a conflict, so two panel members never overwrite each
other unseen.

Its way to publication (``approval``): the panel edits it (``editing``), sends it for
approval (``awaiting``; no longer edited), and another panel member or an administrator
approves it (``approved``) or sends it back with a reason (``editing`` again). Only an
administrator publishes, and only an approved draft; publishing makes the version
immutable and offers it for new reviews, retiring stops that. Each step is a
``ScaleDecision`` on the draft's history and an event in the audit trail.

Who: panel members and administrators draft, comment and approve; administrators alone
publish and retire; ambassadors read (``scales.may_see_drafts``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.models import (
    Approval,
    AuditEvent,
    Decision,
    Role,
    ScaleComment,
    ScaleDecision,
    ScaleKind,
    ScaleStatus,
    ScaleVersion,
    User,
    utcnow,
)
from app.scales.compare import compare
from app.scales.implementation import ImplementationDefinition
from app.scales.loader import (
    AnyDefinition,
    Problem,
    ScaleFileError,
    canonical_json,
    fingerprint,
    load_definition_text,
    validate_data,
)
from app.scales.schema import Crosswalk, Loc, ScaleDefinition
from app.scales.writer import definition_yaml
from app.services import audit
from app.services import scales as scale_service
from app.services.access import Principal

MAX_UPLOAD_BYTES = 512 * 1024  # the shipped scales are under 60 kB
MAX_COMMENT = 4000
VERSION_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"


def may_draft(principal: Principal) -> bool:
    """Panel members and administrators draft, comment and approve."""
    return principal.role in (Role.ADMIN, Role.PANEL_MEMBER)


def may_publish(principal: Principal) -> bool:
    """Only an administrator publishes and retires."""
    return principal.role == Role.ADMIN


def _require_drafter(principal: Principal) -> None:
    if not may_draft(principal):
        raise Forbidden.of("err_workshop_forbidden")


def ensure_editable(row: ScaleVersion) -> None:
    """Refuse a change to anything but a draft the panel is working on."""
    if row.status != ScaleStatus.DRAFT:
        raise Conflict.of("err_version_immutable", scale=row.scale_key, version=row.version)
    if row.approval != Approval.EDITING:
        raise Conflict.of("err_draft_in_approval", scale=row.scale_key, version=row.version)


def _lock(session: Session, row: ScaleVersion) -> None:
    """Queue behind any other writer of this version (PostgreSQL: its row locked until
    commit), then read it as that writer left it: the revision and approval checked next
    are the stored ones, not those of a moment ago. (SQLite: every write transaction
    begins with BEGIN IMMEDIATE, one writer at a time.)"""
    session.exec(select(ScaleVersion.id).where(ScaleVersion.id == row.id).with_for_update()).first()
    session.refresh(row)


def _current(session: Session, row: ScaleVersion, revision: int) -> None:
    """Refuse a change made on an older revision of the draft than the stored one."""
    if revision != row.revision:
        who = _last_editor(session, row)
        raise Conflict.of(
            "err_stale_draft", scale=row.scale_key, version=row.version, who=who or "?"
        )


def _last_editor(session: Session, row: ScaleVersion) -> str | None:
    actor = session.exec(
        select(AuditEvent.actor_id)
        .where(
            AuditEvent.entity_type == "scale_version",
            AuditEvent.entity_id == str(row.id),
        )
        .order_by(col(AuditEvent.id).desc())
        .limit(1)
    ).first()
    user = session.get(User, actor) if actor is not None else None
    return user.display_name if user is not None else None


# Starting, uploading and saving a draft.


def start_draft(
    session: Session, *, principal: Principal, base: ScaleVersion, version: str
) -> ScaleVersion:
    """A new draft ``version`` of ``base``'s scale, a copy of ``base`` to work from. A
    fidelity scale's copy has a crosswalk over ``base`` that marks nothing yet."""
    _require_drafter(principal)
    if base.status == ScaleStatus.DRAFT:
        raise Conflict.of("err_base_draft", scale=base.scale_key, version=base.version)
    version = version.strip()
    _new_version(session, key=base.scale_key, version=version)
    data = _stored_definition(base).model_dump(mode="json", exclude_none=True)
    data["version"] = version
    if base.kind == ScaleKind.FIDELITY:
        data["crosswalk"] = {"base": base.version, "comparable": []}
    definition, problems = validate_data(data)
    if definition is None:
        # A stored version checked by rules written since it was published.
        raise Invalid.of(
            "err_base_fails_rules", problems="; ".join(message for _, message in problems)
        )
    return _add_draft(session, principal=principal, definition=definition, based_on=base)


def upload(
    session: Session,
    *,
    principal: Principal,
    data: bytes,
    filename: str,
    revision: int | None = None,
) -> ScaleVersion:
    """A draft from an uploaded scale file: a new draft, or a new content of the draft of
    the same key and version (made on ``revision``). A file with problems is refused
    with every problem at its line (:class:`ScaleFileError`), and nothing is stored."""
    _require_drafter(principal)
    if len(data) > MAX_UPLOAD_BYTES:
        raise Invalid.of("err_upload_too_large", limit=MAX_UPLOAD_BYTES // 1024)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid.of("err_upload_not_text") from None
    shown = filename or "upload.yaml"
    if not text.strip():
        raise ScaleFileError([Problem(shown, 1, "the file is empty")])
    definition = load_definition_text(
        text, shown=shown, more_rules=lambda found: workshop_problems(session, found)
    )
    existing = scale_service.find_scale_version(
        session, key=definition.key, version=definition.version
    )
    if existing is None:
        return _add_draft(
            session,
            principal=principal,
            definition=definition,
            based_on=_base_of(session, definition),
        )
    if existing.kind != _kind_of(definition):
        raise Conflict.of("err_kind_taken", scale=existing.scale_key, version=existing.version)
    _lock(session, existing)
    ensure_editable(existing)
    if revision is None:
        # Replacing a draft is done from its own page, which says which revision it
        # replaces: a file made from an older one must not undo a colleague's saves unseen.
        raise Conflict.of("err_upload_replaces", scale=existing.scale_key, version=existing.version)
    _current(session, existing, revision)
    return _store(session, principal=principal, row=existing, definition=definition, how="uploaded")


@dataclass(frozen=True)
class Refused:
    """A form's change that was not stored: every problem at the location it concerns."""

    problems: list[tuple[Loc, str]]


def save(
    session: Session,
    *,
    principal: Principal,
    row: ScaleVersion,
    data: dict[str, Any],
    revision: int,
) -> ScaleVersion | Refused:
    """The draft with ``data`` as its whole new definition (a form's change, made on
    ``revision``), or what is wrong with it (nothing stored). Key and version stay."""
    _require_drafter(principal)
    _lock(session, row)
    ensure_editable(row)
    _current(session, row, revision)
    data = {**data, "key": row.scale_key, "version": row.version}
    definition, problems = validate_data(
        data, more_rules=lambda found: workshop_problems(session, found)
    )
    if definition is None:
        return Refused(problems)
    if fingerprint(definition) == row.sha256:
        return row  # nothing changed: a colleague's open form stays current
    return _store(session, principal=principal, row=row, definition=definition, how="edited")


# Item and point keys the workshop's pages use themselves ("/items/new", "/points/new",
# "#new-scale", "#workshop-heading"): an item by that name could not be told from them.
RESERVED_KEYS = frozenset({"new", "scale", "heading"})


def workshop_problems(session: Session, definition: AnyDefinition) -> list[tuple[Loc, str]]:
    """What the workshop asks of a draft beyond the file's own rules: how it stands to
    the version before it, no item named like one of the pages' own parts, and a size
    that its file can be uploaded again at."""
    problems = cross_version_problems(session, definition)
    for loc, key in _item_locations(definition):
        if key in RESERVED_KEYS:
            problems.append(((*loc, "key"), f"the key {key!r} is kept for the workshop's pages"))
    if _file_size_above(definition, MAX_UPLOAD_BYTES):
        problems.append(
            (
                (),
                f"the draft's file would be larger than the {MAX_UPLOAD_BYTES // 1024} kB "
                "a file may be; shorten its texts",
            )
        )
    return problems


def _item_locations(definition: AnyDefinition) -> list[tuple[Loc, str]]:
    """Where each item (a scale's) or point (an instrument's) lies, with its key."""
    if isinstance(definition, ScaleDefinition):
        return [(("items", index), item.key) for index, item in enumerate(definition.items)]
    return [
        (("elements", e_index, "items", i_index), item.key)
        for e_index, element in enumerate(definition.elements)
        for i_index, item in enumerate(element.items)
    ]


def _file_size_above(definition: AnyDefinition, limit: int) -> bool:
    """Whether the draft's file would be larger than ``limit`` bytes. Writing the file
    takes a tenth of a second for the IPS-25, so it is written only when the definition's
    compact JSON comes within half the limit: the file, indented, is under twice that."""
    compact = len(canonical_json(definition).encode("utf-8"))
    if compact * 2 < limit:
        return False
    return len(definition_yaml(definition).encode("utf-8")) > limit


def cross_version_problems(session: Session, definition: AnyDefinition) -> list[tuple[Loc, str]]:
    """How a fidelity scale stands to the version before it: its crosswalk's base must be
    a stored version of the same scale, and an item that keeps a key of that version
    but reads or scores differently must be marked comparable in the crosswalk (or get
    a new key): a key never takes a new meaning unseen."""
    if not isinstance(definition, ScaleDefinition):
        return []
    crosswalk = definition.crosswalk
    problems: list[tuple[Loc, str]] = []
    base_row = _base_of(session, definition)
    if crosswalk is not None and base_row is None:
        return [
            (
                ("crosswalk", "base"),
                f"no version {crosswalk.base!r} of {definition.key} is stored to compare with",
            )
        ]
    if base_row is None or base_row.kind != ScaleKind.FIDELITY:
        return []
    if base_row.status == ScaleStatus.DRAFT:
        return [
            (
                ("crosswalk", "base"),
                f"{base_row.version} is a draft itself; a crosswalk is over a published version",
            )
        ]
    base = scale_service.definition_of(base_row)
    marked = set(crosswalk.comparable) if crosswalk is not None else set()
    positions = {item.key: index for index, item in enumerate(definition.items)}
    for change in compare(base, definition).items:
        if change.state in ("added", "removed") or not change.meaning_changed:
            continue
        if change.key not in marked:
            problems.append(
                (
                    ("items", positions[change.key], "key"),
                    f"item {change.key!r} reads or scores differently than in "
                    f"{base_row.version}: mark it comparable in the crosswalk if it still "
                    "measures the same, or give it a new key",
                )
            )
    return problems + _reused_keys(session, definition, base, positions)


def _reused_keys(
    session: Session, definition: ScaleDefinition, base: ScaleDefinition, positions: dict[str, int]
) -> list[tuple[Loc, str]]:
    """Items the base does not have whose key an earlier version gave another meaning (a
    key removed in one version and brought back in a later one, or a base chosen past the
    version that had it): a key is never reused with a new meaning."""
    problems: list[tuple[Loc, str]] = []
    seen = {item.key for item in base.items}
    for row in scale_service.list_scale_versions(session, kind=ScaleKind.FIDELITY):
        if (
            row.scale_key != definition.key
            or row.status == ScaleStatus.DRAFT
            or row.version in (definition.version, base.version)
        ):
            continue
        for change in compare(scale_service.definition_of(row), definition).items:
            if change.state == "changed" and change.meaning_changed and change.key not in seen:
                seen.add(change.key)
                problems.append(
                    (
                        ("items", positions[change.key], "key"),
                        f"the key {change.key!r} meant something else in {row.version}: "
                        "a key is never reused with a new meaning; give the item a new key",
                    )
                )
    return problems


def based_on(session: Session, row: ScaleVersion) -> ScaleVersion | None:
    """The version a draft was started from, if any."""
    return session.get(ScaleVersion, row.based_on_id) if row.based_on_id else None


def crosswalk_bases(session: Session, row: ScaleVersion) -> list[str]:
    """The versions a draft's crosswalk may be over: the scale's other versions that are
    published or retired (a draft is not a base)."""
    return [
        other.version
        for other in scale_service.list_scale_versions(session, kind=ScaleKind.FIDELITY)
        if other.scale_key == row.scale_key
        and other.version != row.version
        and other.status != ScaleStatus.DRAFT
    ]


def _base_of(session: Session, definition: AnyDefinition) -> ScaleVersion | None:
    """The version a definition is measured against: its crosswalk's base, or else the
    newest published version of the same scale."""
    crosswalk = getattr(definition, "crosswalk", None)
    if isinstance(crosswalk, Crosswalk):
        found = scale_service.find_scale_version(
            session, key=definition.key, version=crosswalk.base
        )
        return found if found is not None and found.version != definition.version else None
    kind = _kind_of(definition)
    for row in scale_service.list_scale_versions(session, published_only=True, kind=kind):
        if row.scale_key == definition.key and row.version != definition.version:
            return row
    return None


def _new_version(session: Session, *, key: str, version: str) -> None:
    if not re.fullmatch(VERSION_PATTERN, version):
        raise Invalid.of("err_version_format", version=version)
    if scale_service.find_scale_version(session, key=key, version=version) is not None:
        raise Conflict.of("err_version_taken", scale=key, version=version)


def _kind_of(definition: AnyDefinition) -> ScaleKind:
    if isinstance(definition, ImplementationDefinition):
        return ScaleKind.IMPLEMENTATION
    return ScaleKind.FIDELITY


def _stored_definition(row: ScaleVersion) -> AnyDefinition:
    if row.kind == ScaleKind.IMPLEMENTATION:
        return scale_service.instrument_of(row)
    return scale_service.definition_of(row)


def definition_of(row: ScaleVersion) -> AnyDefinition:
    """A stored version's definition, scale or instrument."""
    return _stored_definition(row)


def file_text(row: ScaleVersion) -> str:
    """A stored version as its scale file. Writing one takes a tenth of a second, so the
    text is kept by the version's fingerprint: the same fingerprint is the same content."""
    text = _FILES.get(row.sha256)
    if text is None:
        if len(_FILES) >= 16:
            _FILES.clear()
        text = _FILES[row.sha256] = definition_yaml(_stored_definition(row))
    return text


_FILES: dict[str, str] = {}


def _add_draft(
    session: Session,
    *,
    principal: Principal,
    definition: AnyDefinition,
    based_on: ScaleVersion | None,
) -> ScaleVersion:
    row = ScaleVersion(
        scale_key=definition.key,
        version=definition.version,
        kind=_kind_of(definition),
        status=ScaleStatus.DRAFT,
        approval=Approval.EDITING,
        revision=1,
        title_da=definition.title.da,
        title_en=definition.title.en,
        item_count=len(definition.items),
        definition=definition.model_dump(mode="json"),
        sha256=fingerprint(definition),
        based_on_id=based_on.id if based_on is not None else None,
        created_by_id=principal.user_id,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # someone registered the same version a moment before
        raise Conflict.of(
            "err_version_taken", scale=definition.key, version=definition.version
        ) from None
    audit.record(
        session,
        action="scale_version.drafted",
        by=principal,
        entity_type="scale_version",
        entity_id=row.id,
        after={
            "key": row.scale_key,
            "version": row.version,
            "sha256": row.sha256,
            "based_on": based_on.version if based_on is not None else None,
        },
    )
    return row


def _store(
    session: Session,
    *,
    principal: Principal,
    row: ScaleVersion,
    definition: AnyDefinition,
    how: str,
) -> ScaleVersion:
    sha = fingerprint(definition)
    before = {"sha256": row.sha256, "revision": row.revision}
    row.definition = definition.model_dump(mode="json")
    row.sha256, row.item_count = sha, len(definition.items)
    row.title_da, row.title_en = definition.title.da, definition.title.en
    row.revision += 1
    session.add(row)
    session.flush()
    audit.record(
        session,
        action=f"scale_version.{how}",
        by=principal,
        entity_type="scale_version",
        entity_id=row.id,
        before=before,
        after={"sha256": row.sha256, "revision": row.revision},
    )
    return row


# The way to publication.


def send_for_approval(
    session: Session, *, principal: Principal, row: ScaleVersion, revision: int, note: str = ""
) -> ScaleVersion:
    _require_drafter(principal)
    _lock(session, row)
    ensure_editable(row)
    _current(session, row, revision)
    _still_stands(session, row)
    return _step(session, principal, row, Decision.SENT, Approval.AWAITING, note)


def _still_stands(session: Session, row: ScaleVersion) -> None:
    """Refuse to send a draft that no longer stands beside the versions before it (one
    published since it was last saved may have given a key another meaning)."""
    problems = workshop_problems(session, definition_of(row))
    if problems:
        raise Conflict.of(
            "err_draft_no_longer_stands",
            scale=row.scale_key,
            version=row.version,
            problems="; ".join(message for _, message in problems),
        )


def withdraw(session: Session, *, principal: Principal, row: ScaleVersion) -> ScaleVersion:
    """The panel takes a draft back from approval to go on working on it."""
    _require_drafter(principal)
    _lock(session, row)
    _draft_awaiting(row, Approval.AWAITING, Approval.APPROVED)
    row.approved_by_id, row.approved_at = None, None  # an approval is of what was sent
    return _step(session, principal, row, Decision.WITHDRAWN, Approval.EDITING, "")


def approve(
    session: Session, *, principal: Principal, row: ScaleVersion, revision: int, note: str = ""
) -> ScaleVersion:
    """Approve the draft as sent: by someone other than the one who sent it (four eyes)."""
    _require_drafter(principal)
    _lock(session, row)
    _draft_awaiting(row, Approval.AWAITING)
    _current(session, row, revision)
    if sent_by(session, row) == principal.user_id:
        raise Forbidden.of("err_approve_own")
    row.approved_by_id, row.approved_at = principal.user_id, utcnow()
    return _step(session, principal, row, Decision.APPROVED, Approval.APPROVED, note)


def request_changes(
    session: Session, *, principal: Principal, row: ScaleVersion, note: str
) -> ScaleVersion:
    """Send the draft back to the panel, saying what should change."""
    _require_drafter(principal)
    _lock(session, row)
    _draft_awaiting(row, Approval.AWAITING, Approval.APPROVED)
    note = note.strip()
    if not note:
        raise Invalid.of("err_changes_need_reason")
    row.approved_by_id, row.approved_at = None, None
    return _step(session, principal, row, Decision.CHANGES_REQUESTED, Approval.EDITING, note)


def publish(
    session: Session, *, principal: Principal, row: ScaleVersion, revision: int
) -> ScaleVersion:
    """Publish an approved draft, as it stood when the administrator's page was loaded
    (``revision``): from now on it never changes and is offered for new reviews (a
    fidelity scale) or rounds (an instrument)."""
    if not may_publish(principal):
        raise Forbidden.of("err_publish_forbidden")
    _lock(session, row)
    if row.status != ScaleStatus.DRAFT:
        raise Conflict.of("err_version_immutable", scale=row.scale_key, version=row.version)
    if row.approval != Approval.APPROVED:
        raise Conflict.of("err_publish_unapproved", scale=row.scale_key, version=row.version)
    _current(session, row, revision)
    row.status, row.published_at, row.published_by_id = (
        ScaleStatus.PUBLISHED,
        utcnow(),
        principal.user_id,
    )
    _decision(session, principal, row, Decision.PUBLISHED, "")
    session.flush()
    audit.record(
        session,
        action="scale_version.published",
        by=principal,
        entity_type="scale_version",
        entity_id=row.id,
        before={"status": ScaleStatus.DRAFT},
        after={
            "status": row.status,
            "sha256": row.sha256,
            "approved_by_id": row.approved_by_id,
        },
    )
    return row


def retire(session: Session, *, principal: Principal, row: ScaleVersion) -> ScaleVersion:
    if not may_publish(principal):
        raise Forbidden.of("err_publish_forbidden")
    _lock(session, row)
    if row.status != ScaleStatus.PUBLISHED:
        raise Conflict.of("err_retire_unpublished", scale=row.scale_key, version=row.version)
    scale_service.retire_scale(
        session,
        key=row.scale_key,
        version=row.version,
        channel=principal.channel,
        actor_id=principal.user_id,
    )
    _decision(session, principal, row, Decision.RETIRED, "")
    return row


def sent_by(session: Session, row: ScaleVersion) -> int | None:
    """Who last sent the draft for approval."""
    return session.exec(
        select(ScaleDecision.user_id)
        .where(ScaleDecision.scale_version_id == row.id, ScaleDecision.decision == Decision.SENT)
        .order_by(col(ScaleDecision.id).desc())
        .limit(1)
    ).first()


def _draft_awaiting(row: ScaleVersion, *states: Approval) -> None:
    if row.status != ScaleStatus.DRAFT:
        raise Conflict.of("err_version_immutable", scale=row.scale_key, version=row.version)
    if row.approval not in states:
        raise Conflict.of("err_not_awaiting", scale=row.scale_key, version=row.version)


def _step(
    session: Session,
    principal: Principal,
    row: ScaleVersion,
    decision: Decision,
    approval: Approval,
    note: str,
) -> ScaleVersion:
    before = row.approval
    row.approval = approval
    session.add(row)
    _decision(session, principal, row, decision, note)
    session.flush()
    audit.record(
        session,
        action=f"scale_version.{decision.value}",
        by=principal,
        entity_type="scale_version",
        entity_id=row.id,
        before={"approval": before},
        after={"approval": row.approval, "revision": row.revision, "note": note or None},
    )
    return row


def _decision(
    session: Session, principal: Principal, row: ScaleVersion, decision: Decision, note: str
) -> None:
    if len(note) > MAX_COMMENT:
        raise Invalid.of("err_comment_too_long", limit=MAX_COMMENT)
    assert row.id is not None
    session.add(
        ScaleDecision(
            scale_version_id=row.id,
            decision=decision,
            revision=row.revision,
            user_id=principal.user_id,
            note=note.strip(),
        )
    )


@dataclass(frozen=True)
class Step:
    decision: str
    revision: int
    who: str
    note: str
    at: datetime


def history(session: Session, row: ScaleVersion) -> list[Step]:
    """The draft's steps, oldest first."""
    rows = session.exec(
        select(ScaleDecision, User.display_name)
        .join(User, col(User.id) == col(ScaleDecision.user_id), isouter=True)
        .where(ScaleDecision.scale_version_id == row.id)
        .order_by(col(ScaleDecision.id))
    ).all()
    return [
        Step(step.decision, step.revision, name or "(system)", step.note, step.at)
        for step, name in rows
    ]


# Comments, item by item, in threads.


@dataclass
class Comment:
    id: int
    author: str
    body: str
    at: datetime


@dataclass
class Thread:
    """A comment and the answers to it; open until someone resolves it."""

    id: int
    item_key: str | None
    comments: list[Comment] = field(default_factory=list)
    resolved_by: str | None = None
    resolved_at: datetime | None = None

    @property
    def open(self) -> bool:
        return self.resolved_at is None


def add_comment(
    session: Session,
    *,
    principal: Principal,
    row: ScaleVersion,
    body: str,
    item_key: str | None = None,
    thread_id: int | None = None,
) -> ScaleComment:
    """A new thread on an item (or the version as a whole), or an answer in a thread
    (which opens it again if it was resolved)."""
    _require_drafter(principal)
    body = body.strip()
    if not body:
        raise Invalid.of("err_comment_empty")
    if len(body) > MAX_COMMENT:
        raise Invalid.of("err_comment_too_long", limit=MAX_COMMENT)
    assert row.id is not None
    parent = None
    if thread_id is not None:
        parent = _thread(session, row, thread_id)
        item_key = parent.item_key
        parent.resolved_at, parent.resolved_by_id = None, None
        session.add(parent)
    elif item_key is not None and item_key not in _item_keys(row):
        raise Invalid.of("err_comment_no_item", item=item_key)
    comment = ScaleComment(
        scale_version_id=row.id,
        item_key=item_key,
        parent_id=parent.id if parent is not None else None,
        author_id=principal.user_id,
        body=body,
    )
    session.add(comment)
    session.flush()
    audit.record(
        session,
        action="scale_comment.added",
        by=principal,
        entity_type="scale_comment",
        entity_id=comment.id,
        after={"scale_version_id": row.id, "item_key": item_key, "thread": thread_id},
    )
    return comment


def resolve(
    session: Session, *, principal: Principal, row: ScaleVersion, thread_id: int, resolved: bool
) -> ScaleComment:
    """Mark a thread resolved, or open it again."""
    _require_drafter(principal)
    thread = _thread(session, row, thread_id)
    before = thread.resolved_at is not None
    if resolved:
        thread.resolved_at, thread.resolved_by_id = utcnow(), principal.user_id
    else:
        thread.resolved_at, thread.resolved_by_id = None, None
    session.add(thread)
    session.flush()
    audit.record(
        session,
        action="scale_comment.resolved" if resolved else "scale_comment.reopened",
        by=principal,
        entity_type="scale_comment",
        entity_id=thread.id,
        before={"resolved": before},
        after={"resolved": resolved},
    )
    return thread


def threads(session: Session, row: ScaleVersion) -> list[Thread]:
    """Every thread on the version, in the order they were opened."""
    names = dict(
        session.exec(
            select(User.id, User.display_name).where(
                col(User.id).in_(
                    select(ScaleComment.author_id).where(ScaleComment.scale_version_id == row.id)
                )
                | col(User.id).in_(
                    select(ScaleComment.resolved_by_id).where(
                        ScaleComment.scale_version_id == row.id
                    )
                )
            )
        ).all()
    )
    found: dict[int, Thread] = {}
    comments = session.exec(
        select(ScaleComment)
        .where(ScaleComment.scale_version_id == row.id)
        .order_by(col(ScaleComment.id))
    ).all()
    for comment in comments:
        assert comment.id is not None
        said = Comment(
            comment.id, names.get(comment.author_id or 0, "?"), comment.body, comment.created_at
        )
        if comment.parent_id is None:
            found[comment.id] = Thread(
                comment.id,
                comment.item_key,
                [said],
                resolved_by=names.get(comment.resolved_by_id or 0),
                resolved_at=comment.resolved_at,
            )
        elif comment.parent_id in found:
            found[comment.parent_id].comments.append(said)
    return list(found.values())


def _thread(session: Session, row: ScaleVersion, thread_id: int) -> ScaleComment:
    thread = session.get(ScaleComment, thread_id)
    if thread is None or thread.scale_version_id != row.id or thread.parent_id is not None:
        raise NotFound.of("err_no_thread", id=thread_id)
    return thread


def _item_keys(row: ScaleVersion) -> set[str]:
    """The keys of a version's items (a scale's items, an instrument's points)."""
    return {item.key for item in definition_of(row).items}
