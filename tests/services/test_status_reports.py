"""The half-year status report: its figures against the database, a sent report frozen
(a later correction makes a new edition and leaves the old as it was; the database
refuses to change or delete one), and the national roll-up of the regions' latest."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from app.errors import Forbidden, Invalid
from app.models import Role, StatusReport
from app.services import corps, outcomes, status_reports
from app.services.access import Principal
from app.services.corps import Half
from tests.factories import make_team
from tests.services.test_profiles import finalised

TODAY = date(2026, 12, 7)
SYD = 1083
AMBASSADOR = Principal(None, "amb.syd", "Sara", Role.AMBASSADOR, regions=frozenset({SYD}))
H2 = Half(2026, 2)


def activity(session: Session, **values: str) -> None:
    corps.save_activity(session, principal=AMBASSADOR, region_code=SYD, values=values, today=TODAY)


def region_with_work(session: Session) -> None:
    odense = make_team(session, municipalities=(461,))
    make_team(session, municipalities=(621,))  # Kolding: no review for years, so due
    finalised(session, odense, date(2026, 8, 10), {}, default=4)
    finalised(session, odense, date(2026, 3, 10), {}, default=3)  # the half before
    for codes, signed, ended in (
        ((461,), "2025-02-01", ""),  # in force all along
        ((621, 630), "2026-09-01", ""),  # new in the half
        ((607,), "2024-01-01", "2026-08-31"),  # ended in the half
    ):
        corps.save_agreement(
            session, principal=AMBASSADOR, region_code=SYD, municipalities=codes, today=TODAY,
            values={"partner": "Psykiatrien i Region Syddanmark", "signed_on": signed,
                    "ended_on": ended},
        )  # fmt: skip
    activity(session, kind="course", held_on="2026-09-10", title="Grundkursus",
             consultants="12", leaders="3", psychiatry_staff="5")  # fmt: skip
    activity(session, kind="course", held_on="2026-10-10", title="Opfølgning", consultants="8")
    activity(session, kind="supervision", held_on="2026-11-02", title="Sup", sessions="4",
             attendees="9")  # fmt: skip
    activity(session, kind="material", held_on="2026-07-15", title="Guide til henvisning")
    activity(session, kind="webinar", held_on="2026-06-30", title="Før halvåret", attendees="50")
    outcomes.store_file(
        session, principal=Principal.system(), filename="k.csv", today=TODAY,
        raw=("Kvartal;Kommune;Målgruppe;Borgere i indsatsen;Ordinære timer eller uddannelse\r\n"
             "2026K3;461;IPS;200;90\r\n2026K2;461;IPS;190;80\r\n").encode(),
    )  # fmt: skip


def test_the_reports_figures_are_the_databases(session: Session) -> None:
    region_with_work(session)
    content = status_reports.compute(
        session, principal=AMBASSADOR, region_code=SYD, half=H2, today=TODAY
    )
    a = content["agreements"]
    assert (a["in_force"], a["new"], a["ended"]) == (2, 1, 1)
    assert a["new_list"] == [
        {"partner": "Psykiatrien i Region Syddanmark", "signed_on": "2026-09-01",
         "municipalities": ["Kolding", "Vejle"]}
    ]  # fmt: skip
    assert (a["covered"], a["municipalities"], a["goal"]) == (3, 22, 15)
    course = content["activities"]["course"]
    assert (course["count"], course["consultants"], course["leaders"]) == (2, 20, 3)
    assert content["activities"]["supervision"]["sessions"] == 4
    assert content["activities"]["webinar"]["count"] == 0  # held in the half before
    assert content["activities"]["material"]["titles"] == ["Guide til henvisning"]
    assert content["measurements"] == {
        "teams_active": 2, "reviews_finalised": 1, "rounds_confirmed": 0, "teams_due": 1
    }  # fmt: skip
    fidelity = content["fidelity"]
    assert (fidelity["reviews"], fidelity["mean_total"]) == (1, {"ips-25": 100.0})
    assert sum(fidelity["levels"].values()) == 1
    assert content["outcomes"] == [
        {"quarter": "2026K3", "participants": 200, "municipalities": 1,
         "shares": {"work_or_education": 45.0}}
    ]  # fmt: skip
    with pytest.raises(Invalid):
        status_reports.compute(
            session, principal=AMBASSADOR, region_code=SYD, half=Half(2027, 1), today=TODAY
        )
    # Half a year earlier Odense's team had no review in the year before (its reviews
    # came after): both teams were due then, whatever happened later.
    before = status_reports.compute(
        session, principal=AMBASSADOR, region_code=SYD, half=Half(2025, 2), today=TODAY
    )
    assert before["measurements"]["teams_due"] == 2


def test_a_sent_report_is_frozen_and_a_correction_is_a_new_edition(session: Session) -> None:
    region_with_work(session)
    first = status_reports.send(
        session, principal=AMBASSADOR, region_code=SYD, half=H2, today=TODAY
    )
    kept = dict(first.content)
    activity(session, kind="course", held_on="2026-11-20", title="Sent i halvåret",
             consultants="10")  # fmt: skip
    second = status_reports.send(
        session, principal=AMBASSADOR, region_code=SYD, half=H2, today=TODAY
    )
    session.refresh(first)
    assert (first.edition, second.edition) == (1, 2)
    assert first.content == kept and first.content["activities"]["course"]["count"] == 2
    assert second.content["activities"]["course"]["count"] == 3
    for statement in (
        sa.text("UPDATE status_report SET edition = 9 WHERE id = :id"),
        sa.text("DELETE FROM status_report WHERE id = :id"),
    ):
        with pytest.raises(sa.exc.DBAPIError), session.begin_nested():
            session.execute(statement, {"id": first.id})
    assert session.get(StatusReport, first.id).edition == 1  # type: ignore[union-attr]

    other = Principal(None, "amb.nord", "N", Role.AMBASSADOR, regions=frozenset({1081}))
    with pytest.raises(Forbidden):
        status_reports.send(session, principal=other, region_code=SYD, half=H2, today=TODAY)

    rolled = status_reports.roll_up(session, principal=Principal.system(), half=H2)
    assert [s.report.id for s in rolled.regions] == [second.id]  # the latest edition only
    assert rolled.totals["activities.course.count"] == 3
    assert "Region Syddanmark" not in rolled.missing and len(rolled.missing) == 4
    assert session.exec(select(StatusReport)).all() == [first, second]
