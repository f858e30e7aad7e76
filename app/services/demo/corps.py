"""The demo's corps work: collaboration agreements signed over three years (about half
the country's municipalities by now, one of them ended and renewed), a year of each
region's activities, recorded by its ambassador through the same service the pages use,
and each region's status report of the half year before this one, as sent.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlmodel import Session, col, func, select

from app.models import CollaborationAgreement, Municipality, Role, StatusReport, User
from app.services import corps
from app.services.access import Principal

PARTNERS = {
    1081: "Psykiatrien i Region Nordjylland",
    1082: "Psykiatrien Region Midtjylland",
    1083: "Psykiatrien i Region Syddanmark",
    1084: "Region Hovedstadens Psykiatri",
    1085: "Psykiatrien Region Sjælland",
}
AMBASSADORS = {1081: "amb.nord", 1082: "amb.midt", 1083: "amb.syd", 1084: "amb.hovedstaden",
               1085: "amb.sjaelland"}  # fmt: skip
COURSES = ("IPS-grundkursus", "Opfølgningskursus for IPS-konsulenter", "IPS for ledere",
           "Jobudvikling og arbejdsgiverkontakt")  # fmt: skip
MATERIALS = ("Guide til henvisning fra psykiatrien", "Pjece om IPS for unge",
             "Skabelon til samarbejdsaftale")  # fmt: skip


def add_corps_work(session: Session, *, users: dict[str, User], today: date) -> int:
    """Agreements and a year of activities, once; how many things it made."""
    if session.exec(select(func.count()).select_from(CollaborationAgreement)).one():
        return 0
    made = 0
    draw = random.Random("corps")
    for region_code, username in AMBASSADORS.items():
        user = users[username]
        by = Principal(
            user_id=user.id, username=user.username, display_name=user.display_name,
            role=Role.AMBASSADOR, regions=frozenset({region_code}), channel="cli",
        )  # fmt: skip
        made += _agreements(session, by, region_code, draw, today)
        made += _activities(session, by, region_code, draw, today)
    return made


def _agreements(
    session: Session, by: Principal, region_code: int, draw: random.Random, today: date
) -> int:
    codes = list(
        session.exec(
            select(Municipality.code)
            .where(Municipality.region_code == region_code)
            .order_by(col(Municipality.code))
        ).all()
    )
    draw.shuffle(codes)
    covered = codes[: round(len(codes) * draw.uniform(0.4, 0.65))]
    made = 0
    start = date(today.year - 3, 3, 1)
    for index in range(0, len(covered), 3):  # three municipalities to an agreement
        signed = start + timedelta(days=draw.randint(0, 3 * 365 - 60))
        values = {
            "partner": PARTNERS[region_code],
            "signed_on": signed.isoformat(),
            "document": f"Samarbejdsaftale {signed.year}-{index // 3 + 1}.pdf",
        }
        ended = None
        if index == 0:  # the first one ended after a year and was renewed the day after
            ended = signed + timedelta(days=365)
            values["ended_on"] = ended.isoformat()
        group = covered[index : index + 3]
        corps.save_agreement(
            session, principal=by, region_code=region_code, values=values,
            municipalities=group, today=today,
        )  # fmt: skip
        made += 1
        if ended is not None and ended + timedelta(days=1) <= today:
            renewed = {**values, "signed_on": (ended + timedelta(days=1)).isoformat()}
            renewed.pop("ended_on")
            corps.save_agreement(
                session, principal=by, region_code=region_code, values=renewed,
                municipalities=group, today=today,
            )  # fmt: skip
            made += 1
    return made


def _activities(
    session: Session, by: Principal, region_code: int, draw: random.Random, today: date
) -> int:
    made = 0
    for month in range(12):
        day = today - timedelta(days=30 * month + draw.randint(1, 25))
        plan: list[dict[str, str]] = [
            {"kind": "supervision", "title": "Casesupervision i IPS-teamene",
             "sessions": str(draw.randint(2, 6)), "attendees": str(draw.randint(8, 30))},
        ]  # fmt: skip
        if month % 2 == 0:
            plan.append(
                {
                    "kind": "course",
                    "title": COURSES[(month // 2) % len(COURSES)],
                    "consultants": str(draw.randint(8, 24)),
                    "leaders": str(draw.randint(0, 5)),
                    "psychiatry_staff": str(draw.randint(0, 8)),
                }  # fmt: skip
            )
        if month % 3 == 0:
            plan.append({"kind": "network", "title": "Fagligt netværk for IPS-konsulenter",
                         "attendees": str(draw.randint(15, 40))})  # fmt: skip
            plan.append({"kind": "management_network", "title": "Ledernetværk",
                         "attendees": str(draw.randint(6, 15))})  # fmt: skip
        if month in (2, 8):
            plan.append({"kind": "webinar", "title": "Webinar: IPS og uddannelse",
                         "attendees": str(draw.randint(40, 120))})  # fmt: skip
        if month == 5:
            plan.append({"kind": "conference", "title": "Regional IPS-konference",
                         "attendees": str(draw.randint(80, 200))})  # fmt: skip
        if month in (1, 7):
            plan.append({"kind": "material", "title": MATERIALS[month % len(MATERIALS)]})
        for values in plan:
            corps.save_activity(
                session, principal=by, region_code=region_code,
                values={**values, "held_on": day.isoformat()}, today=today,
            )  # fmt: skip
            made += 1
    return made


def add_status_reports(session: Session, *, users: dict[str, User], today: date) -> int:
    """Each region's report of the half year before this one, sent by its ambassador;
    Syddanmark's sent twice (a course recorded late made a second edition)."""
    from app.services import status_reports  # noqa: PLC0415 - the demo's last step

    if session.exec(select(func.count()).select_from(StatusReport)).one():
        return 0
    half = corps.Half.of(today).previous()
    made = 0
    for region_code, username in AMBASSADORS.items():
        user = users[username]
        by = Principal(
            user_id=user.id, username=user.username, display_name=user.display_name,
            role=Role.AMBASSADOR, regions=frozenset({region_code}), channel="cli",
        )  # fmt: skip
        status_reports.send(session, principal=by, region_code=region_code, half=half, today=today)
        made += 1
        if region_code == 1083:
            late = (half.last_day - timedelta(days=3)).isoformat()
            corps.save_activity(
                session, principal=by, region_code=region_code, today=today,
                values={"kind": "course", "held_on": late, "leaders": "9", "consultants": "2",
                        "title": "IPS for ledere (registreret efter udsendelsen)"},
            )  # fmt: skip
            status_reports.send(
                session, principal=by, region_code=region_code, half=half, today=today
            )
            made += 2
    return made
