"""The outcome pages: an analyst previews a quarter's file (every row's problems named,
nothing stored), stores a clean one (the page then lists the quarter and the import,
whose file can be downloaded again); a team leader enters the team's own quarter, and a
refused form keeps what was typed and stores nothing."""

from __future__ import annotations

import re
from datetime import date

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import AuditEvent, OutcomeFigure, OutcomeImport, Role
from app.services import outcomes
from tests.factories import make_team, make_user
from tests.web.signin import parse, sign_in


def quarter_file(*rows: tuple[str, str, str, str]) -> tuple[str, bytes]:
    """The latest ended quarter's label, and a file of ``rows`` (municipality, target
    group, people, paid hours) for it, as Danish Excel saves a CSV."""
    year, quarter = outcomes.recent_quarters(date.today())[0]
    label = f"{year}K{quarter}"
    lines = ["Kvartal;Kommune;Målgruppe;Borgere i indsatsen;Ordinære timer"]
    lines += [";".join((label, *row)) for row in rows]
    return label, ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


def test_an_analyst_previews_refuses_and_stores_a_quarter(
    client: TestClient, session: Session
) -> None:
    analyst = make_user(session, role=Role.ANALYST)
    csrf = sign_in(client, analyst.username)
    page = parse(client.get("/outcomes").text)
    assert page.select_one("h1").get_text() == "Resultater fra STARs monitorering"  # type: ignore[union-attr]
    assert page.select_one("nav.main-nav a[href='/outcomes']") is not None
    example = client.get("/outcomes/example.csv")
    assert example.content.startswith("\ufeffKvartal;".encode())

    label, bad = quarter_file(("Atlantis", "IPS", "10", "3"), ("Odense", "IPS", "10", "11"))
    refused = client.post(
        "/outcomes/preview",
        data={"csrf_token": csrf},
        files={"file": ("k.csv", bad, "text/csv")},
    )
    assert refused.status_code == 422
    page = parse(refused.text)
    rows = page.select("table.outcome-rows tbody tr.has-problem")
    assert [row.th.get_text() for row in rows] == ["2", "3"]  # type: ignore[union-attr]
    assert "Ukendt kommune »Atlantis«" in rows[0].get_text()
    assert "Ordinære timer:" in rows[1].get_text() and "større end de 10" in rows[1].get_text()
    assert page.select_one("form[action='/outcomes/store']") is None
    assert session.exec(select(OutcomeFigure)).all() == []

    _, good = quarter_file(("København", "IPS", "100", "42"), ("461", "IPS-lignende", "20", "5"))
    preview = parse(
        client.post(
            "/outcomes/preview",
            data={"csrf_token": csrf},
            files={"file": ("kvartal.csv", good, "text/csv")},
        ).text
    )
    assert session.exec(select(OutcomeFigure)).all() == []  # still nothing stored
    changes = [td.get_text() for td in preview.select("#changes-heading ~ div table tbody td")]
    assert changes[:5] == [label, "IPS", "0", "1", "0"]
    form = preview.select_one("form[action='/outcomes/store']")
    assert form is not None
    fields = {i["name"]: i["value"] for i in form.select("input[type=hidden]")}
    stored = client.post("/outcomes/store", data=fields, follow_redirects=False)
    assert stored.status_code == 303 and stored.headers["location"] == "/outcomes?done=stored"

    figures = session.exec(select(OutcomeFigure).order_by(OutcomeFigure.municipality_code)).all()
    assert [
        (f.municipality_code, f.target_group, f.paid_hours, f.paid_hours_share) for f in figures
    ] == [(101, "ips", 42, 42.0), (461, "ips_lignende", 5, 25.0)]
    page = parse(client.get("/outcomes?done=stored").text)
    assert page.select_one("p.note").get_text() == "Tallene er gemt."  # type: ignore[union-attr]
    quarters = [
        [td.get_text() for td in tr.select("td")]
        for tr in page.select("#quarters-heading ~ div table tbody tr")
    ]
    assert quarters == [[label, "IPS", "1", "100"], [label, "IPS-lignende indsats", "1", "20"]]
    [imported] = session.exec(select(OutcomeImport)).all()
    link = page.select_one(f"a[href='/outcomes/imports/{imported.id}/file']")
    assert link is not None and link.get_text() == "kvartal.csv"
    assert client.get(f"/outcomes/imports/{imported.id}/file").content == good


def test_storing_a_file_that_has_gone_wrong_since_shows_the_preview_again(
    client: TestClient, session: Session
) -> None:
    csrf = sign_in(client, make_user(session, role=Role.ADMIN).username)
    response = client.post(
        "/outcomes/store",
        data={"csrf_token": csrf, "filename": "x.csv", "content": "not base64 at all!"},
    )
    assert response.status_code == 422
    page = parse(response.text)
    assert "tom" in page.select_one(".form-error").get_text()  # type: ignore[union-attr]
    assert session.exec(select(OutcomeImport)).all() == []


def test_a_file_that_is_no_spreadsheet_is_answered_on_the_import_page(
    client: TestClient, session: Session
) -> None:
    csrf = sign_in(client, make_user(session, role=Role.ANALYST).username)
    response = client.post(
        "/outcomes/preview",
        data={"csrf_token": csrf},
        files={"file": ("billede.png", b"\x89PNG\r\n\x1a\n\x00\x00", "image/png")},
    )
    assert response.status_code == 422
    page = parse(response.text)
    assert "hverken et CSV-ark" in page.select_one("[role=alert]").get_text()  # type: ignore[union-attr]
    assert page.select_one("#outcome-file")["aria-invalid"] == "true"  # type: ignore[index]


def test_a_leader_enters_and_takes_back_the_teams_own_quarter(
    client: TestClient, session: Session
) -> None:
    team = make_team(session, municipalities=(101,))
    leader = make_user(session, role=Role.TEAM_LEADER, teams=(team,))
    csrf = sign_in(client, leader.username)
    team_page = parse(client.get(f"/teams/{team.id}").text)
    assert team_page.select_one(f"a[href='/teams/{team.id}/outcomes']") is not None
    page = parse(client.get(f"/teams/{team.id}/outcomes").text)
    options = [o["value"] for o in page.select("#own-quarter option")]
    assert len(options) == outcomes.OWN_QUARTERS and re.fullmatch(r"\d{4}K[1-4]", options[0])

    typed = {"csrf_token": csrf, "quarter": options[0], "participants": "12", "paid_hours": "13"}
    refused = client.post(f"/teams/{team.id}/outcomes", data=typed)
    assert refused.status_code == 422
    page = parse(refused.text)
    assert "større end de 12" in page.select_one("[role=alert]").get_text()  # type: ignore[union-attr]
    assert page.select_one("#own-participants")["value"] == "12"  # type: ignore[index]
    assert page.select_one("#own-paid_hours")["aria-invalid"] == "true"  # type: ignore[index]
    assert page.select_one("#own-participants").get("aria-invalid") is None  # type: ignore[union-attr]
    assert session.exec(select(OutcomeFigure)).all() == []

    saved = client.post(
        f"/teams/{team.id}/outcomes", data={**typed, "paid_hours": "5"}, follow_redirects=False
    )
    assert saved.status_code == 303
    page = parse(client.get(saved.headers["location"]).text)
    row = page.select_one(f"tr[data-quarter='{options[0]}']")
    assert row is not None
    cells = [td.get_text(" ", strip=True) for td in row.select("td")]
    assert cells[:3] == ["Teamets egne tal", "12", "41,7 % (5)"]
    [figure] = session.exec(select(OutcomeFigure)).all()
    assert (figure.team_id, figure.participants, figure.paid_hours) == (team.id, 12, 5)

    year, quarter = options[0].split("K")
    removed = client.post(
        f"/teams/{team.id}/outcomes/{year}/{quarter}/remove",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    assert session.exec(select(OutcomeFigure)).all() == []
    actions = session.exec(
        select(AuditEvent.action).where(AuditEvent.action.startswith("outcomes."))  # type: ignore[attr-defined]
    ).all()
    assert sorted(actions) == ["outcomes.team_removed", "outcomes.team_saved"]


def test_the_team_page_in_english_for_an_analyst_who_may_not_enter(
    client: TestClient, session: Session
) -> None:
    team = make_team(session)
    sign_in(client, make_user(session, role=Role.ANALYST).username)
    page = parse(client.get(f"/teams/{team.id}/outcomes?lang=en").text)
    assert page.select_one("h1").get_text() == f"Outcomes: {team.name}"  # type: ignore[union-attr]
    assert page.select_one("#own-quarter") is None
    assert "no figures for the team yet" in page.get_text()
