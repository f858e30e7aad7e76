"""The measurement round through its pages and the API: opened from the team page, the
team's part filled in field group by field group (plain forms and htmx), refusals beside
their group with what was typed kept, the submission, and the ambassadors' assessment."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import (
    ImplementationRater,
    ImplementationRating,
    MeasurementRound,
    Role,
    RoundStatus,
    Team,
    TeamFigure,
)
from tests.factories import make_instrument_version, make_team, make_user
from tests.web.signin import parse, sign_in

DEADLINE = date.today() + timedelta(days=14)


def open_round(client: TestClient, session: Session, team: Team) -> MeasurementRound:
    csrf = sign_in(client, make_user(session, role=Role.AMBASSADOR).username)
    response = client.post(
        f"/teams/{team.id}/rounds",
        data={"csrf_token": csrf, "year": str(date.today().year), "deadline": DEADLINE.isoformat()},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    client.cookies.clear()
    return session.exec(select(MeasurementRound).where(MeasurementRound.team_id == team.id)).one()


def test_the_ambassador_opens_the_years_measurement_from_the_team_page(
    client: TestClient, session: Session
) -> None:
    make_instrument_version(session)
    team = make_team(session)
    csrf = sign_in(client, make_user(session, role=Role.AMBASSADOR).username)
    team_page = parse(client.get(f"/teams/{team.id}").text)
    link = team_page.select_one("section.rounds a.button")
    assert link is not None and link["href"] == f"/teams/{team.id}/rounds/new"
    form_page = parse(client.get(str(link["href"])).text)
    assert form_page.select_one("input#year")["value"] == str(date.today().year)  # type: ignore[index]

    response = client.post(
        f"/teams/{team.id}/rounds",
        data={"csrf_token": csrf, "year": str(date.today().year), "deadline": DEADLINE.isoformat()},
    )

    measurement = session.exec(select(MeasurementRound)).one()
    assert measurement.deadline == DEADLINE and measurement.status == RoundStatus.OPEN
    page = parse(response.text)
    assert page.select_one("h1").get_text().startswith(f"Måling {date.today().year}")  # type: ignore[union-attr]
    assert "Målingen er åbnet" in page.select_one("p.notice").get_text()  # type: ignore[union-attr]
    rows = parse(client.get(f"/teams/{team.id}").text).select("section.rounds tbody tr")
    assert len(rows) == 1 and "Åben til og med" in rows[0].get_text()


def test_a_past_deadline_is_refused_with_the_form_as_typed_and_nothing_stored(
    client: TestClient, session: Session
) -> None:
    make_instrument_version(session)
    team = make_team(session)
    csrf = sign_in(client, make_user(session, role=Role.AMBASSADOR).username)
    past = (date.today() - timedelta(days=3)).isoformat()
    response = client.post(
        f"/teams/{team.id}/rounds", data={"csrf_token": csrf, "year": "2026", "deadline": past}
    )
    assert response.status_code == 422
    page = parse(response.text)
    assert "allerede passeret" in page.select_one("#form-error").get_text()  # type: ignore[union-attr]
    assert page.select_one("input#deadline")["value"] == past  # type: ignore[index]
    assert session.exec(select(MeasurementRound)).all() == []


def test_the_leader_fills_in_points_and_figures_and_a_refusal_keeps_what_was_typed(
    client: TestClient, session: Session
) -> None:
    make_instrument_version(session)
    team = make_team(session)
    measurement = open_round(client, session, team)
    csrf = sign_in(client, make_user(session, role=Role.TEAM_LEADER, teams=(team,)).username)
    page = parse(client.get(f"/rounds/{measurement.id}/team").text)
    form = page.select_one("form#point-regional-agreement")
    assert form is not None and form.get("data-outbox") is not None
    assert (form["data-round"], form["data-mode"], form["data-item"]) == (
        str(measurement.id), "point", "regional-agreement",
    )  # fmt: skip
    assert form.select_one("input[name=base_revision]")["value"] == "0"  # type: ignore[index]
    legend = form.select_one("fieldset > legend")
    assert legend is not None and "Aftale med regionen" in legend.get_text()
    steps = [label.get_text(" ", strip=True) for label in form.select("fieldset.ladder label")]
    assert steps[0] == "Ikke besvaret" and steps[4].startswith("4 Aftalen er underskrevet")
    assert len(page.select("form[id^=point-]")) == 16  # the IPS-like point is left out

    plain = client.post(
        str(form["action"]),
        data={"csrf_token": csrf, "level": "3", "description": "Forhandlet, ikke underskrevet",
              "evidence_date": "2026-02-01", "evidence_document": "Udkast"},
        follow_redirects=False,
    )  # fmt: skip
    assert plain.status_code == 303
    assert plain.headers["location"].endswith("/team#point-regional-agreement")
    figure = client.post(
        f"/rounds/{measurement.id}/team/figures/caseload",
        data={"csrf_token": csrf, "value": "18", "client_id": str(uuid.uuid4())},
        follow_redirects=False,
    )
    assert figure.status_code == 303
    refused = client.post(
        f"/rounds/{measurement.id}/team/figures/ips-time-share",
        data={"csrf_token": csrf, "value": "120"},
    )
    assert refused.status_code == 422
    page = parse(refused.text)
    message = page.select_one("form#figure-ips-time-share .form-error")
    assert message is not None and "120 ligger uden for 0–100 %" in message.get_text()
    assert page.select_one("#figure-ips-time-share-value")["value"] == "120"  # type: ignore[index]
    wrong_unit = client.post(
        f"/rounds/{measurement.id}/team/figures/ips-time-share",
        data={"csrf_token": csrf, "value": "12 uger"},
    )
    assert wrong_unit.status_code == 422
    message = parse(wrong_unit.text).select_one("form#figure-ips-time-share .form-error")
    assert message is not None and "skriv tallet i %" in message.get_text()

    [point] = session.exec(select(ImplementationRating)).all()
    assert (point.level, point.rater, point.evidence_document) == (3, "team", "Udkast")
    assert [(f.input_key, f.value) for f in session.exec(select(TeamFigure))] == [("caseload", 18)]
    shown = parse(client.get(f"/rounds/{measurement.id}/team").text)
    checked = shown.select_one("form#point-regional-agreement input[name=level][checked]")
    assert checked is not None and checked["value"] == "3"
    assert shown.select_one("#figure-caseload-value")["value"] == "18"  # type: ignore[index]
    revision = shown.select_one("form#point-regional-agreement input[name=base_revision]")
    assert revision is not None and revision["value"] == "1"

    # A form made on revision 0, sent after the point was saved (by someone else, or
    # in another tab): refused beside the point, what it said kept, the stored step kept.
    stale = client.post(
        str(form["action"]),
        data={"csrf_token": csrf, "level": "5", "description": "Underskrevet",
              "base_revision": "0"},
    )  # fmt: skip
    assert stale.status_code == 409
    page = parse(stale.text)
    message = page.select_one("form#point-regional-agreement .form-error")
    assert message is not None and "Punkt 5 er ændret af en anden" in message.get_text()
    typed = page.select_one("form#point-regional-agreement input[name=level][checked]")
    assert typed is not None and typed["value"] == "5"
    session.expire_all()
    [point] = session.exec(select(ImplementationRating)).all()
    assert (point.level, point.revision) == (3, 1)


def test_submitted_the_part_is_read_only_and_the_ambassadors_assess_it(
    client: TestClient, session: Session
) -> None:
    make_instrument_version(session)
    team = make_team(session)
    measurement = open_round(client, session, team)
    leader = make_user(session, role=Role.TEAM_LEADER, teams=(team,))
    csrf = sign_in(client, leader.username)
    keys = [
        "staff-work-by-principles", "cross-service-collaboration", "political-backing",
        "regional-agreement", "funding", "vision-and-plan", "recruitment",
        "coordinating-function", "consultants-do-employer-work", "referral-process",
        "basic-training", "case-supervision", "follow-up-resources", "person-group-marker",
        "yearly-measurement", "experience-gathering",
    ]  # fmt: skip
    for key in keys:
        client.post(
            f"/rounds/{measurement.id}/team/points/{key}", data={"csrf_token": csrf, "level": "4"}
        )
    response = client.post(f"/rounds/{measurement.id}/submit", data={"csrf_token": csrf})
    page = parse(response.text)
    assert "Teamets del er indsendt" in page.select_one("p.notice").get_text()  # type: ignore[union-attr]
    assert all(f.has_attr("disabled") for f in page.select("form.round-form > fieldset"))
    assert page.select_one("form[action$='/submit']") is None
    late = client.post(
        f"/rounds/{measurement.id}/team/points/funding", data={"csrf_token": csrf, "level": "1"}
    )
    assert late.status_code == 409

    client.cookies.clear()
    ambassador = make_user(session, role=Role.AMBASSADOR)
    csrf = sign_in(client, ambassador.username)
    assessment = parse(client.get(f"/rounds/{measurement.id}/assessment").text)
    team_says = assessment.select_one("#point-funding .team-says")
    assert team_says is not None and "4 · På plads" in team_says.get_text()
    client.post(
        f"/rounds/{measurement.id}/assessment/funding",
        data={"csrf_token": csrf, "level": "2", "description": "Kun finansieret til sommer"},
    )
    confirmed = parse(
        client.post(
            f"/rounds/{measurement.id}/confirm", data={"csrf_token": csrf, "note": "Gennemgået"}
        ).text
    )
    assert "bekræftet" in confirmed.select_one("p.notice").get_text()  # type: ignore[union-attr]
    flag = confirmed.select_one("#point-funding .differs-flag")
    assert flag is not None and "Teamet sagde 4, ambassadørerne 2" in flag.get_text()
    caption = confirmed.select_one("#round-result caption")
    assert caption is not None
    overall = confirmed.select_one("#round-result tfoot td:last-child")
    assert overall is not None and overall.get_text(strip=True) == "På plads"  # mean 3.9
    rows = parse(client.get(f"/teams/{team.id}").text).select("section.rounds tbody tr td")
    assert rows[-1].get_text(strip=True) == "På plads"
    session.expire_all()
    ours = session.exec(
        select(ImplementationRating).where(
            ImplementationRating.rater == ImplementationRater.AMBASSADORS,
            ImplementationRating.item_key == "funding",
        )
    ).one()
    assert (ours.level, ours.description) == (2, "Kun finansieret til sommer")


def test_the_api_answers_the_round_and_takes_the_teams_figures(
    client: TestClient, session: Session
) -> None:
    make_instrument_version(session)
    team = make_team(session)
    measurement = open_round(client, session, team)
    consultant = make_user(session, role=Role.CONSULTANT, teams=(team,))
    csrf = sign_in(client, consultant.username)
    headers = {"X-CSRF-Token": csrf}
    body = {"consultants": [4.5, 6], "client_id": str(uuid.uuid4())}
    put = client.put(
        f"/api/v1/rounds/{measurement.id}/figures/employer-contacts", json=body, headers=headers
    )
    saved = put.json()
    assert (saved["outcome"], saved["client_id"], saved["revision"]) == (
        "saved", body["client_id"], 1,
    )  # fmt: skip
    assert saved["updated_at"].startswith(str(date.today().year))
    again = client.put(
        f"/api/v1/rounds/{measurement.id}/figures/employer-contacts", json=body, headers=headers
    )
    assert (again.json()["outcome"], again.json()["revision"]) == ("replayed", 1)
    wrong = client.put(
        f"/api/v1/rounds/{measurement.id}/figures/caseload",
        json={"value": 600, "client_id": str(uuid.uuid4())},
        headers=headers,
    )
    assert wrong.status_code == 422 and "600 lies outside 0" in wrong.json()["detail"]

    # As the outbox sends a figure: as typed, read in the page's language.
    typed = client.put(
        f"/api/v1/rounds/{measurement.id}/figures/consultant-fte?lang=da",
        json={"value": "4,5", "note": "", "client_id": str(uuid.uuid4()), "base_revision": 0},
        headers=headers | {"X-Outbox-User": consultant.username},
    )
    assert typed.status_code == 200, typed.text
    assert typed.json()["revision"] == 1
    assert "lang" not in typed.headers.get("set-cookie", "")  # one request's language only
    # Made on a revision someone else's change has since passed: refused, with the
    # stored value for the person to choose; nothing changes.
    stale = client.put(
        f"/api/v1/rounds/{measurement.id}/figures/employer-contacts?lang=en",
        json={"consultants": ["7"], "client_id": str(uuid.uuid4()), "base_revision": 0},
        headers=headers,
    )
    problem = stale.json()
    assert stale.status_code == 409 and problem["code"] == "err_stale_figure"
    assert problem["current"]["consultants"] == [4.5, 6.0]
    assert problem["current"]["revision"] == 1
    documents = client.put(
        f"/api/v1/rounds/{measurement.id}/documents",
        json={"documents": ["career-profiles"], "client_id": str(uuid.uuid4()), "base_revision": 0},
        headers=headers,
    )
    assert documents.status_code == 200 and documents.json()["revision"] == 1
    stale_documents = client.put(
        f"/api/v1/rounds/{measurement.id}/documents",
        json={"documents": [], "client_id": str(uuid.uuid4()), "base_revision": 0},
        headers=headers,
    )
    assert stale_documents.json()["code"] == "err_stale_documents"
    assert stale_documents.json()["current"]["documents"] == ["career-profiles"]
    # A change a tablet kept for someone else is never stored under this person.
    foreign = client.put(
        f"/api/v1/rounds/{measurement.id}/points/funding",
        json={"level": 2, "client_id": str(uuid.uuid4())},
        headers=headers | {"X-Outbox-User": "leder.aarhus"},
    )
    assert foreign.status_code == 409 and foreign.json()["code"] == "err_outbox_other_user"
    found = client.get(f"/api/v1/rounds/{measurement.id}").json()
    assert found["state"] == "open" and found["ambassador_points"] is None
    contacts = [f for f in found["figures"] if f["input_key"] == "employer-contacts"][0]
    assert contacts["consultants"] == [4.5, 6.0]
    fte = [f for f in found["figures"] if f["input_key"] == "consultant-fte"][0]
    assert fte["value"] == 4.5
    assert found["documents"] == ["career-profiles"]
    assert [p for p in found["team_points"] if p["item_key"] == "funding"] == []
    assert contacts["fidelity_items"] == ["job-development-frequency"]
    submit = client.post(f"/api/v1/rounds/{measurement.id}/submit", headers=headers)
    assert submit.status_code == 403  # the leader submits

    client.cookies.clear()
    sign_in(client, make_user(session, role=Role.ANALYST).username)
    assert client.get(f"/api/v1/rounds/{measurement.id}").status_code == 404  # not confirmed


def test_a_change_sent_again_is_answered_with_the_revision_it_left(
    client: TestClient, session: Session
) -> None:
    """A tablet's answer was lost and someone else saved the point meanwhile: the resent
    change is answered with its own revision, so the tablet's next change meets the other
    person's as a conflict instead of overwriting it unseen."""
    make_instrument_version(session)
    team = make_team(session)
    measurement = open_round(client, session, team)
    url = f"/api/v1/rounds/{measurement.id}/points/funding"
    consultant = make_user(session, role=Role.CONSULTANT, teams=(team,))
    leader = make_user(session, role=Role.TEAM_LEADER, teams=(team,))
    first = {"level": 2, "client_id": str(uuid.uuid4()), "base_revision": 0}
    headers = {"X-CSRF-Token": sign_in(client, consultant.username)}
    assert client.put(url, json=first, headers=headers).json()["revision"] == 1
    client.cookies.clear()
    theirs = {"level": 4, "client_id": str(uuid.uuid4()), "base_revision": 1}
    leader_headers = {"X-CSRF-Token": sign_in(client, leader.username)}
    assert client.put(url, json=theirs, headers=leader_headers).json()["revision"] == 2
    client.cookies.clear()
    headers = {"X-CSRF-Token": sign_in(client, consultant.username)}

    again = client.put(url, json=first, headers=headers).json()
    assert (again["outcome"], again["revision"]) == ("replayed", 1)
    next_change = {"level": 3, "client_id": str(uuid.uuid4()), "base_revision": 1}
    stale = client.put(url, json=next_change, headers=headers)
    assert stale.status_code == 409 and stale.json()["current"]["level"] == 4
    session.expire_all()
    [point] = session.exec(select(ImplementationRating)).all()
    assert (point.level, point.revision, point.updated_by_id) == (4, 2, leader.id)


def test_the_scoring_screen_shows_the_teams_figure_marked_as_the_teams(
    client: TestClient, session: Session
) -> None:
    from tests.factories import make_review

    make_instrument_version(session)
    team = make_team(session)
    measurement = open_round(client, session, team)
    leader = make_user(session, role=Role.TEAM_LEADER, teams=(team,))
    csrf = sign_in(client, leader.username)
    for key, value in (("caseload", "18"), ("ips-time-share", "85")):
        client.post(
            f"/rounds/{measurement.id}/team/figures/{key}",
            data={"csrf_token": csrf, "value": value},
        )
    client.cookies.clear()
    reviewer, other = make_user(session), make_user(session)
    review = make_review(session, team=team, reviewers=(reviewer, other))
    measurement.review_id = review.id
    session.add(measurement)
    session.commit()
    csrf = sign_in(client, reviewer.username)
    client.post(
        f"/reviews/{review.id}/score/employment-services-staff",
        data={"csrf_token": csrf, "figure": "100"},
    )

    page = parse(client.get(f"/reviews/{review.id}/score").text)
    box = page.select_one("#item-caseload-size form .team-figure")
    assert box is not None
    text = box.get_text(" ", strip=True)
    assert "Teamets tal" in text and "Teamet har indberettet 18 borgere" in text
    assert "Det ville give score 5" in text
    button = box.select_one("button[data-use-team-figure]")
    assert button is not None and button["data-use-team-figure"] == "18.0"
    overridden = page.select_one("#item-employment-services-staff .team-figure-state")
    assert overridden is not None and "andet tal end teamets" in overridden.get_text()
    assert page.select_one("#item-rapid-job-search .team-figure") is None  # not reported


def test_the_team_page_and_the_national_overview_chart_the_confirmed_statuses(
    client: TestClient, session: Session
) -> None:
    from tests.services.test_implementation_figures import confirmed

    team = make_team(session)
    other = make_team(session, municipalities=(851,))
    confirmed(session, team, 2024, 2)
    confirmed(session, team, 2025, 4)
    confirmed(session, other, 2025, 1)
    sign_in(client, make_user(session, role=Role.ANALYST).username)

    page = parse(client.get(f"/teams/{team.id}").text)
    table = page.select_one("#chart-implementation table")
    assert table is not None
    rows = [
        [cell.get_text(strip=True) for cell in tr.select("th, td")]
        for tr in table.select("tbody tr")
    ]
    assert [row[0] for row in rows] == ["2024", "2025"]
    assert rows[0][1] == "2 (Undervejs)" and rows[1][-2] == "4 (På plads)"  # element 1; overall

    national = parse(client.get("/national").text)
    shares = national.select_one("#chart-implementation-status table")
    assert shares is not None
    by_row = {
        (tr.select_one("th").get_text(strip=True), tr.select("td")[0].get_text(strip=True)):
        [td.get_text(strip=True) for td in tr.select("td")[1:]]
        for tr in shares.select("tbody tr")
    }  # fmt: skip
    # columns: the statuses lowest first, then the number of teams
    assert by_row[("Samlet", "2025")] == ["1 (50 %)", "0 (0 %)", "1 (50 %)", "0 (0 %)", "2"]
    assert by_row[("Samlet", "2024")] == ["0 (0 %)", "1 (100 %)", "0 (0 %)", "0 (0 %)", "1"]
    coverage = national.select_one("#chart-coverage table")
    assert coverage is not None
    cells = [
        [td.get_text(strip=True) for td in tr.select("th, td")]
        for tr in coverage.select("tbody tr")
    ]
    assert cells == [["2024", "1", "98", "1 %", "nej"], ["2025", "2", "98", "2 %", "nej"]]


def test_the_report_and_score_sheet_carry_the_implementation_status_and_team_figures(
    client: TestClient, session: Session
) -> None:
    import io

    from openpyxl import load_workbook

    from tests.factories import make_review
    from tests.services.test_implementation_figures import confirmed

    team = make_team(session)
    review = make_review(session, team=team, visit_date=date(2025, 3, 1), finalised=True)
    review.result = {
        "team_figures": {
            "caseload-size": {"input": "caseload", "team": 18.0, "team_score": 5.0,
                              "reviewers": 21.0, "score": 4.0, "accepted": False},
        }
    }  # fmt: skip
    session.add(review)
    session.commit()
    confirmed(session, team, 2025, 3, review_id=review.id)
    sign_in(client, make_user(session, role=Role.TEAM_LEADER, teams=(team,)).username)

    page = parse(client.get(f"/reviews/{review.id}/report").text)
    section = page.select_one("section.report-implementation")
    assert section is not None and "Implementeringsstatus 2025" in section.get_text()
    overall = section.select_one("#report-implementation-result tfoot td:last-child")
    assert overall is not None and overall.get_text(strip=True) == "Undervejs"
    figures = page.select_one("#report-team-figures tbody tr")
    assert figures is not None
    cells = [cell.get_text(strip=True) for cell in figures.select("th, td")]
    assert cells[1:] == ["18", "21", "≠nej"]

    sheet = load_workbook(io.BytesIO(client.get(f"/reviews/{review.id}/scoresheet.xlsx").content))
    assert "Implementering" in sheet.sheetnames and "Teamets tal" in sheet.sheetnames
    rows = list(sheet["Implementering"].iter_rows(values_only=True))
    assert rows[6][:3] == ("Samlet", 3, "Undervejs")  # five elements, then the overall
    assert list(sheet["Teamets tal"].iter_rows(values_only=True))[1][2:] == ("18", "21", 4, "nej")


def test_the_assessment_page_shows_the_team_no_ambassador_forms_and_the_confirmed_ratings_after(
    client: TestClient, session: Session
) -> None:
    from tests.services.test_rounds import TODAY, opened, point, principal, rate_everything

    context, ambassador = opened(session)
    leader_user = make_user(session, role=Role.TEAM_LEADER, teams=(context.team,))
    leader = principal(session, Role.TEAM_LEADER, teams=(context.team,))
    rate_everything(session, leader, context, level=4)
    from app.services import rounds

    rounds.submit(session, principal=leader, round_id=context.id, today=TODAY)
    session.commit()
    sign_in(client, leader_user.username)
    before = parse(client.get(f"/rounds/{context.id}/assessment").text)
    assert before.select("form.round-form") == [] and before.select(".ambassadors-say") == []

    point(session, ambassador, context, "funding", 2, rater=ImplementationRater.AMBASSADORS,
          description="Kun finansieret til sommer", today=TODAY)  # fmt: skip
    rounds.confirm_assessment(
        session, principal=ambassador, round_id=context.id, note=None, today=TODAY
    )
    session.commit()
    after = parse(client.get(f"/rounds/{context.id}/assessment").text)
    said = after.select_one("#point-funding .ambassadors-say")
    assert said is not None and "Kun finansieret til sommer" in said.get_text()
    assert after.select("form.round-form") == []
