"""The yearly measurements in the exports: one row per confirmed measurement with its
statuses and the team's figures, one row per implementation rating; what the database
holds, within the filters, confirmed measurements only, in words for people and in keys
for machines; and only for those who may export."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import ImplementationRating, MeasurementRound, ProgramType, Role, TeamFigure
from tests.factories import make_instrument_version, make_team, make_user
from tests.services.test_implementation_figures import confirmed
from tests.services.test_rounds import TODAY
from tests.web.signin import sign_in
from tests.web.test_exports import read_csv


def measurements(session: Session) -> tuple[MeasurementRound, MeasurementRound]:
    """Two confirmed measurements (Copenhagen 2025 with the team's figures and ratings,
    Odense's IPS-like team 2024) and one still open (Copenhagen 2026)."""
    copenhagen = make_team(session, name="IPS-team København Ø", municipalities=(101,))
    odense = make_team(session, municipalities=(461,), program_type=ProgramType.IPS_LIGNENDE)
    first = confirmed(session, copenhagen, 2025, 4)
    second = confirmed(session, odense, 2024, 2)
    session.add_all(
        [
            TeamFigure(round_id=first.id or 0, input_key="caseload", value=18),
            TeamFigure(round_id=first.id or 0, input_key="employer-contacts", consultants=[4.5, 6]),
            ImplementationRating(round_id=first.id or 0, item_key="funding", rater="team", level=4),
            ImplementationRating(
                round_id=first.id or 0, item_key="funding", rater="ambassadors", level=2,
                description="Kun finansieret til sommer",
            ),
            MeasurementRound(
                team_id=copenhagen.id or 0, year=2026, deadline=TODAY + timedelta(days=5),
                instrument_id=make_instrument_version(session).id or 0,
            ),
        ]
    )  # fmt: skip
    session.commit()
    return first, second


def test_the_measurements_export_holds_what_the_database_holds(
    client: TestClient, session: Session
) -> None:
    first, second = measurements(session)
    sign_in(client, make_user(session, role=Role.ANALYST).username)

    found = client.get("/api/v1/exports/implementation").json()

    assert found["export"] == "implementation"
    assert [row["round_id"] for row in found["rows"]] == [first.id, second.id]  # not 2026
    row = found["rows"][0]
    assert (row["year"], row["status"], row["mean"]) == (2025, "in-place", 4.0)
    assert (row["element:leadership:status"], row["element:leadership:mean"]) == ("in-place", 4.0)
    assert row["figure:caseload"] == 18.0 and row["figure:employer-contacts"] == "4.5; 6"
    assert (
        row["regions"] == "Region Hovedstaden" and row["instrument"] == "implementeringsstatus 2026"
    )
    assert list(row) == found["columns"]
    only_2024 = client.get("/api/v1/exports/implementation", params={"year": "2024"}).json()
    assert [r["round_id"] for r in only_2024["rows"]] == [second.id]
    lignende = client.get(
        "/api/v1/exports/implementation", params={"program_type": "ips_lignende"}
    ).json()
    assert [r["round_id"] for r in lignende["rows"]] == [second.id]

    ratings = client.get("/api/v1/exports/implementation-ratings").json()
    assert [(r["round_id"], r["point_key"], r["rater"], r["step"]) for r in ratings["rows"]] == [
        (first.id, "funding", "team", 4),
        (first.id, "funding", "ambassadors", 2),
    ]
    assert ratings["rows"][0]["element"] == "leadership" and ratings["rows"][0]["point_number"] == 6
    stored = session.exec(select(ImplementationRating)).all()
    assert len(stored) == len(ratings["rows"])


def test_the_csv_and_the_workbook_speak_the_readers_words(
    client: TestClient, session: Session
) -> None:
    measurements(session)
    sign_in(client, make_user(session, role=Role.ANALYST).username)

    rows = read_csv(
        client.get("/api/v1/exports/implementation", params={"format": "csv"}).content, ";"
    )
    header = rows[0]
    assert header[:3] == ["Måling-id", "Team-nr.", "Team"]
    assert "2. Ledelse og tværfagligt samarbejde: Implementeringsstatus" in header
    assert "Borgere pr. fuldtidskonsulent (borgere)" in header
    status = header.index("Implementeringsstatus")
    assert [row[status] for row in rows[1:]] == ["På plads", "Undervejs"]
    long = read_csv(
        client.get("/api/v1/exports/implementation-ratings", params={"format": "csv"}).content,
        ";",
    )
    assert [row[long[0].index("Bedømmer")] for row in long[1:]] == ["Teamet", "Ambassadørerne"]

    book = openpyxl.load_workbook(io.BytesIO(client.get("/national/workbook.xlsx").content))
    assert {"Målinger", "Implementeringsvurderinger"} <= set(book.sheetnames)
    assert book["Målinger"].max_row == 3  # the header and two confirmed measurements


def test_only_those_who_may_export_get_the_measurements(
    client: TestClient, session: Session
) -> None:
    first, _ = measurements(session)
    team = session.get(MeasurementRound, first.id)
    assert team is not None
    leader = make_user(session, role=Role.TEAM_LEADER, teams=())  # any team leader
    sign_in(client, leader.username)
    response = client.get("/api/v1/exports/implementation")
    assert response.status_code == 403
