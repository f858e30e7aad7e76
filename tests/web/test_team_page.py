"""The team page's result and profile, and the ambassadors' list of teams due for a
review, as HTML (the charts themselves are drawn in tests/browser/test_team_profile.py)."""

from __future__ import annotations

import json
from datetime import date

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Role
from tests.factories import make_team, make_user, shipped_scale
from tests.services.test_profiles import finalised, in_progress
from tests.web.signin import parse, sign_in


def test_the_team_page_shows_the_latest_result_and_its_figures(
    client: TestClient, session: Session
) -> None:
    team = make_team(session, municipalities=(101,))
    finalised(session, team, date(2024, 5, 2), {}, default=3)
    latest = finalised(session, team, date(2025, 5, 2), {}, default=4)
    in_progress(session, latest, date(2026, 5, 2))
    sign_in(client, make_user(session, role=Role.TEAM_LEADER, teams=(team,)).username)

    page = parse(client.get(f"/teams/{team.id}").text)

    assert page.select_one(".result-number").get_text() == "100"  # type: ignore[union-attr]
    assert page.select_one(".level-badge").get_text(strip=True) == "God"  # type: ignore[union-attr]
    change = page.find("dt", string="Ændring siden forrige review")
    assert change is not None and "+25 point" in change.find_next("dd").get_text()  # type: ignore[union-attr]
    sections = page.select("table.section-scores tbody tr")
    assert len(sections) == len(shipped_scale().sections)
    totals = json.loads(page.select_one("#chart-data-totals").get_text())  # type: ignore[union-attr]
    assert totals["data"][0]["y"] == [75.0, 100.0]  # finalised only: not the one in progress
    items = json.loads(page.select_one("#chart-data-items").get_text())  # type: ignore[union-attr]
    bars = next(trace for trace in items["data"] if trace["type"] == "bar")
    assert bars["x"] == [4.0] * 25
    assert len(page.select("[data-chart-table='items'] tbody tr")) == 25


def test_an_ambassador_sees_the_teams_due_in_their_regions(
    client: TestClient, session: Session
) -> None:
    never = make_team(session, municipalities=(101,))
    elsewhere = make_team(session, municipalities=(751,))
    sign_in(client, make_user(session, role=Role.AMBASSADOR, regions=(1084,)).username)

    page = parse(client.get("/").text)

    table = page.select_one("table.due-teams")
    assert table is not None
    names = [cell.get_text(strip=True) for cell in table.select("tbody th a")]
    assert never.name in names and elsewhere.name not in names
    row = next(r for r in table.select("tbody tr") if never.name in r.get_text())
    assert "Aldrig vurderet" in row.get_text() and "Overskredet" in row.get_text()


def test_a_team_leader_has_no_due_list(client: TestClient, session: Session) -> None:
    team = make_team(session)
    sign_in(client, make_user(session, role=Role.TEAM_LEADER, teams=(team,)).username)
    assert parse(client.get("/").text).select_one("table.due-teams") is None
