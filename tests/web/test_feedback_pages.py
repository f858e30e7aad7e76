"""The team's comments and action plan through the pages and the API: what a team leader
writes lands in the database, a refused form keeps what was typed, and the plan shows up
on the team page, in the report and beside the items of the next review."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import ActionItem, ActionStatus, Review, ReviewReviewer, Role, TeamComment, utcnow
from tests.factories import make_team, make_user
from tests.services.test_feedback import just_finalised
from tests.services.test_profiles import finalised, in_progress
from tests.web.signin import parse, sign_in


def add_action(session: Session, review: Review, due: date, **fields: object) -> ActionItem:
    action = ActionItem(
        team_id=review.team_id,
        review_id=review.id or 0,
        item_key=str(fields.pop("item_key", "disclosure")),
        what=str(fields.pop("what", "Faste møder med psykiatrien")),
        who="Teamleder",
        due_date=due,
        **fields,  # type: ignore[arg-type]
    )
    session.add(action)
    session.commit()
    return action


def test_a_team_leader_makes_an_action_from_a_recommendation(
    client: TestClient, session: Session
) -> None:
    team = make_team(session)
    review = just_finalised(session, team)
    csrf = sign_in(client, make_user(session, role=Role.TEAM_LEADER, teams=(team,)).username)
    page = parse(client.get(f"/reviews/{review.id}/feedback").text)
    recommended = page.select("section.feedback-items")[0].select("article.feedback-item")
    assert len(recommended) == 24  # every item scored 3 has a recommendation; one scored 5
    form = page.select_one("#item-disclosure form[action$='/actions']")
    assert form is not None
    assert {field["name"] for field in form.select("[name]")} >= {"what", "who", "due_date"}
    due = (date.today() + timedelta(days=90)).isoformat()

    response = client.post(
        str(form["action"]),
        data={
            "csrf_token": csrf,
            "what": "Møde med psykiatrien hver 14. dag",
            "who": "Teamleder",
            "due_date": due,
        },
        follow_redirects=False,
    )

    assert response.status_code == 303
    [action] = session.exec(select(ActionItem).where(ActionItem.review_id == review.id)).all()
    assert response.headers["location"] == f"/reviews/{review.id}/feedback#action-{action.id}"
    assert (action.item_key, action.what, action.due_date.isoformat()) == (
        "disclosure",
        "Møde med psykiatrien hver 14. dag",
        due,
    )
    team_page = parse(client.get(f"/teams/{team.id}").text)
    row = team_page.select_one(f"#action-{action.id}")
    assert row is not None
    assert "Møde med psykiatrien hver 14. dag" in row.get_text() and due in row.get_text()
    assert "Åben" in row.get_text() and "Overskredet" not in row.get_text()


def test_a_refused_action_keeps_what_was_typed_and_writes_nothing(
    client: TestClient, session: Session
) -> None:
    team = make_team(session)
    review = just_finalised(session, team)
    csrf = sign_in(client, make_user(session, role=Role.TEAM_LEADER, teams=(team,)).username)
    yesterday = (date.today() - timedelta(days=2)).isoformat()

    response = client.post(
        f"/reviews/{review.id}/feedback/disclosure/actions",
        data={
            "csrf_token": csrf,
            "what": "Ny plan for åbenhed",
            "who": "Mette",
            "due_date": yesterday,
        },
    )

    assert response.status_code == 422
    page = parse(response.text)
    error = page.select_one("#error-new-action-disclosure")
    assert error is not None and "allerede passeret" in error.get_text()
    form = page.select_one("#item-disclosure details.new-action")
    assert form is not None and form.has_attr("open")
    assert form.select_one("textarea[name='what']").get_text() == "Ny plan for åbenhed"  # type: ignore[union-attr]
    assert form.select_one("input[name='who']")["value"] == "Mette"  # type: ignore[index]
    assert form.select_one("input[name='due_date']")["value"] == yesterday  # type: ignore[index]
    assert form.select_one("input[name='due_date']")["aria-invalid"] == "true"  # type: ignore[index]
    assert session.exec(select(ActionItem)).all() == []

    empty = client.post(
        f"/reviews/{review.id}/feedback/disclosure/actions",
        data={"csrf_token": csrf, "what": " ", "who": "Mette", "due_date": "2099-01-01"},
    )
    assert empty.status_code == 422
    assert (
        "Skriv, hvad teamet vil gøre"
        in parse(empty.text).select_one("#error-new-action-disclosure").get_text()
    )  # type: ignore[union-attr]


def test_comments_are_open_for_the_window_and_then_read_only(
    client: TestClient, session: Session
) -> None:
    team = make_team(session)
    review = just_finalised(session, team)
    csrf = sign_in(client, make_user(session, role=Role.TEAM_LEADER, teams=(team,)).username)

    saved = client.post(
        f"/reviews/{review.id}/feedback/disclosure/comment",
        data={"csrf_token": csrf, "body": "Vi er uenige i scoren: se vores notat."},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/reviews/{review.id}/feedback#item-disclosure"
    stored = session.exec(select(TeamComment)).one()
    assert stored.body == "Vi er uenige i scoren: se vores notat."

    review.finalised_at = utcnow() - timedelta(days=15)  # the 14-day window has passed
    session.add(review)
    session.commit()
    page = parse(client.get(f"/reviews/{review.id}/feedback").text)
    assert page.select("form.comment-form") == []
    assert "Fristen for teamets kommentarer udløb" in page.select_one("main").get_text()  # type: ignore[union-attr]
    shown = page.select_one("#item-disclosure .team-comment")
    assert shown is not None and "Vi er uenige i scoren" in shown.get_text()

    late = client.post(
        f"/reviews/{review.id}/feedback/disclosure/comment",
        data={"csrf_token": csrf, "body": "En sen tilføjelse"},
    )
    assert late.status_code == 409
    error = parse(late.text).select_one("#error-comment-disclosure")
    assert error is not None and "udløb" in error.get_text()
    session.refresh(stored)
    assert stored.body == "Vi er uenige i scoren: se vores notat."


def test_the_team_page_moves_an_action_along_and_flags_the_overdue(
    client: TestClient, session: Session
) -> None:
    team = make_team(session)
    review = finalised(session, team, date(2025, 3, 1), {})
    overdue = add_action(session, review, date.today() - timedelta(days=3), what="Overskredet plan")
    upcoming = add_action(session, review, date.today() + timedelta(days=40))
    csrf = sign_in(client, make_user(session, role=Role.TEAM_LEADER, teams=(team,)).username)
    page = parse(client.get(f"/teams/{team.id}").text)
    summary = page.select_one(".action-plan > p")
    assert summary is not None and summary.get_text() == "2 åbne handlinger (1 overskredet)"
    assert "Overskredet" in page.select_one(f"#action-{overdue.id}").get_text()  # type: ignore[union-attr]
    assert "Overskredet" not in page.select_one(f"#action-{upcoming.id}").get_text()  # type: ignore[union-attr]
    form = page.select_one(f"#action-{overdue.id} form")
    assert form is not None and form.select_one(f"label[for='status-{overdue.id}']") is not None

    response = client.post(
        str(form["action"]),
        data={"csrf_token": csrf, "status": "done", "return_to": "team"},
        follow_redirects=False,
    )

    # Done, it moves to the folded list of done actions: back to the plan's heading.
    assert response.headers["location"] == f"/teams/{team.id}#plan-heading"
    session.refresh(overdue)
    assert overdue.status == ActionStatus.DONE and overdue.completed_at is not None
    after = parse(client.get(f"/teams/{team.id}").text)
    assert after.select_one(".action-plan > p").get_text() == "1 åben handling (0 overskredet)"  # type: ignore[union-attr]
    done = after.select_one("details.done-actions")
    assert done is not None and "Overskredet plan" in done.get_text()


def test_others_read_the_plan_without_forms(client: TestClient, session: Session) -> None:
    team = make_team(session, municipalities=(101,))
    review = just_finalised(session, team)
    add_action(session, review, date.today() + timedelta(days=10))
    session.add(TeamComment(review_id=review.id or 0, item_key="disclosure", body="Enige"))
    session.commit()
    sign_in(client, make_user(session, role=Role.AMBASSADOR, regions=(1084,)).username)

    page = parse(client.get(f"/reviews/{review.id}/feedback").text)

    assert page.select("main form") == []
    assert "Teamets leder skriver" in page.select_one("main .notice").get_text()  # type: ignore[union-attr]
    assert "Faste møder med psykiatrien" in page.select_one("#item-disclosure").get_text()  # type: ignore[union-attr]
    detail = parse(client.get(f"/reviews/{review.id}").text)
    link = detail.select_one(".feedback-link")
    assert link is not None and "1 kommentarer fra teamet, 1 handlinger" in link.get_text()


def test_the_next_reviews_scoring_screen_shows_last_years_actions(
    client: TestClient, session: Session
) -> None:
    team = make_team(session, municipalities=(101,))
    last = finalised(session, team, date(2025, 3, 1), {})
    add_action(session, last, date(2025, 9, 1), what="Møder med psykiatrien", status="in_progress")
    ambassador = make_user(session, regions=(1084,))
    upcoming = in_progress(session, last, date(2026, 3, 1))
    session.add(
        ReviewReviewer(review_id=upcoming.id or 0, user_id=ambassador.id or 0, is_lead=True)
    )
    session.commit()
    sign_in(client, ambassador.username)

    page = parse(client.get(f"/reviews/{upcoming.id}/score").text)

    aside = page.select_one("#item-disclosure .earlier-actions")
    assert aside is not None
    text = aside.get_text(" ", strip=True)
    assert "Møder med psykiatrien" in text and "I gang" in text and "Overskredet" in text
    assert "2025-03-01" in text
    assert len(page.select(".earlier-actions")) == 1


def test_the_report_carries_the_comments_and_the_plan(client: TestClient, session: Session) -> None:
    team = make_team(session)
    review = just_finalised(session, team)
    add_action(session, review, date.today() + timedelta(days=10), what="Plan for jobudvikling")
    session.add(TeamComment(review_id=review.id or 0, item_key="disclosure", body="Vi er enige"))
    session.commit()
    sign_in(client, make_user(session, role=Role.TEAM_LEADER, teams=(team,)).username)

    page = parse(client.get(f"/reviews/{review.id}/report").text)

    comments = page.select_one("section.team-comments")
    assert comments is not None and "Vi er enige" in comments.get_text()
    actions = page.select("section.report-actions tbody tr")
    assert len(actions) == 1 and "Plan for jobudvikling" in actions[0].get_text()


def test_the_api_lists_the_plan(client: TestClient, session: Session) -> None:
    team = make_team(session)
    review = finalised(session, team, date(2025, 3, 1), {})
    late = add_action(session, review, date.today() - timedelta(days=1))
    done = add_action(session, review, date.today() - timedelta(days=5), status="done")
    sign_in(client, make_user(session, role=Role.ANALYST).username)

    found = client.get(f"/api/v1/teams/{team.id}/actions").json()

    assert [(a["id"], a["status"], a["overdue"]) for a in found] == [
        (late.id, "open", True),
        (done.id, "done", False),
    ]
    assert found[0]["item_number"] == 13 and found[0]["review_visit_date"] == "2025-03-01"


def test_a_refused_form_with_control_characters_is_still_a_valid_page(
    client: TestClient, session: Session
) -> None:
    team = make_team(session)
    review = just_finalised(session, team)
    csrf = sign_in(client, make_user(session, role=Role.TEAM_LEADER, teams=(team,)).username)
    url = f"/reviews/{review.id}/feedback/disclosure/actions"

    nul = client.post(
        url, data={"csrf_token": csrf, "what": "Plan\x00", "who": "Mette", "due_date": "2099-01-01"}
    )
    assert nul.status_code == 422
    page = parse(nul.text)  # strict: a NUL echoed back would fail here
    what = page.select_one("#item-disclosure details.new-action textarea[name='what']")
    assert what is not None and what.get_text() == "Plan"

    bad_date = client.post(
        url, data={"csrf_token": csrf, "what": "Plan", "who": "Mette", "due_date": "2026-02-30"}
    )
    assert bad_date.status_code == 422
    form = parse(bad_date.text).select_one("#item-disclosure details.new-action")
    assert form is not None
    error = form.select_one("#error-new-action-disclosure")
    assert error is not None and "Fristen skal være en dato" in error.get_text()
    # Only the field the refusal is about is marked invalid.
    assert form.select_one("textarea[name='what']").get("aria-invalid") is None  # type: ignore[union-attr]
    assert form.select_one("input[name='due_date']").get("aria-invalid") == "true"  # type: ignore[union-attr]
    assert session.exec(select(ActionItem)).all() == []


def test_the_report_holds_only_its_own_reviews_actions(
    client: TestClient, session: Session
) -> None:
    team = make_team(session)
    earlier = finalised(session, team, date(2024, 3, 1), {})
    review = just_finalised(session, team)
    add_action(session, earlier, date.today() + timedelta(days=10), what="Fra sidste år")
    add_action(session, review, date.today() + timedelta(days=10), what="Fra i år")
    sign_in(client, make_user(session, role=Role.TEAM_LEADER, teams=(team,)).username)

    page = parse(client.get(f"/reviews/{review.id}/report").text)

    rows = [row.get_text() for row in page.select("section.report-actions tbody tr")]
    assert len(rows) == 1 and "Fra i år" in rows[0]


def test_the_consensus_screen_shows_last_years_actions(
    client: TestClient, session: Session
) -> None:
    team = make_team(session, municipalities=(101,))
    last = finalised(session, team, date(2025, 3, 1), {})
    add_action(session, last, date(2025, 9, 1), what="Møder med psykiatrien", status="done")
    lead = make_user(session, regions=(1084,))
    upcoming = in_progress(session, last, date(2026, 3, 1))
    upcoming.status = "consensus"
    session.add(upcoming)
    session.add(
        ReviewReviewer(
            review_id=upcoming.id or 0, user_id=lead.id or 0, is_lead=True, submitted_at=utcnow()
        )
    )
    session.commit()
    sign_in(client, lead.username)

    page = parse(client.get(f"/reviews/{upcoming.id}/consensus").text)

    shown = page.select_one("#item-disclosure .earlier-actions")
    assert shown is not None
    assert "Møder med psykiatrien" in shown.get_text() and "Udført" in shown.get_text()
    assert "Overskredet" not in shown.get_text()  # done is never overdue


def test_a_team_leaders_front_page_counts_the_open_actions(
    client: TestClient, session: Session
) -> None:
    team = make_team(session)
    review = finalised(session, team, date(2025, 3, 1), {})
    add_action(session, review, date.today() - timedelta(days=3))
    add_action(session, review, date.today() + timedelta(days=30))
    add_action(session, review, date.today() - timedelta(days=30), status="done")
    sign_in(client, make_user(session, role=Role.TEAM_LEADER, teams=(team,)).username)

    link = parse(client.get("/").text).select_one(f"a[href='/teams/{team.id}#plan-heading']")

    assert link is not None and link.get_text() == "2 åbne handlinger (1 overskredet)"
