"""The national overview's table of teams: each team's latest result, the change since
the review before and when the next is due, and the table's sorting."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from app.services import national_teams
from app.services.national_filters import Filters
from tests.factories import make_team
from tests.services.test_national_overview import overview
from tests.services.test_profiles import finalised


def test_the_table_of_teams_has_the_latest_result_change_and_due_date(session: Session) -> None:
    steady = make_team(session, name="Alfa")
    weak = make_team(session, name="Beta")
    make_team(session, name="Gamma")  # never reviewed
    finalised(session, steady, date(2024, 5, 1), {}, default=4)
    finalised(session, steady, date(2025, 5, 1), {"disclosure": 5}, default=4)
    finalised(session, weak, date(2025, 2, 10), {}, default=2)

    rows = {row.name: row for row in overview(session).teams}

    assert rows["Alfa"].total == 101 and rows["Alfa"].change == 1
    assert rows["Alfa"].level_key == "good" and rows["Alfa"].due == date(2026, 5, 1)
    assert rows["Beta"].level_key == "not-ips" and rows["Beta"].due == date(2025, 8, 10)
    assert rows["Beta"].change is None  # one review: nothing to compare
    assert rows["Gamma"].visit_date is None and rows["Gamma"].due is None
    as_of_2024 = {row.name: row for row in overview(session, Filters(year=2024)).teams}
    assert as_of_2024["Alfa"].total == 100 and as_of_2024["Beta"].total is None
    by_total = national_teams.sort_teams(rows=list(rows.values()), sort="total", descending=True)
    assert [row.name for row in by_total] == ["Alfa", "Beta", "Gamma"]  # no value last
    by_level = national_teams.sort_teams(rows=list(rows.values()), sort="level", descending=False)
    assert [row.name for row in by_level] == ["Beta", "Alfa", "Gamma"]
    by_due = national_teams.sort_teams(rows=list(rows.values()), sort="due", descending=False)
    assert [row.name for row in by_due] == ["Beta", "Alfa", "Gamma"]


def test_teams_sort_in_danish_order() -> None:
    names = ["Århus", "Ølstykke", "Æbelø", "Zealand", "aalborg"]
    rows = [
        national_teams.TeamRow(i, name, "ips", "", *(None,) * 7) for i, name in enumerate(names)
    ]
    ordered = [
        row.name for row in national_teams.sort_teams(rows=rows, sort="name", descending=False)
    ]
    assert ordered == ["aalborg", "Zealand", "Æbelø", "Ølstykke", "Århus"]
