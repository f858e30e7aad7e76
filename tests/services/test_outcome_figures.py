"""Outcomes beside fidelity for STAR: the quarters' shares weighted by the people they
are shares of (checked against a hand count), within the region and programme filters,
each region beside the others, figures of fewer than five people left out, and each
team's latest fidelity total against its share over its latest four quarters."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from app.models import ProgramType, Role
from app.services import outcome_figures, outcomes
from app.services.access import Principal
from app.services.national_filters import Filters
from tests.factories import make_team
from tests.services.test_national_overview import overview
from tests.services.test_profiles import finalised

ANALYST = Principal(None, "star", "STAR", Role.ANALYST)
TODAY = date(2026, 12, 7)
HEADER = "Kvartal;Kommune;Målgruppe;Borgere i indsatsen;Ordinære timer eller uddannelse"


def store(session: Session, *rows: str) -> None:
    raw = ("\r\n".join((HEADER, *rows)) + "\r\n").encode()
    outcomes.store_file(session, principal=ANALYST, filename="t.csv", raw=raw, today=TODAY)


def test_quarters_are_weighted_by_people_within_the_filters(session: Session) -> None:
    store(
        session,
        "2026K2;101;IPS;100;40",  # Hovedstaden
        "2026K2;147;IPS;50;10",  # Hovedstaden
        "2026K2;851;IPS;200;100",  # Nordjylland
        "2026K2;461;IPS-lignende;40;8",  # Syddanmark, the other programme
        "2026K3;101;IPS;120;54",
        "2026K3;860;IPS;4;4",  # Nordjylland: four people, too few to show alone
    )
    found = outcome_figures.national_outcomes(session, filters=Filters(), teams=[])
    k2, k3 = found.quarters
    assert (k2.label, k2.participants, k2.municipalities) == ("2026K2", 390, 4)
    assert k2.shares["work_or_education"] == round(100 * (40 + 10 + 100 + 8) / 390, 1)
    assert (k3.participants, k3.shares["work_or_education"]) == (124, round(100 * 58 / 124, 1))
    regions = dict(found.regions)
    assert [q.label for q in regions["Region Nordjylland"]] == ["2026K2"]  # K3 had 4 people
    assert regions["Region Hovedstaden"][0].shares["work_or_education"] == round(100 * 50 / 150, 1)

    ips_in_north = outcome_figures.national_outcomes(
        session, filters=Filters(region=1081, program_type=ProgramType.IPS), teams=[]
    )
    assert [(q.label, q.participants) for q in ips_in_north.quarters] == [("2026K2", 200)]
    assert ips_in_north.regions == []  # one region chosen: no lines region by region


def test_a_teams_point_is_its_latest_total_against_its_latest_four_quarters(
    session: Session,
) -> None:
    both = make_team(session, municipalities=(101, 147))
    own = make_team(session, municipalities=(851,))
    without = make_team(session, municipalities=(751,))
    for team in (both, own, without):
        finalised(session, team, date(2026, 5, 1), {}, default=4)
    store(
        session,
        "2025K1;101;IPS;100;0",  # older than the latest four quarters
        "2025K2;101;IPS;100;30",
        "2025K2;147;IPS;100;50",
        "2025K3;101;IPS;100;40",
        "2025K4;101;IPS;100;40",
        "2026K1;101;IPS;100;40",
        "2026K1;147;IPS;100;60",
    )
    for quarter in ("2026K2", "2026K3"):
        outcomes.save_team_quarter(
            session, principal=Principal.system(), team_id=own.id or 0,
            values={"quarter": quarter, "participants": "20", "work_or_education": "9"},
            today=TODAY,
        )  # fmt: skip
    rows = overview(session, Filters(year=2026)).teams
    found = outcome_figures.national_outcomes(session, filters=Filters(), teams=rows)
    points = {p.team_id: p for p in found.points}
    # Both municipalities in 2025K2 and 2026K1; only København in 2025K3 and 2025K4.
    expected = (30 + 50 + 40 + 40 + 40 + 60) / 600 * 100
    assert points[both.id].share == round(expected, 1)
    assert points[both.id].quarters == ["2025K2", "2025K3", "2025K4", "2026K1"]
    assert (points[own.id].share, points[own.id].participants) == (45.0, 20)
    assert points[both.id].total == 100  # 25 items at 4
    assert without.id not in points and found.teams_without == 1
