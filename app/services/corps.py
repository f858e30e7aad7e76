"""The ambassador corps' work region by region: collaboration agreements between
municipalities and regional psychiatry, and the activities a half-year report counts.

Ambassadors record for their own regions; administrators for any; analysts read every
region; nobody else sees this work. An agreement covers municipalities of one region,
with one psychiatry partner, from the day it was signed until it ended (open-ended
until then). Two agreements of one municipality with one partner may not be in force
on the same day: the second is refused, naming the first. Coverage against the
two-thirds goal counts the municipalities with an agreement in force on a day.

Forms arrive as text; each value is read and checked here, and every problem of a form
is named at once (``Invalid.all_of``, each part naming its field), nothing stored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from app.errors import Forbidden, Invalid, NotFound
from app.models import (
    ActivityKind,
    AgreementMunicipality,
    CollaborationAgreement,
    CorpsActivity,
    Municipality,
    Region,
    Role,
    folded,
    utcnow,
)
from app.services import audit, teams
from app.services.access import Principal

GOAL_SHARE = 2 / 3  # of the country's municipalities with an IPS agreement
COUNTS = ("consultants", "leaders", "psychiatry_staff", "attendees")
MAX_COUNT = 100_000
# Which counts a kind of activity records (sessions: supervision only).
KIND_COUNTS: dict[str, tuple[str, ...]] = {
    ActivityKind.COURSE: ("consultants", "leaders", "psychiatry_staff"),
    ActivityKind.SUPERVISION: ("attendees",),
    ActivityKind.NETWORK: ("attendees",),
    ActivityKind.MANAGEMENT_NETWORK: ("attendees",),
    ActivityKind.CONFERENCE: ("attendees",),
    ActivityKind.WEBINAR: ("attendees",),
    ActivityKind.MATERIAL: (),
}
Problems = list[tuple[str, dict[str, object]]]


def may_read(principal: Principal) -> bool:
    """Ambassadors, administrators and STAR's analysts read the corps' work."""
    return principal.role in (Role.ADMIN, Role.AMBASSADOR, Role.ANALYST)


def may_record(principal: Principal, region_code: int) -> bool:
    """An ambassador records in their own regions; an administrator in any."""
    return principal.role is Role.ADMIN or (
        principal.role is Role.AMBASSADOR and region_code in principal.regions
    )


def require_read(principal: Principal) -> None:
    if not may_read(principal):
        raise Forbidden.of("err_corps_forbidden")


def require_record(principal: Principal, region_code: int) -> None:
    require_read(principal)
    if not may_record(principal, region_code):
        raise Forbidden.of("err_corps_not_your_region")


def region(session: Session, *, principal: Principal, region_code: int) -> Region:
    """A region whose work ``principal`` may read."""
    require_read(principal)
    found = session.get(Region, region_code)
    if found is None:
        raise NotFound.of("err_corps_unknown_region", region=region_code)
    return found


def regions_of(session: Session, *, principal: Principal) -> list[Region]:
    """The regions ``principal`` reads, their own first for an ambassador."""
    require_read(principal)
    every = session.exec(select(Region).order_by(col(Region.code))).all()
    return sorted(every, key=lambda r: (r.code not in principal.regions, r.code))


def municipalities(session: Session, *, region_code: int) -> list[Municipality]:
    """A region's municipalities by name: what an agreement there may cover."""
    found = teams.all_municipalities(session)
    return next((places for r, places in found if r.code == region_code), [])


# Half years ---------------------------------------------------------------------------------

_HALF = re.compile(r"^(\d{4})H([12])$")


@dataclass(frozen=True)
class Half:
    """A half year: 2026H1 (January-June) or 2026H2 (July-December)."""

    year: int
    half: int

    @property
    def key(self) -> str:
        return f"{self.year}H{self.half}"

    @property
    def first_day(self) -> date:
        return date(self.year, 1 if self.half == 1 else 7, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, 6, 30) if self.half == 1 else date(self.year, 12, 31)

    def previous(self) -> Half:
        return Half(self.year, 1) if self.half == 2 else Half(self.year - 1, 2)

    @classmethod
    def of(cls, day: date) -> Half:
        return cls(day.year, 1 if day.month <= 6 else 2)

    @classmethod
    def choices(cls, today: date, *, chosen: Half | None = None) -> list[Half]:
        """The current half year and the five before it, for a chooser, with ``chosen``
        first when it is older than those."""
        halves = [cls.of(today)]
        while len(halves) < 6:
            halves.append(halves[-1].previous())
        return halves if chosen is None or chosen in halves else [chosen, *halves]

    @classmethod
    def parse(cls, text: str | None, *, today: date) -> Half:
        """The half year a query names (2026H2), the current one when none is named."""
        if not text:
            return cls.of(today)
        found = _HALF.match(text.strip())
        if found is None or not 2000 <= int(found.group(1)) <= today.year + 1:
            raise Invalid.of("err_half_year", given=text[:20])
        return cls(int(found.group(1)), int(found.group(2)))


# Reading a form -----------------------------------------------------------------------------


def _date(
    values: Mapping[str, str], name: str, problems: Problems, *, required: bool
) -> date | None:
    text = (values.get(name) or "").strip()
    if not text:
        if required:
            problems.append(("err_corps_date_missing", {"field": name}))
        return None
    try:
        found = date.fromisoformat(text)
    except ValueError:
        problems.append(("err_corps_date", {"field": name, "given": text[:20]}))
        return None
    if not 2000 <= found.year <= 2100:
        problems.append(("err_corps_date", {"field": name, "given": text[:20]}))
        return None
    return found


def _text(
    values: Mapping[str, str], name: str, limit: int, problems: Problems, *, required: bool
) -> str | None:
    text = " ".join((values.get(name) or "").split()) if name != "note" else (
        values.get(name) or "").strip()  # fmt: skip
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text):
        problems.append(("err_corps_control", {"field": name}))
        return None
    if not text:
        if required:
            problems.append(("err_corps_text_missing", {"field": name}))
        return None
    if len(text) > limit:
        problems.append(("err_corps_text_long", {"field": name, "limit": limit}))
        return None
    return text


def _count(values: Mapping[str, str], name: str, problems: Problems) -> int | None:
    text = (values.get(name) or "").strip()
    if not text:
        return None
    if not re.fullmatch(r"\d{1,6}", text) or int(text) > MAX_COUNT:
        problems.append(("err_corps_count", {"field": name, "given": text[:20]}))
        return None
    return int(text)


# Agreements ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgreementRow:
    agreement: CollaborationAgreement
    municipalities: list[Municipality]

    def in_force(self, day: date) -> bool:
        a = self.agreement
        return a.signed_on <= day and (a.ended_on is None or a.ended_on >= day)


def agreements(session: Session, *, principal: Principal, region_code: int) -> list[AgreementRow]:
    """A region's agreements, the newest first (a region has a few dozen at most)."""
    region(session, principal=principal, region_code=region_code)
    found = session.exec(
        select(CollaborationAgreement)
        .where(CollaborationAgreement.region_code == region_code)
        .order_by(col(CollaborationAgreement.signed_on).desc(), col(CollaborationAgreement.id))
    ).all()
    covered = _municipalities_of(session, [a.id or 0 for a in found])
    return [AgreementRow(a, covered.get(a.id or 0, [])) for a in found]


def _municipalities_of(session: Session, ids: Sequence[int]) -> dict[int, list[Municipality]]:
    covered: dict[int, list[Municipality]] = {}
    if not ids:
        return covered
    for agreement_id, municipality in session.exec(
        select(AgreementMunicipality.agreement_id, Municipality)
        .join(Municipality, col(Municipality.code) == AgreementMunicipality.municipality_code)
        .where(col(AgreementMunicipality.agreement_id).in_(ids))
        .order_by(Municipality.name)
    ).all():
        covered.setdefault(agreement_id, []).append(municipality)
    return covered


def agreement(session: Session, *, principal: Principal, agreement_id: int) -> AgreementRow:
    """One agreement whose region ``principal`` may read."""
    require_read(principal)
    found = session.get(CollaborationAgreement, agreement_id)
    if found is None:
        raise NotFound.of("err_corps_no_agreement", id=agreement_id)
    return AgreementRow(found, _municipalities_of(session, [agreement_id]).get(agreement_id, []))


def save_agreement(
    session: Session,
    *,
    principal: Principal,
    region_code: int,
    values: Mapping[str, str],
    municipalities: Sequence[int],
    today: date,
    agreement_id: int | None = None,
) -> CollaborationAgreement:
    """A new agreement in a region, or a change to one (ending it, say). Refused whole,
    with every problem named, when anything is wrong or it overlaps another agreement of
    one of its municipalities with the same partner."""
    require_record(principal, region_code)
    existing = None
    if agreement_id is not None:
        existing = agreement(session, principal=principal, agreement_id=agreement_id).agreement
        if existing.region_code != region_code:
            raise NotFound.of("err_corps_no_agreement", id=agreement_id)
    problems: Problems = []
    partner = _text(values, "partner", 200, problems, required=True)
    document = _text(values, "document", 300, problems, required=False)
    note = _text(values, "note", 2000, problems, required=False)
    signed_on = _date(values, "signed_on", problems, required=True)
    ended_on = _date(values, "ended_on", problems, required=False)
    if signed_on is not None and signed_on > today:
        problems.append(("err_corps_signed_future", {"field": "signed_on"}))
    if signed_on is not None and ended_on is not None and ended_on < signed_on:
        problems.append(
            (
                "err_corps_ends_before",
                {
                    "field": "ended_on",
                    "signed": signed_on.isoformat(),
                    "ended": ended_on.isoformat(),
                },
            )  # fmt: skip
        )
    codes = sorted(set(municipalities))
    places = session.exec(select(Municipality).where(col(Municipality.code).in_(codes))).all()
    if not codes:
        problems.append(("err_corps_no_municipality", {"field": "municipalities"}))
    elif len(places) != len(codes) or any(m.region_code != region_code for m in places):
        problems.append(("err_corps_municipality_region", {"field": "municipalities"}))
    if not problems and partner and signed_on:
        problems += _overlaps(session, codes, partner, signed_on, ended_on, agreement_id)
    if problems:
        raise Invalid.all_of(problems)
    assert partner is not None and signed_on is not None
    before = None if existing is None else _plain(session, existing)
    row = existing or CollaborationAgreement(
        region_code=region_code, partner=partner, signed_on=signed_on,
        created_by_id=principal.user_id,
    )  # fmt: skip
    row.partner, row.signed_on, row.ended_on = partner, signed_on, ended_on
    row.document, row.note = document, note
    row.updated_at, row.updated_by_id = utcnow(), principal.user_id
    if existing is not None:
        row.revision += 1
    session.add(row)
    session.flush()
    session.execute(
        sa.delete(AgreementMunicipality).where(col(AgreementMunicipality.agreement_id) == row.id)
    )
    for code in codes:
        session.add(AgreementMunicipality(agreement_id=row.id or 0, municipality_code=code))
    session.flush()
    audit.record(
        session,
        action="agreement.saved",
        by=principal,
        entity_type="agreement",
        entity_id=row.id,
        before=before,
        after=_plain(session, row),
    )
    return row


def _overlaps(
    session: Session,
    codes: list[int],
    partner: str,
    signed_on: date,
    ended_on: date | None,
    agreement_id: int | None,
) -> Problems:
    """An agreement of one of ``codes`` with the same partner in force on a shared day."""
    other = CollaborationAgreement
    statement = (
        select(other, Municipality.name)
        .join(AgreementMunicipality, col(AgreementMunicipality.agreement_id) == other.id)
        .join(Municipality, col(Municipality.code) == AgreementMunicipality.municipality_code)
        .where(
            col(AgreementMunicipality.municipality_code).in_(codes),
            folded(other.partner) == partner.lower(),
            sa.or_(col(other.ended_on).is_(None), col(other.ended_on) >= signed_on),
        )
        .order_by(Municipality.name)
    )
    if ended_on is not None:
        statement = statement.where(col(other.signed_on) <= ended_on)
    if agreement_id is not None:
        statement = statement.where(other.id != agreement_id)
    return [
        (
            "err_corps_overlap",
            {
                "field": "municipalities",
                "municipality": name,
                "signed": found.signed_on.isoformat(),
                "ended": found.ended_on.isoformat() if found.ended_on else "–",
            },
        )
        for found, name in session.exec(statement).all()
    ]


def delete_agreement(session: Session, *, principal: Principal, agreement_id: int) -> int:
    """Remove an agreement recorded by mistake; its region's code."""
    found = agreement(session, principal=principal, agreement_id=agreement_id).agreement
    require_record(principal, found.region_code)
    before = _plain(session, found)
    session.delete(found)
    session.flush()
    audit.record(
        session, action="agreement.deleted", by=principal, entity_type="agreement",
        entity_id=agreement_id, before=before,
    )  # fmt: skip
    return found.region_code


def _plain(session: Session, row: CollaborationAgreement) -> dict[str, object]:
    codes = session.exec(
        select(AgreementMunicipality.municipality_code).where(
            AgreementMunicipality.agreement_id == row.id
        )
    ).all()
    return {
        "partner": row.partner,
        "signed_on": row.signed_on.isoformat(),
        "ended_on": row.ended_on.isoformat() if row.ended_on else None,
        "document": row.document,
        "municipalities": sorted(codes),
    }


@dataclass(frozen=True)
class Coverage:
    on: date
    covered: int
    total: int

    @property
    def share(self) -> float:
        return self.covered / self.total if self.total else 0.0

    @property
    def goal(self) -> int:
        """The municipalities two thirds of ``total`` is (rounded up)."""
        return -(-self.total * 2 // 3)

    @property
    def met(self) -> bool:
        return self.covered >= self.goal


def coverage(session: Session, *, on: date, region_code: int | None = None) -> Coverage:
    """The municipalities (of a region, or the country) with an agreement in force on a day."""
    covered = (
        sa.select(func.count(sa.distinct(col(AgreementMunicipality.municipality_code))))
        .join(
            CollaborationAgreement,
            col(CollaborationAgreement.id) == AgreementMunicipality.agreement_id,
        )
        .where(
            col(CollaborationAgreement.signed_on) <= on,
            sa.or_(
                col(CollaborationAgreement.ended_on).is_(None),
                col(CollaborationAgreement.ended_on) >= on,
            ),
        )
    )
    total = sa.select(func.count()).select_from(Municipality)
    if region_code is not None:
        covered = covered.where(col(CollaborationAgreement.region_code) == region_code)
        total = total.where(col(Municipality.region_code) == region_code)
    connection = session.connection()
    return Coverage(on, int(connection.execute(covered).scalar_one()),
                    int(connection.execute(total).scalar_one()))  # fmt: skip


# Activities ---------------------------------------------------------------------------------


def activities(
    session: Session, *, principal: Principal, region_code: int, half: Half
) -> list[CorpsActivity]:
    """A region's activities in a half year, the latest first."""
    region(session, principal=principal, region_code=region_code)
    return list(
        session.exec(
            select(CorpsActivity)
            .where(
                CorpsActivity.region_code == region_code,
                col(CorpsActivity.held_on) >= half.first_day,
                col(CorpsActivity.held_on) <= half.last_day,
            )
            .order_by(col(CorpsActivity.held_on).desc(), col(CorpsActivity.id).desc())
        ).all()
    )


def activity(session: Session, *, principal: Principal, activity_id: int) -> CorpsActivity:
    require_read(principal)
    found = session.get(CorpsActivity, activity_id)
    if found is None:
        raise NotFound.of("err_corps_no_activity", id=activity_id)
    return found


def save_activity(
    session: Session,
    *,
    principal: Principal,
    region_code: int,
    values: Mapping[str, str],
    today: date,
    activity_id: int | None = None,
) -> CorpsActivity:
    """A new activity in a region, or a change to one; refused whole when anything is
    wrong (every problem named)."""
    require_record(principal, region_code)
    existing = None
    if activity_id is not None:
        existing = activity(session, principal=principal, activity_id=activity_id)
        if existing.region_code != region_code:
            raise NotFound.of("err_corps_no_activity", id=activity_id)
    problems: Problems = []
    kind = (values.get("kind") or "").strip()
    if kind not in KIND_COUNTS:
        problems.append(("err_corps_kind", {"field": "kind"}))
    title = _text(values, "title", 300, problems, required=True)
    note = _text(values, "note", 2000, problems, required=False)
    held_on = _date(values, "held_on", problems, required=True)
    if held_on is not None and held_on > today:
        problems.append(("err_corps_held_future", {"field": "held_on"}))
    counts = {name: _count(values, name, problems) for name in COUNTS}
    sessions = _count(values, "sessions", problems) if kind == ActivityKind.SUPERVISION else 1
    if sessions is not None and sessions < 1:
        problems.append(("err_corps_sessions", {"field": "sessions"}))
    wanted = KIND_COUNTS.get(kind, ())
    if kind == ActivityKind.COURSE and not any(counts[name] for name in wanted):
        problems.append(("err_corps_participants", {"field": "consultants"}))
    if problems:
        raise Invalid.all_of(problems)
    assert title is not None and held_on is not None
    before = None if existing is None else _activity_plain(existing)
    row = existing or CorpsActivity(
        region_code=region_code, kind=kind, held_on=held_on, title=title,
        created_by_id=principal.user_id,
    )  # fmt: skip
    row.kind, row.held_on, row.title, row.note = kind, held_on, title, note
    for name in COUNTS:  # a count the kind does not record is not kept
        setattr(row, name, counts[name] if name in wanted else None)
    row.sessions = sessions or 1
    row.updated_at, row.updated_by_id = utcnow(), principal.user_id
    session.add(row)
    session.flush()
    audit.record(
        session,
        action="activity.saved",
        by=principal,
        entity_type="activity",
        entity_id=row.id,
        before=before,
        after=_activity_plain(row),
    )
    return row


def delete_activity(session: Session, *, principal: Principal, activity_id: int) -> int:
    """Remove an activity recorded by mistake; its region's code."""
    found = activity(session, principal=principal, activity_id=activity_id)
    require_record(principal, found.region_code)
    before = _activity_plain(found)
    session.delete(found)
    session.flush()
    audit.record(
        session, action="activity.deleted", by=principal, entity_type="activity",
        entity_id=activity_id, before=before,
    )  # fmt: skip
    return found.region_code


def _activity_plain(row: CorpsActivity) -> dict[str, object]:
    return {
        "kind": row.kind,
        "held_on": row.held_on.isoformat(),
        "title": row.title,
        **{name: getattr(row, name) for name in COUNTS},
        "sessions": row.sessions,
    }
