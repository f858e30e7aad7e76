"""Administration of teams through the real pages: creating and changing a team with its
municipalities, and refused forms that change nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import Team, TeamMunicipality
from tests.web.admin.helpers import events_since, last_event_id, message
from tests.web.signin import parse


def test_create_and_change_a_team_with_its_municipalities(
    client: TestClient, session: Session
) -> None:
    before = last_event_id(session)
    response = client.post(
        "/admin/teams",
        data={
            "name": "IPS Lolland-Falster",
            "program_type": "ips",
            "municipalities": ["360", "376"],
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    team = session.exec(select(Team).where(Team.name == "IPS Lolland-Falster")).one()
    codes = session.exec(
        select(TeamMunicipality.municipality_code).where(TeamMunicipality.team_id == team.id)
    )
    assert sorted(codes) == [360, 376]
    [event] = events_since(session, before)
    assert event.action == "team.created" and event.after == {
        "name": "IPS Lolland-Falster",
        "program_type": "ips",
        "is_active": True,
        "municipalities": [360, 376],
    }
    before = last_event_id(session)
    client.post(
        f"/admin/teams/{team.id}",
        data={"name": "IPS Lolland", "program_type": "ips_lignende", "municipalities": ["360"]},
    )
    [event] = events_since(session, before)
    assert event.action == "team.updated"
    assert event.before is not None and event.after is not None
    assert event.before["municipalities"] == [360, 376] and event.after["municipalities"] == [360]
    assert event.after["is_active"] is False and event.after["program_type"] == "ips_lignende"


@pytest.mark.parametrize(
    ("form", "says"),
    [
        ({"name": "X", "program_type": "ips"}, "mindst én kommune"),
        ({"name": "X", "program_type": "ips", "municipalities": ["1"]}, "Ukendt kommunekode"),
        ({"name": "X", "program_type": "other", "municipalities": ["101"]}, "Ukendt indsatstype"),
        ({"name": " ", "program_type": "ips", "municipalities": ["101"]}, "Giv teamet et navn"),
    ],
)
def test_bad_team_forms_are_refused(
    client: TestClient, session: Session, form: dict[str, object], says: str
) -> None:
    before = last_event_id(session)
    response = client.post("/admin/teams", data=form)
    assert response.status_code == 422 and says in message(response.text)
    assert events_since(session, before) == []


def test_a_non_number_in_a_form_is_a_422_page(client: TestClient) -> None:
    response = client.post(
        "/admin/teams", data={"name": "X", "program_type": "ips", "municipalities": ["abc"]}
    )
    assert response.status_code == 422
    assert "municipalities" in parse(response.text).select_one(".error-detail").get_text()  # type: ignore[union-attr]


def test_a_failed_form_links_its_language_switch_to_the_page_it_came_from(
    client: TestClient, session: Session
) -> None:
    response = client.post(
        "/admin/teams",
        data={"name": "", "program_type": "ips"},
        headers={"Referer": "http://testserver/admin/teams/new"},
    )
    switch = parse(response.text).select_one('nav.language a[hreflang="en"]')
    assert switch is not None and switch["href"] == "/admin/teams/new?lang=en"
