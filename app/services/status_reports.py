"""The corps' half-yearly status report to STAR, per region and for the country.

A report is worked out from the database for a region (or the country) and a half year:
the agreements in force and new, the municipalities covered against two thirds, the
measurements carried out and due, the courses and their participants, supervision,
networks, events and materials, and the period's outcome and fidelity figures. Its
content is plain JSON, so what a page, a PDF and a workbook show is one dictionary.

A region's ambassador marks the report sent: the content is then stored as it stands,
an edition that nothing changes (triggers refuse it). Sending again later stores a new
edition beside the old. STAR's analysts read every region's sent reports, and the
national roll-up sums each region's latest edition.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from app.errors import Invalid, NotFound
from app.models import (
    FINALISED,
    AgreementMunicipality,
    CollaborationAgreement,
    CorpsActivity,
    MeasurementRound,
    Municipality,
    Region,
    Review,
    ScaleVersion,
    StatusReport,
    Team,
    User,
)
from app.services import audit, corps, outcome_figures
from app.services.access import Principal
from app.services.corps import Half
from app.services.national_filters import Filters, team_conditions

KINDS = ("course", "supervision", "network", "management_network", "conference", "webinar",
         "material")  # fmt: skip
COUNTED = ("consultants", "leaders", "psychiatry_staff", "attendees", "sessions")
DUE_AFTER_DAYS = 365  # a team whose latest review is older than a year is due


def compute(
    session: Session, *, principal: Principal, region_code: int | None, half: Half, today: date
) -> dict[str, Any]:
    """The report's content, worked out now."""
    corps.require_read(principal)
    if half.first_day > today:
        raise Invalid.of("err_report_future_half", half=half.key)
    region = None
    if region_code is not None:
        region = corps.region(session, principal=principal, region_code=region_code)
    until = min(half.last_day, today)  # a half year still under way: as of today
    filters = Filters(region=region_code)
    return {
        "region": None if region is None else {"code": region.code, "name": region.name},
        "half": half.key,
        "first_day": half.first_day.isoformat(),
        "last_day": half.last_day.isoformat(),
        "as_of": until.isoformat(),
        "made_on": today.isoformat(),
        "agreements": _agreements(session, region_code, half, until),
        "activities": _activities(session, region_code, half),
        "measurements": _measurements(session, filters, half, until),
        "fidelity": _fidelity(session, filters, half),
        "outcomes": _outcomes(session, filters, half),
    }


def _agreements(
    session: Session, region_code: int | None, half: Half, until: date
) -> dict[str, Any]:
    a = CollaborationAgreement
    within = [] if region_code is None else [col(a.region_code) == region_code]
    in_force = session.exec(
        select(func.count()).select_from(a).where(
            *within, col(a.signed_on) <= until,
            sa.or_(col(a.ended_on).is_(None), col(a.ended_on) >= until),
        )
    ).one()  # fmt: skip
    new = session.exec(
        select(a).where(*within, col(a.signed_on) >= half.first_day, col(a.signed_on) <= until)
        .order_by(col(a.signed_on))
    ).all()  # fmt: skip
    ended = session.exec(
        select(func.count()).select_from(a).where(
            *within, col(a.ended_on) >= half.first_day, col(a.ended_on) <= until
        )
    ).one()  # fmt: skip
    names: dict[int | None, list[str]] = {}
    if new:
        for agreement_id, name in session.exec(
            select(AgreementMunicipality.agreement_id, Municipality.name)
            .join(Municipality, col(Municipality.code) == AgreementMunicipality.municipality_code)
            .where(col(AgreementMunicipality.agreement_id).in_([n.id for n in new]))
            .order_by(Municipality.name)
        ).all():
            names.setdefault(agreement_id, []).append(name)
    here = corps.coverage(session, on=until, region_code=region_code)
    country = corps.coverage(session, on=until)
    return {
        "in_force": int(in_force),
        "new": len(new),
        "ended": int(ended),
        "new_list": [
            {
                "partner": n.partner,
                "signed_on": n.signed_on.isoformat(),
                "municipalities": names.get(n.id, []),
            }
            for n in new
        ],  # fmt: skip
        "covered": here.covered,
        "municipalities": here.total,
        "goal": here.goal,
        "country_covered": country.covered,
        "country_municipalities": country.total,
        "country_goal": country.goal,
    }


def _activities(session: Session, region_code: int | None, half: Half) -> dict[str, Any]:
    a = CorpsActivity
    within = [col(a.held_on) >= half.first_day, col(a.held_on) <= half.last_day]
    if region_code is not None:
        within.append(col(a.region_code) == region_code)
    rows = session.execute(
        sa.select(
            col(a.kind), func.count(),
            *(func.coalesce(func.sum(col(getattr(a, name))), 0) for name in COUNTED),
        ).where(*within).group_by(col(a.kind))
    ).all()  # fmt: skip
    found: dict[str, Any] = {kind: {"count": 0, **dict.fromkeys(COUNTED, 0)} for kind in KINDS}
    for kind, count, *sums in rows:
        found[kind] = {
            "count": int(count),
            **{n: int(v) for n, v in zip(COUNTED, sums, strict=True)},
        }
    found["material"]["titles"] = list(
        session.exec(
            select(a.title).where(*within, a.kind == "material").order_by(col(a.held_on))
        ).all()
    )
    return found


def _measurements(session: Session, filters: Filters, half: Half, until: date) -> dict[str, Any]:
    in_region = team_conditions(filters=filters, team_id=Team.id)
    active = session.exec(
        select(func.count()).select_from(Team).where(col(Team.is_active), *in_region)
    ).one()
    reviews = session.exec(
        select(func.count()).select_from(Review).where(
            Review.status == FINALISED,
            col(Review.visit_date) >= half.first_day, col(Review.visit_date) <= until,
            *team_conditions(filters=filters, team_id=Review.team_id),
        )
    ).one()  # fmt: skip
    rounds = session.exec(
        select(func.count()).select_from(MeasurementRound).where(
            col(MeasurementRound.assessed_at).is_not(None),
            col(MeasurementRound.assessed_at) >= _start_of(half.first_day),
            col(MeasurementRound.assessed_at) < _start_of(until + timedelta(days=1)),
            *team_conditions(filters=filters, team_id=MeasurementRound.team_id),
        )
    ).one()  # fmt: skip
    recent = (
        select(Review.team_id)
        .where(Review.status == FINALISED,
               col(Review.visit_date) > until - timedelta(days=DUE_AFTER_DAYS),
               col(Review.visit_date) <= until)
    )  # fmt: skip
    due = session.exec(
        select(func.count()).select_from(Team).where(
            col(Team.is_active), *in_region, col(Team.id).not_in(recent)
        )
    ).one()  # fmt: skip
    return {
        "teams_active": int(active),
        "reviews_finalised": int(reviews),
        "rounds_confirmed": int(rounds),
        "teams_due": int(due),
    }


def _start_of(day: date) -> datetime:
    """The first moment of a day, in UTC (the day's edges are the corps' own, roughly)."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _fidelity(session: Session, filters: Filters, half: Half) -> dict[str, Any]:
    rows = session.exec(
        select(ScaleVersion.scale_key, Review.total_score, Review.level_key)
        .join(ScaleVersion, col(ScaleVersion.id) == Review.scale_version_id)
        .where(
            Review.status == FINALISED,
            col(Review.visit_date) >= half.first_day, col(Review.visit_date) <= half.last_day,
            *team_conditions(filters=filters, team_id=Review.team_id),
        )
    ).all()  # fmt: skip
    by_scale: dict[str, list[float]] = {}
    levels: Counter[str] = Counter()
    for scale_key, total, level in rows:
        if total is not None:
            by_scale.setdefault(scale_key, []).append(float(total))
        levels[level or "none"] += 1
    return {
        "reviews": len(rows),
        "mean_total": {k: round(sum(v) / len(v), 1) for k, v in sorted(by_scale.items())},
        "levels": dict(sorted(levels.items())),
    }


def _outcomes(session: Session, filters: Filters, half: Half) -> list[dict[str, Any]]:
    quarters = outcome_figures.national_outcomes(
        session, filters=filters, teams=[], year=half.year
    ).quarters
    first = (half.half - 1) * 2 + 1  # the half's first quarter: 1 or 3
    return [
        {"quarter": q.label, "participants": q.participants, "municipalities": q.municipalities,
         "shares": q.shares}
        for q in quarters
        if q.year == half.year and first <= q.quarter <= first + 1
    ]  # fmt: skip


# Sending and reading --------------------------------------------------------------------


def send(
    session: Session, *, principal: Principal, region_code: int, half: Half, today: date
) -> StatusReport:
    """Store the region's report for ``half`` as it stands now: a new edition."""
    corps.require_record(principal, region_code)
    content = compute(session, principal=principal, region_code=region_code, half=half, today=today)
    latest = session.exec(
        select(func.max(StatusReport.edition)).where(
            StatusReport.region_code == region_code, StatusReport.half == half.key
        )
    ).one()
    report = StatusReport(
        region_code=region_code, half=half.key, edition=(latest or 0) + 1, content=content,
        sent_by_id=principal.user_id,
    )  # fmt: skip
    session.add(report)
    session.flush()
    audit.record(
        session, action="status_report.sent", by=principal, entity_type="status_report",
        entity_id=report.id,
        after={"region": region_code, "half": half.key, "edition": report.edition},
    )  # fmt: skip
    return report


@dataclass(frozen=True)
class SentReport:
    report: StatusReport
    region: str
    sent_by: str | None


def sent_reports(
    session: Session, *, principal: Principal, half: Half, region_code: int | None = None
) -> list[SentReport]:
    """The sent editions of a half year (a region's, or every region's), newest first."""
    corps.require_read(principal)
    statement = (
        select(StatusReport, Region.name, User.display_name)
        .join(Region, col(Region.code) == StatusReport.region_code)
        .join(User, col(User.id) == StatusReport.sent_by_id, isouter=True)
        .where(StatusReport.half == half.key)
        .order_by(col(StatusReport.region_code), col(StatusReport.edition).desc())
    )
    if region_code is not None:
        statement = statement.where(StatusReport.region_code == region_code)
    return [SentReport(r, name, who) for r, name, who in session.exec(statement).all()]


def sent_report(session: Session, *, principal: Principal, report_id: int) -> SentReport:
    corps.require_read(principal)
    found = session.exec(
        select(StatusReport, Region.name, User.display_name)
        .join(Region, col(Region.code) == StatusReport.region_code)
        .join(User, col(User.id) == StatusReport.sent_by_id, isouter=True)
        .where(StatusReport.id == report_id)
    ).first()
    if found is None:
        raise NotFound.of("err_no_status_report", id=report_id)
    return SentReport(*found)


@dataclass(frozen=True)
class RollUp:
    """The country from each region's latest sent edition of a half year."""

    half: str
    regions: list[SentReport]  # the latest edition of each region that sent one
    missing: list[str]  # the regions that have not sent theirs
    totals: dict[str, int]


ROLLED = (
    ("agreements", "new"), ("agreements", "covered"), ("activities", "course", "count"),
    ("activities", "course", "consultants"), ("activities", "course", "leaders"),
    ("activities", "course", "psychiatry_staff"), ("activities", "supervision", "sessions"),
    ("activities", "network", "count"), ("activities", "management_network", "count"),
    ("activities", "conference", "count"), ("activities", "webinar", "count"),
    ("activities", "material", "count"), ("measurements", "reviews_finalised"),
    ("measurements", "teams_due"),
)  # fmt: skip


def roll_up(session: Session, *, principal: Principal, half: Half) -> RollUp:
    """Each region's latest sent edition of ``half``, and their figures summed."""
    every = sent_reports(session, principal=principal, half=half)
    latest: dict[int, SentReport] = {}
    for sent in every:
        latest.setdefault(sent.report.region_code, sent)  # newest edition first
    names = session.exec(select(Region.code, Region.name).order_by(col(Region.code))).all()
    totals = {}
    for path in ROLLED:
        value = 0
        for sent in latest.values():
            found: Any = sent.report.content
            for part in path:
                found = found.get(part, 0) if isinstance(found, dict) else 0
            value += int(found or 0)
        totals[".".join(path)] = value
    return RollUp(
        half=half.key,
        regions=[latest[code] for code, _ in names if code in latest],
        missing=[name for code, name in names if code not in latest],
        totals=totals,
    )
