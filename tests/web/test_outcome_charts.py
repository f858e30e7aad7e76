"""Outcomes beside fidelity on the pages, in the exports and in the API: the team page's
chart has the team's shares, its fidelity total in the quarter of the visit and the two
goal lines; the national overview has the quarters, the regions and the teams' points;
the export and the team's API answer carry the same figures."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.models import Role
from app.services import outcomes
from app.services.access import Principal
from tests.factories import make_team, make_user
from tests.services.test_profiles import finalised
from tests.web.signin import parse, sign_in

HEADER = (
    "Kvartal;Kommune;Målgruppe;Borgere i indsatsen;Ordinære timer;Ordinære timer eller uddannelse"
)


def store(session: Session, *rows: str) -> None:
    raw = ("\r\n".join((HEADER, *rows)) + "\r\n").encode()
    outcomes.store_file(
        session, principal=Principal.system(), filename="t.csv", raw=raw, today=date(2026, 12, 7)
    )
    session.commit()


def figure_of(page: object, key: str) -> dict:  # type: ignore[type-arg]
    script = page.select_one(f"#chart-data-{key}")  # type: ignore[attr-defined]
    assert script is not None, f"no chart {key}"
    return json.loads(script.get_text())  # type: ignore[no-any-return]


def test_the_team_page_shows_outcomes_beside_fidelity(client: TestClient, session: Session) -> None:
    team = make_team(session, municipalities=(461,))
    finalised(session, team, date(2025, 5, 12), {}, default=4)
    store(session, "2025K2;Odense;IPS;200;60;90", "2025K3;Odense;IPS;210;70;95")
    sign_in(client, make_user(session, role=Role.TEAM_LEADER, teams=(team,)).username)
    page = parse(client.get(f"/teams/{team.id}").text)
    figure = figure_of(page, "outcomes")
    series = {trace["name"]: trace for trace in figure["data"]}
    assert series["Ordinære timer eller uddannelse"]["y"] == [45.0, 45.2]
    assert series["Ordinære timer"]["x"] == ["2025K2", "2025K3"]
    assert series["Fidelitetstotal"]["y"] == [100, None]  # the visit of May 2025, 25 items at 4
    assert series["Mål: 42 %"]["y"] == [42.0, 42.0]
    assert series["Mål: 59,5 %"]["y"] == [59.5, 59.5]
    table = page.select_one("#chart-outcomes table")
    first = [cell.get_text() for cell in table.select("tbody tr")[0].select("th, td")]  # type: ignore[union-attr]
    assert first == ["2025K3", "STAR", "210", "33,3 %", "–", "–", "45,2 %", "–"]


def test_the_national_overview_puts_fidelity_against_outcomes(
    client: TestClient, session: Session
) -> None:
    odense = make_team(session, name="Odense-teamet", municipalities=(461,))
    aalborg = make_team(session, name="Aalborg-teamet", municipalities=(851,))
    finalised(session, odense, date(2026, 3, 2), {}, default=4)
    finalised(session, aalborg, date(2026, 3, 9), {}, default=3)
    store(session, "2026K2;461;IPS;100;40;50", "2026K2;851;IPS;100;20;30")
    sign_in(client, make_user(session, role=Role.ANALYST).username)
    page = parse(client.get("/national?year=2026").text)
    national = figure_of(page, "outcomes")
    assert {t["name"]: t["y"] for t in national["data"]}["Ordinære timer eller uddannelse"] == [
        40.0
    ]
    regions = {t["name"]: t["y"] for t in figure_of(page, "outcomes-regions")["data"]}
    assert regions["Region Syddanmark"] == [50.0] and regions["Region Nordjylland"] == [30.0]
    points = figure_of(page, "fidelity-outcomes")["data"][0]
    assert sorted(zip(points["text"], points["x"], points["y"], strict=True)) == [
        ("Aalborg-teamet", 75, 30.0),
        ("Odense-teamet", 100, 50.0),
    ]
    rows = page.select("#chart-fidelity-outcomes table tbody tr")
    assert [r.th.get_text() for r in rows] == ["Odense-teamet", "Aalborg-teamet"]  # type: ignore[union-attr]

    one_region = parse(client.get("/national?year=2026&region=1081").text)
    assert one_region.select_one("#chart-outcomes-regions") is None
    assert {t["name"]: t["y"] for t in figure_of(one_region, "outcomes")["data"]}[
        "Ordinære timer eller uddannelse"
    ] == [30.0]


def test_the_export_and_the_api_carry_the_figures(client: TestClient, session: Session) -> None:
    team = make_team(session, municipalities=(101,))
    store(session, "2026K2;101;IPS;80;20;40", "2026K2;851;IPS-lignende;10;1;2")
    outcomes.save_team_quarter(
        session, principal=Principal.system(), team_id=team.id or 0,
        values={"quarter": "2026K3", "participants": "30", "paid_hours": "6"},
        today=date(2026, 12, 7),
    )  # fmt: skip
    session.commit()
    sign_in(client, make_user(session, role=Role.ANALYST).username)

    answer = client.get("/api/v1/exports/outcomes").json()
    rows = answer["rows"]
    assert answer["export"] == "outcomes" and list(rows[0]) == answer["columns"]
    assert [(r["source"], r["period"], r["municipality_code"], r["team_id"]) for r in rows] == [
        ("star", "2026K2", 101, None), ("star", "2026K2", 851, None),
        ("team", "2026K3", None, team.id),
    ]  # fmt: skip
    assert rows[0]["work_or_education_share"] == 50.0 and rows[0]["region"] == "Region Hovedstaden"

    text = client.get("/api/v1/exports/outcomes?format=csv&program_type=ips_lignende").text
    table = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert table[0][:5] == ["Kilde", "Kvartal", "År", "Kvartal nr.", "Målgruppe"]
    assert [row[:5] for row in table[1:]] == [
        ["STAR", "2026K2", "2026", "2", "IPS-lignende indsats"]
    ]
    assert "Ordinære timer eller uddannelse (%)" in table[0]

    profile = client.get(f"/api/v1/teams/{team.id}/outcomes").json()
    assert profile["goal"] == 42.0 and profile["end_goal"] == 59.5
    quarters = profile["quarters"]
    assert [(q["quarter"], q["source"], q["participants"], q["shares"]) for q in quarters] == [
        ("2026K2", "star", 80, {"paid_hours": 25.0, "work_or_education": 50.0}),
        ("2026K3", "team", 30, {"paid_hours": 20.0}),
    ]  # fmt: skip


def test_the_scatters_table_lists_the_highest_totals_and_says_how_many_more() -> None:
    from app.i18n import translator
    from app.services.outcome_figures import NationalOutcomes, TeamPoint
    from app.web.charts.outcomes import TABLE_TEAMS, fidelity_outcome_chart

    points = [
        TeamPoint(
            n, f"Team {n:03}", "ips", "Region Syddanmark", float(n), None, 40.0, 20, ["2026K2"]
        )
        for n in range(TABLE_TEAMS + 5)
    ]
    chart = fidelity_outcome_chart(NationalOutcomes([], points=points), "da", translator("da"))
    assert len(chart.figure["data"][0]["x"]) == TABLE_TEAMS + 5  # every team is drawn
    assert chart.rows[0][0] == f"Team {TABLE_TEAMS + 4:03}" and len(chart.rows) == TABLE_TEAMS + 1
    assert chart.rows[-1][0] == "… og 5 teams mere (alle står i eksporten af resultater)"
