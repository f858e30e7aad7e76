"""Scale versions in the database: registering a file, publishing it, reading it back.

A published version is never edited. Publishing the same content again is a no-op;
publishing different content under a published version's key and version is refused,
because reviews already made with it must keep meaning what they meant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from app.errors import Conflict, NotFound
from app.models import (
    Approval,
    Channel,
    MeasurementRound,
    Review,
    ReviewStatus,
    Role,
    ScaleDecision,
    ScaleKind,
    ScaleStatus,
    ScaleVersion,
    utcnow,
)
from app.scales.implementation import ImplementationDefinition
from app.scales.loader import AnyDefinition, fingerprint
from app.scales.schema import ScaleDefinition
from app.services import audit
from app.services.access import Principal

Outcome = Literal["published", "drafted", "unchanged"]


@dataclass(frozen=True)
class RegisterResult:
    scale_version: ScaleVersion
    outcome: Outcome


def register_scale(
    session: Session,
    *,
    scale: AnyDefinition,
    status: Literal["draft", "published"] = "published",
    channel: Channel,
    actor_id: int | None = None,
) -> RegisterResult:
    """Store ``scale`` as a draft or publish it; refuse to change a published version."""
    sha = fingerprint(scale)
    kind = _kind_of(scale)
    existing = find_scale_version(session, key=scale.key, version=scale.version)
    if existing is not None and existing.kind != kind:
        raise Conflict(
            f"{scale.key} {scale.version} is registered as a {existing.kind} "
            f"{'scale' if existing.kind == ScaleKind.FIDELITY else 'instrument'}; "
            f"a {kind} file cannot take its key and version"
        )
    if existing is None:
        row = ScaleVersion(
            scale_key=scale.key,
            version=scale.version,
            kind=kind,
            status=ScaleStatus.DRAFT,
            title_da=scale.title.da,
            title_en=scale.title.en,
            item_count=len(scale.items),
            definition=scale.model_dump(mode="json"),
            sha256=sha,
        )
        session.add(row)
        before = None
    elif existing.status != ScaleStatus.DRAFT:
        if existing.sha256 != sha:
            raise Conflict(
                f"{scale.key} {scale.version} is already {existing.status} with different "
                f"content (stored {existing.sha256[:12]}, file {sha[:12]}). A published "
                "version is never edited: save the change as a new version, e.g. "
                f"scales/{scale.key}/<new version>.yaml, and publish that."
            )
        if status == "draft" or existing.status == ScaleStatus.PUBLISHED:
            return RegisterResult(existing, "unchanged")
        raise Conflict(f"{scale.key} {scale.version} is retired and cannot be published again")
    else:
        row, before = existing, {"status": existing.status, "sha256": existing.sha256}
        if row.sha256 == sha and status == "draft":
            return RegisterResult(row, "unchanged")
        _refuse_around_the_workshop(
            session, row, publish=status == "published", same=row.sha256 == sha
        )
        if row.sha256 != sha:
            row.revision += 1  # an open form made on the old content is now a conflict
        row.definition = scale.model_dump(mode="json")
        row.sha256, row.item_count = sha, len(scale.items)
        row.title_da, row.title_en = scale.title.da, scale.title.en
    if status == "published":
        # The operator's own publication from a file is its approval.
        row.status, row.published_at = ScaleStatus.PUBLISHED, utcnow()
        row.approval, row.approved_at = Approval.APPROVED, row.published_at
    session.flush()
    audit.record(
        session,
        action=f"scale_version.{'published' if status == 'published' else 'drafted'}",
        channel=channel,
        actor_id=actor_id,
        entity_type="scale_version",
        entity_id=row.id,
        before=before,
        after={
            "key": row.scale_key,
            "version": row.version,
            "status": row.status,
            "sha256": row.sha256,
        },
    )
    return RegisterResult(row, "published" if status == "published" else "drafted")


def _refuse_around_the_workshop(
    session: Session, row: ScaleVersion, *, publish: bool, same: bool
) -> None:
    """A draft the workshop has taken up (made, changed, sent or decided on there) is the
    panel's: a file may replace it only while the panel is editing it, and the command
    line publishes it only as approved there, with the content approved."""
    decided = session.exec(
        select(ScaleDecision.id).where(ScaleDecision.scale_version_id == row.id).limit(1)
    ).first()
    in_workshop = (
        row.created_by_id is not None
        or row.revision > 1
        or row.approval != Approval.EDITING
        or decided is not None
    )
    if not in_workshop:
        return
    if publish and (row.approval != Approval.APPROVED or not same):
        raise Conflict(
            f"{row.scale_key} {row.version} is a draft in the workshop: it is published there, "
            "by an administrator, once approved, and with the content approved"
        )
    if not publish and row.approval != Approval.EDITING:
        raise Conflict(
            f"{row.scale_key} {row.version} is {row.approval} in the workshop and cannot be "
            "replaced now; withdraw it there first"
        )


def retire_scale(
    session: Session, *, key: str, version: str, channel: Channel, actor_id: int | None = None
) -> ScaleVersion:
    """Stop offering a published version for new reviews; old reviews keep it."""
    row = get_scale_version(session, key=key, version=version)
    if row.status != ScaleStatus.PUBLISHED:
        raise Conflict(f"{key} {version} is {row.status}; only a published version can retire")
    row.status, row.retired_at = ScaleStatus.RETIRED, utcnow()
    audit.record(
        session,
        action="scale_version.retired",
        channel=channel,
        actor_id=actor_id,
        entity_type="scale_version",
        entity_id=row.id,
        before={"status": ScaleStatus.PUBLISHED},
        after={"status": row.status},
    )
    return row


def _kind_of(scale: AnyDefinition) -> ScaleKind:
    if isinstance(scale, ImplementationDefinition):
        return ScaleKind.IMPLEMENTATION
    return ScaleKind.FIDELITY


def find_scale_version(session: Session, *, key: str, version: str) -> ScaleVersion | None:
    """The stored version ``key`` ``version``, whatever its status, or None."""
    statement = select(ScaleVersion).where(
        ScaleVersion.scale_key == key, ScaleVersion.version == version
    )
    return session.exec(statement).first()


def get_scale_version(
    session: Session,
    *,
    key: str,
    version: str,
    visible_only: bool = False,
    kind: ScaleKind | None = None,
) -> ScaleVersion:
    """The stored version, or NotFound. ``visible_only`` hides drafts, which are not yet
    anyone's business but their authors'; retired versions stay readable for old reviews.
    ``kind`` asks for a fidelity scale or an implementation instrument only."""
    row = find_scale_version(session, key=key, version=version)
    if (
        row is None
        or (visible_only and row.status == ScaleStatus.DRAFT)
        or (kind is not None and row.kind != kind)
    ):
        raise NotFound(f"no scale version {key} {version} is registered")
    return row


def list_scale_versions(
    session: Session, *, published_only: bool = False, kind: ScaleKind | None = ScaleKind.FIDELITY
) -> list[ScaleVersion]:
    """Stored versions of ``kind`` (fidelity scales unless asked; None for every kind), by
    key and then newest version first."""
    statement = select(ScaleVersion)
    if kind is not None:
        statement = statement.where(ScaleVersion.kind == kind)
    if published_only:
        statement = statement.where(ScaleVersion.status == ScaleStatus.PUBLISHED)
    rows = session.exec(statement).all()
    return sorted(rows, key=lambda row: (row.scale_key, _version_sort_key(row.version)))


@dataclass(frozen=True)
class VersionUse:
    """A stored version as the list of versions shows it: the row (its definition not
    read) and how many reviews (a fidelity scale) or measurements (an instrument) were
    made with it."""

    id: int
    scale_key: str
    version: str
    kind: str
    status: str
    title_da: str
    title_en: str
    item_count: int
    created_at: Any
    published_at: Any
    retired_at: Any
    approval: str
    based_on_id: int | None
    uses: int


def may_see_drafts(principal: Principal) -> bool:
    """Drafts are their authors' business: the expert panel and the administrators, who
    make them, and the ambassadors, who carry the measurement out and read them; nobody
    else learns of them."""
    return principal.role in (Role.ADMIN, Role.AMBASSADOR, Role.PANEL_MEMBER)


def readable_version(
    session: Session,
    *,
    principal: Principal,
    key: str,
    version: str,
    kind: ScaleKind | None = None,
) -> ScaleVersion:
    """The stored version if ``principal`` may read it (a draft only if they may see
    drafts); NotFound otherwise, for a draft as for a version that does not exist."""
    drafts = may_see_drafts(principal)
    return get_scale_version(session, key=key, version=version, visible_only=not drafts, kind=kind)


def may_see_uses(principal: Principal) -> bool:
    """How many finalised reviews and confirmed measurements a version has is a national
    figure: for those with a national view (and the panel developing the scales), not for
    a team's own people."""
    return principal.role in (Role.ADMIN, Role.AMBASSADOR, Role.ANALYST, Role.PANEL_MEMBER)


_VERSION_COLUMNS = (
    col(ScaleVersion.id),
    col(ScaleVersion.scale_key),
    col(ScaleVersion.version),
    col(ScaleVersion.kind),
    col(ScaleVersion.status),
    col(ScaleVersion.title_da),
    col(ScaleVersion.title_en),
    col(ScaleVersion.item_count),
    col(ScaleVersion.created_at),
    col(ScaleVersion.published_at),
    col(ScaleVersion.retired_at),
    col(ScaleVersion.approval),
    col(ScaleVersion.based_on_id),
)


def version_uses(
    session: Session, *, principal: Principal, kind: ScaleKind | None = None, counted: bool = True
) -> list[VersionUse]:
    """Every version (of ``kind``, or of every kind) ``principal`` may see (drafts only for
    those who may), by kind, key and then newest version first, their definitions not
    read. With ``counted``, and for those who may see them, each with its finalised
    reviews or confirmed measurements (else 0)."""
    statement = sa.select(*_VERSION_COLUMNS)
    if kind is not None:
        statement = statement.where(col(ScaleVersion.kind) == kind)
    if not may_see_drafts(principal):
        statement = statement.where(col(ScaleVersion.status) != ScaleStatus.DRAFT)
    counts = _uses(session) if counted and may_see_uses(principal) else {}
    found = [
        VersionUse(**row, uses=counts.get(row["id"], 0))
        for row in session.execute(statement).mappings()
    ]
    return sorted(
        found,
        key=lambda use: (
            use.kind != ScaleKind.FIDELITY,
            use.scale_key,
            _version_sort_key(use.version),
        ),
    )


def changes_from(uses: list[VersionUse]) -> dict[int, VersionUse]:
    """For each listed version, the listed one its changes are told against: the version
    it was started from, else the one of its scale published last before it (for a
    draft, the newest published or retired one)."""
    by_id = {use.id: use for use in uses}
    found: dict[int, VersionUse] = {}
    for use in uses:
        base = by_id.get(use.based_on_id) if use.based_on_id is not None else None
        if base is None:
            earlier = [
                other
                for other in uses
                if other.scale_key == use.scale_key
                and other.kind == use.kind
                and other.id != use.id
                and other.published_at is not None
                and (use.published_at is None or other.published_at < use.published_at)
            ]
            base = max(earlier, key=lambda other: other.published_at, default=None)
        if base is not None:
            found[use.id] = base
    return found


def _uses(session: Session) -> dict[int, int]:
    """Finalised reviews per scale version and confirmed rounds per instrument version.
    Each is all of them (a covering index) less those still under way (a partial index of
    the few): a count by version that reads few table rows, whatever the history."""
    review = col(Review.scale_version_id)
    instrument = col(MeasurementRound.instrument_id)
    all_reviews = session.exec(select(review, func.count()).group_by(review)).all()
    open_reviews = session.exec(
        select(review, func.count())
        .where(col(Review.status) != ReviewStatus.FINALISED)
        .group_by(review)
    ).all()
    all_rounds = session.exec(select(instrument, func.count()).group_by(instrument)).all()
    unconfirmed = session.exec(
        select(instrument, func.count())
        .where(col(MeasurementRound.assessed_at).is_(None))
        .group_by(instrument)
    ).all()
    counts: dict[int, int] = {}
    for rows, sign in ((all_reviews, 1), (open_reviews, -1), (all_rounds, 1), (unconfirmed, -1)):
        for version_id, count in rows:
            counts[version_id] = counts.get(version_id, 0) + sign * int(count)
    return counts


def definition_of(row: ScaleVersion) -> ScaleDefinition:
    """The stored definition, parsed by the one scale model.

    The cross-field rules ran when the version was registered; they are not applied
    again, so a rule added later never locks anyone out of an older version.

    Parsed definitions are kept by their fingerprint: the same fingerprint always means
    the same content, and the model is frozen, so every request can share one. Parsing
    the IPS-25 anew took about 1.5 ms, a tenth of a rating save.
    """
    if row.kind != ScaleKind.FIDELITY:
        raise NotFound(f"{row.scale_key} {row.version} is not a fidelity scale")
    cached = _PARSED.get(row.sha256)
    if cached is None:
        cached = ScaleDefinition.model_validate(row.definition, context={"stored": True})
        if len(_PARSED) >= _PARSED_LIMIT:
            _PARSED.clear()
        _PARSED[row.sha256] = cached
    assert isinstance(cached, ScaleDefinition)
    return cached


def instrument_of(row: ScaleVersion) -> ImplementationDefinition:
    """A stored implementation-status instrument, parsed (and kept) like a scale."""
    if row.kind != ScaleKind.IMPLEMENTATION:
        raise NotFound(f"{row.scale_key} {row.version} is not an implementation instrument")
    return stored_instrument(sha256=row.sha256, definition=row.definition)


def stored_instrument(*, sha256: str, definition: dict[str, Any]) -> ImplementationDefinition:
    """A stored instrument's definition parsed (kept by its fingerprint, as scales are)."""
    cached = _PARSED.get(sha256)
    if cached is None:
        cached = ImplementationDefinition.model_validate(definition, context={"stored": True})
        if len(_PARSED) >= _PARSED_LIMIT:
            _PARSED.clear()
        _PARSED[sha256] = cached
    assert isinstance(cached, ImplementationDefinition)
    return cached


def latest_instrument(session: Session) -> ScaleVersion | None:
    """The newest published implementation-status instrument, offered for new rounds."""
    rows = list_scale_versions(session, published_only=True, kind=ScaleKind.IMPLEMENTATION)
    return rows[0] if rows else None


def definition_for(session: Session, *, scale_version_id: int) -> ScaleDefinition:
    """The definition of a stored version by its id, read from the database only when it
    is not already parsed (the fingerprint is a small read; the definition is not)."""
    sha = session.exec(select(ScaleVersion.sha256).where(ScaleVersion.id == scale_version_id)).one()
    return definition_with(session, scale_version_id=scale_version_id, sha256=sha)


def definition_with(session: Session, *, scale_version_id: int, sha256: str) -> ScaleDefinition:
    """The definition of a stored version whose fingerprint the caller has already read."""
    cached = _PARSED.get(sha256)
    if isinstance(cached, ScaleDefinition):
        return cached
    row = session.get(ScaleVersion, scale_version_id)
    assert row is not None
    return definition_of(row)


_PARSED: dict[str, AnyDefinition] = {}
_PARSED_LIMIT = 64  # versions in use at once are a handful; the limit only bounds memory


def _version_sort_key(version: str) -> tuple[int, tuple[int, ...], str]:
    """Numeric versions newest first ("2024" before "2019"), others after, by name."""
    parts = version.split(".")
    if all(part.isdigit() for part in parts):
        return (0, tuple(-int(part) for part in parts), "")
    return (1, (), version)
