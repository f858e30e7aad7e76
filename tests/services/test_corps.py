"""The corps' agreements and activities: an ambassador records in their own regions only;
an agreement that ends before it starts, or overlaps another of one of its
municipalities with the same partner, is refused whole; coverage counts the
municipalities with an agreement in force on a day (checked against a hand count)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from app.errors import Forbidden, Invalid
from app.models import (
    AgreementMunicipality,
    AuditEvent,
    CollaborationAgreement,
    CorpsActivity,
    Role,
)
from app.services import corps
from app.services.access import Principal

TODAY = date(2026, 12, 7)
HOVEDSTADEN, NORDJYLLAND = 1084, 1081
AMBASSADOR = Principal(None, "amb", "Ambassadør", Role.AMBASSADOR, regions=frozenset({HOVEDSTADEN}))


def agreement(
    session: Session,
    codes: tuple[int, ...],
    signed: str,
    ended: str = "",
    partner: str = "Psykiatrisk Center Ballerup",
    region: int = HOVEDSTADEN,
) -> CollaborationAgreement:
    return corps.save_agreement(
        session, principal=Principal.system(), region_code=region,
        values={"partner": partner, "signed_on": signed, "ended_on": ended},
        municipalities=codes, today=TODAY,
    )  # fmt: skip


def parts_of(refused: pytest.ExceptionInfo[Invalid]) -> list[str]:
    return [key for key, _ in refused.value.parts] or [refused.value.key or ""]


def test_coverage_counts_the_municipalities_with_an_agreement_in_force(session: Session) -> None:
    agreement(session, (101, 147), "2024-03-01")  # København, Frederiksberg
    agreement(session, (151,), "2024-06-01", "2025-05-31")  # Ballerup, ended
    agreement(session, (101,), "2025-01-01", partner="Region Hovedstadens Psykiatri")  # again
    agreement(session, (851, 860), "2026-11-01", region=NORDJYLLAND)  # Aalborg, Hjørring

    # By hand: on 2025-03-01 København, Frederiksberg and Ballerup; today København,
    # Frederiksberg, Aalborg and Hjørring (København once, though it has two agreements).
    assert corps.coverage(session, on=date(2025, 3, 1)).covered == 3
    today = corps.coverage(session, on=TODAY)
    assert (today.covered, today.total, today.goal, today.met) == (4, 98, 66, False)
    region = corps.coverage(session, on=TODAY, region_code=HOVEDSTADEN)
    assert (region.covered, region.total) == (2, 29)
    assert corps.coverage(session, on=date(2024, 1, 1)).covered == 0


def test_an_agreement_that_ends_before_it_starts_or_overlaps_is_refused(session: Session) -> None:
    first = agreement(session, (101,), "2024-03-01", "2025-12-31")
    with pytest.raises(Invalid) as refused:
        agreement(session, (147,), "2025-05-01", "2025-04-30")
    assert parts_of(refused) == ["err_corps_ends_before"]
    with pytest.raises(Invalid) as refused:  # the same partner, written in another case
        agreement(session, (147, 101), "2025-06-01", partner="psykiatrisk center ballerup")
    assert parts_of(refused) == ["err_corps_overlap"]
    assert refused.value.parts[0][1]["municipality"] == "København"
    with pytest.raises(Invalid) as refused:
        agreement(session, (101,), "2027-01-01")
    assert parts_of(refused) == ["err_corps_signed_future"]
    with pytest.raises(Invalid) as refused:
        agreement(session, (851,), "2025-01-01")  # Aalborg is not in Hovedstaden
    assert parts_of(refused) == ["err_corps_municipality_region"]
    assert session.exec(select(CollaborationAgreement)).all() == [first]
    assert len(session.exec(select(AgreementMunicipality)).all()) == 1

    # The day after the first ended, a new one with the same partner is fine; so is
    # another partner on the same days.
    agreement(session, (101,), "2026-01-01")
    agreement(session, (101,), "2024-06-01", partner="Region Hovedstadens Psykiatri")


def test_ending_an_agreement_is_a_change_audited(session: Session) -> None:
    made = agreement(session, (101, 147), "2024-03-01")
    corps.save_agreement(
        session, principal=Principal.system(), region_code=HOVEDSTADEN, agreement_id=made.id,
        values={"partner": made.partner, "signed_on": "2024-03-01", "ended_on": "2026-06-30",
                "document": "Aftale 2024.pdf"},
        municipalities=(101, 147), today=TODAY,
    )  # fmt: skip
    session.refresh(made)
    assert (made.ended_on, made.revision, made.document) == (
        date(2026, 6, 30),
        2,
        "Aftale 2024.pdf",
    )
    events = session.exec(
        select(AuditEvent).where(AuditEvent.action == "agreement.saved").order_by(AuditEvent.id)  # type: ignore[arg-type]
    ).all()
    assert events[-1].before["ended_on"] is None and events[-1].after["ended_on"] == "2026-06-30"


def test_an_ambassador_records_in_their_own_regions_only(session: Session) -> None:
    saved = corps.save_activity(
        session, principal=AMBASSADOR, region_code=HOVEDSTADEN,
        values={"kind": "course", "held_on": "2026-10-02", "title": "IPS-grundkursus",
                "consultants": "14", "leaders": "2", "psychiatry_staff": "3", "attendees": "99"},
        today=TODAY,
    )  # fmt: skip
    assert (saved.consultants, saved.leaders, saved.psychiatry_staff) == (14, 2, 3)
    assert saved.attendees is None  # a course counts participants by kind, not attendees
    with pytest.raises(Forbidden):
        corps.save_activity(
            session, principal=AMBASSADOR, region_code=NORDJYLLAND,
            values={"kind": "webinar", "held_on": "2026-10-02", "title": "x", "attendees": "5"},
            today=TODAY,
        )  # fmt: skip
    leader = Principal(None, "l", "L", Role.TEAM_LEADER, teams=frozenset({1}))
    with pytest.raises(Forbidden):
        corps.activities(
            session, principal=leader, region_code=HOVEDSTADEN, half=corps.Half(2026, 2)
        )


def test_an_activity_form_names_every_problem_and_stores_nothing(session: Session) -> None:
    with pytest.raises(Invalid) as refused:
        corps.save_activity(
            session, principal=AMBASSADOR, region_code=HOVEDSTADEN,
            values={"kind": "course", "held_on": "2027-01-05", "title": " ",
                    "consultants": "-3"},
            today=TODAY,
        )  # fmt: skip
    assert parts_of(refused) == [
        "err_corps_text_missing", "err_corps_held_future", "err_corps_count",
        "err_corps_participants",
    ]  # fmt: skip
    assert session.exec(select(CorpsActivity)).all() == []


def test_a_half_years_activities(session: Session) -> None:
    for day in ("2026-06-30", "2026-07-01", "2026-12-01"):
        corps.save_activity(
            session, principal=AMBASSADOR, region_code=HOVEDSTADEN,
            values={"kind": "supervision", "held_on": day, "title": "Casesupervision",
                    "sessions": "2", "attendees": "6"},
            today=TODAY,
        )  # fmt: skip
    found = corps.activities(
        session, principal=AMBASSADOR, region_code=HOVEDSTADEN, half=corps.Half(2026, 2)
    )
    assert [(a.held_on.isoformat(), a.sessions) for a in found] == [
        ("2026-12-01", 2), ("2026-07-01", 2)
    ]  # fmt: skip
    assert corps.Half.parse("2026H1", today=TODAY).last_day == date(2026, 6, 30)
    with pytest.raises(Invalid):
        corps.Half.parse("2026H3", today=TODAY)
