"""The team's comments and action plan: who may write, the feedback window, what an
action must say, and which actions the next review's reviewers see."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.models import ActionItem, ActionStatus, AuditEvent, Review, Role, Team, TeamComment, utcnow
from app.services import access, feedback
from app.services.access import Principal
from tests.factories import make_team, make_user
from tests.services.test_profiles import finalised, in_progress

TODAY = date(2026, 11, 24)
DAYS = 14


def leader_of(session: Session, team: Team) -> Principal:
    return access.principal_for(session, make_user(session, role=Role.TEAM_LEADER, teams=(team,)))


def just_finalised(session: Session, team: Team, visit: date = date(2026, 10, 1)) -> Review:
    """A finalised review whose feedback window opened a minute ago; item scores of 3
    carry a recommendation."""
    review = finalised(session, team, visit, {"zero-exclusion-criteria": 5}, default=3)
    review.finalised_at = utcnow() - timedelta(minutes=1)
    session.add(review)
    session.commit()
    return review


def events(session: Session, action: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.id))
    return list(session.exec(query))


def comment(session: Session, review: Review, item_key: str) -> TeamComment | None:
    query = select(TeamComment).where(
        TeamComment.review_id == review.id, TeamComment.item_key == item_key
    )
    return session.exec(query).first()


def plan(
    text: str = "Faste møder med psykiatrien", who: str = "Teamleder", due: date | str = TODAY
):
    return feedback.ActionInput(what=text, who=who, due_date=str(due))


def test_a_comment_is_written_replaced_and_removed_with_each_step_audited(
    session: Session,
) -> None:
    team = make_team(session)
    review = just_finalised(session, team)
    leader = leader_of(session, team)

    feedback.save_comment(
        session, leader, review.id or 0, "disclosure", "  Enige  ", feedback_days=DAYS
    )
    feedback.save_comment(
        session, leader, review.id or 0, "disclosure", "Delvist enige", feedback_days=DAYS
    )
    stored = comment(session, review, "disclosure")
    assert stored is not None and stored.body == "Delvist enige"
    assert stored.updated_by_id == leader.user_id
    saved = events(session, "team_comment.saved")
    assert [event.after for event in saved] == [
        {"item": "disclosure", "body": "Enige"},
        {"item": "disclosure", "body": "Delvist enige"},
    ]
    assert saved[1].before == {"item": "disclosure", "body": "Enige"}

    feedback.save_comment(session, leader, review.id or 0, "disclosure", "   ", feedback_days=DAYS)
    assert comment(session, review, "disclosure") is None
    deleted = events(session, "team_comment.deleted")
    assert len(deleted) == 1 and deleted[0].before == {
        "item": "disclosure",
        "body": "Delvist enige",
    }


def test_the_feedback_window_closes_after_the_configured_days(session: Session) -> None:
    team = make_team(session)
    review = just_finalised(session, team)
    leader = leader_of(session, team)
    assert review.finalised_at is not None
    closes = review.finalised_at + timedelta(days=DAYS)

    feedback.save_comment(
        session, leader, review.id or 0, "disclosure", "I tide", feedback_days=DAYS,
        now=closes - timedelta(seconds=1),
    )  # fmt: skip
    with pytest.raises(Conflict) as refused:
        feedback.save_comment(
            session,
            leader,
            review.id or 0,
            "disclosure",
            "For sent",
            feedback_days=DAYS,
            now=closes,
        )
    assert refused.value.key == "err_feedback_closed"
    told = closes.astimezone(ZoneInfo("Europe/Copenhagen")).strftime("%Y-%m-%d %H:%M")
    assert told in refused.value.message("da")  # in local time, as the page says it
    stored = comment(session, review, "disclosure")
    assert stored is not None and stored.body == "I tide"
    assert len(events(session, "team_comment.saved")) == 1
    # A longer window (the setting) lets the same comment in.
    feedback.save_comment(
        session,
        leader,
        review.id or 0,
        "disclosure",
        "For sent",
        feedback_days=DAYS + 1,
        now=closes,
    )
    assert comment(session, review, "disclosure").body == "For sent"  # type: ignore[union-attr]


def test_only_the_teams_own_leader_writes(session: Session) -> None:
    team, other = make_team(session, municipalities=(101,)), make_team(session)
    review = just_finalised(session, team)
    ambassador = access.principal_for(session, make_user(session, regions=(1084,)))
    admin = access.principal_for(session, make_user(session, role=Role.ADMIN))
    stranger = leader_of(session, other)

    for principal in (ambassador, admin):
        with pytest.raises(Forbidden):
            feedback.save_comment(
                session, principal, review.id or 0, "disclosure", "x", feedback_days=DAYS
            )
        with pytest.raises(Forbidden):
            feedback.create_action(
                session, principal, review.id or 0, "disclosure", plan(), today=TODAY
            )
    with pytest.raises(NotFound):  # another team's leader cannot even see the review
        feedback.create_action(session, stranger, review.id or 0, "disclosure", plan(), today=TODAY)
    assert session.exec(select(ActionItem)).all() == []
    assert session.exec(select(TeamComment)).all() == []


def test_an_unknown_item_is_refused(session: Session) -> None:
    team = make_team(session)
    review = just_finalised(session, team)
    leader = leader_of(session, team)
    with pytest.raises(NotFound):
        feedback.save_comment(
            session, leader, review.id or 0, "no-such-item", "x", feedback_days=DAYS
        )
    with pytest.raises(NotFound):
        feedback.create_action(session, leader, review.id or 0, "no-such-item", plan(), today=TODAY)


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (plan(text="   "), "err_action_what"),
        (plan(who=""), "err_action_who"),
        (plan(due=""), "err_action_due"),
        (plan(due="24-11-2026"), "err_action_due_bad"),
        (plan(due="2026-02-30"), "err_action_due_bad"),
        (plan(due=TODAY - timedelta(days=1)), "err_action_due_past"),
        (plan(text="x" * 1001), "err_action_what_long"),
    ],
)
def test_an_action_without_text_or_with_a_past_due_date_is_refused(
    session: Session, change: feedback.ActionInput, key: str
) -> None:
    team = make_team(session)
    review = just_finalised(session, team)
    leader = leader_of(session, team)
    with pytest.raises(Invalid) as refused:
        feedback.create_action(session, leader, review.id or 0, "disclosure", change, today=TODAY)
    assert refused.value.key == key
    assert session.exec(select(ActionItem)).all() == []
    assert events(session, "action.created") == []


def test_an_action_due_today_is_made_for_the_team_and_audited(session: Session) -> None:
    team = make_team(session)
    review = just_finalised(session, team)
    leader = leader_of(session, team)

    action = feedback.create_action(
        session, leader, review.id or 0, "disclosure", plan(due=TODAY), today=TODAY
    )

    stored = session.get(ActionItem, action.id)
    assert stored is not None
    assert (stored.team_id, stored.review_id, stored.item_key) == (team.id, review.id, "disclosure")
    assert (stored.what, stored.who, stored.due_date) == (
        "Faste møder med psykiatrien",
        "Teamleder",
        TODAY,
    )
    assert stored.status == ActionStatus.OPEN and stored.created_by_id == leader.user_id
    [created] = events(session, "action.created")
    assert created.entity_id == str(action.id) and created.after["due_date"] == TODAY.isoformat()  # type: ignore[index]


def test_a_passed_due_date_may_stay_but_not_be_moved_into_the_past(session: Session) -> None:
    team = make_team(session)
    review = just_finalised(session, team)
    leader = leader_of(session, team)
    action = feedback.create_action(
        session, leader, review.id or 0, "disclosure", plan(due=TODAY), today=TODAY
    )
    later = TODAY + timedelta(days=10)  # the due date has passed by now

    kept = feedback.ActionInput("Nyt indhold", "Teamleder", TODAY.isoformat(), "in_progress")
    feedback.update_action(session, leader, action.id or 0, kept, today=later)
    assert session.get(ActionItem, action.id).what == "Nyt indhold"  # type: ignore[union-attr]

    moved = feedback.ActionInput(
        "Nyt indhold", "Teamleder", (later - timedelta(days=1)).isoformat()
    )
    with pytest.raises(Invalid) as refused:
        feedback.update_action(session, leader, action.id or 0, moved, today=later)
    assert refused.value.key == "err_action_due_past"
    assert session.get(ActionItem, action.id).due_date == TODAY  # type: ignore[union-attr]


def test_done_records_when_and_reopening_clears_it(session: Session) -> None:
    team = make_team(session)
    review = just_finalised(session, team)
    leader = leader_of(session, team)
    action = feedback.create_action(
        session, leader, review.id or 0, "disclosure", plan(), today=TODAY
    )

    feedback.set_status(session, leader, action.id or 0, "done")
    assert action.completed_at is not None and action.status == "done"
    feedback.set_status(session, leader, action.id or 0, "in_progress")
    assert action.completed_at is None
    with pytest.raises(Invalid):
        feedback.set_status(session, leader, action.id or 0, "finished")
    updates = events(session, "action.updated")
    assert [(e.before["status"], e.after["status"]) for e in updates] == [  # type: ignore[index]
        ("open", "done"),
        ("done", "in_progress"),
    ]


def test_a_deleted_action_is_gone_but_kept_in_the_audit_trail(session: Session) -> None:
    team = make_team(session)
    review = just_finalised(session, team)
    leader = leader_of(session, team)
    action = feedback.create_action(
        session, leader, review.id or 0, "disclosure", plan(), today=TODAY
    )

    assert feedback.delete_action(session, leader, action.id or 0) == review.id
    assert session.get(ActionItem, action.id) is None
    [deleted] = events(session, "action.deleted")
    assert deleted.before["what"] == "Faste møder med psykiatrien"  # type: ignore[index]


def test_the_plan_lists_open_actions_soonest_first_and_done_ones_last(session: Session) -> None:
    team = make_team(session)
    review = just_finalised(session, team)
    leader = leader_of(session, team)
    made = {
        due: feedback.create_action(
            session,
            leader,
            review.id or 0,
            "disclosure",
            plan(text=f"due {due}", due=due),
            today=TODAY,
        )
        for due in (TODAY + timedelta(days=30), TODAY, TODAY + timedelta(days=5))
    }
    feedback.set_status(session, leader, made[TODAY].id or 0, "done")

    found = feedback.team_actions(session, leader, team.id or 0)

    assert [p.action.due_date for p in found] == [
        TODAY + timedelta(days=5),
        TODAY + timedelta(days=30),
        TODAY,
    ]
    assert found[0].item is not None and found[0].item.key == "disclosure"
    assert not found[0].overdue(TODAY + timedelta(days=5))  # due today is not overdue yet
    assert found[0].overdue(TODAY + timedelta(days=6))
    assert not found[2].overdue(TODAY + timedelta(days=100))  # done is never overdue


def test_the_next_review_shows_the_last_reviews_actions_and_older_unfinished_ones(
    session: Session,
) -> None:
    team, other_team = make_team(session), make_team(session)
    oldest = finalised(session, team, date(2023, 4, 1), {})
    last = finalised(session, team, date(2024, 4, 1), {})
    elsewhere = finalised(session, other_team, date(2024, 4, 1), {})

    def add(review: Review, item: str, what: str, status: ActionStatus) -> None:
        session.add(
            ActionItem(
                team_id=review.team_id, review_id=review.id or 0, item_key=item, what=what,
                who="Teamleder", due_date=date(2024, 9, 1), status=status,
            )
        )  # fmt: skip

    add(oldest, "disclosure", "old and done", ActionStatus.DONE)
    add(oldest, "disclosure", "old and still open", ActionStatus.OPEN)
    add(last, "disclosure", "last year, done", ActionStatus.DONE)
    add(last, "rapid-job-search", "last year, under way", ActionStatus.IN_PROGRESS)
    add(elsewhere, "disclosure", "another team's", ActionStatus.OPEN)
    session.commit()
    upcoming = in_progress(session, last, date(2025, 4, 1))

    found = feedback.earlier_actions(session, upcoming)

    assert {key: sorted(p.action.what for p in found[key]) for key in found} == {
        "disclosure": ["last year, done", "old and still open"],
        "rapid-job-search": ["last year, under way"],
    }
    assert feedback.earlier_actions(session, oldest) == {}


def test_actions_of_a_reopened_review_are_out_of_sight_and_untouchable(session: Session) -> None:
    team = make_team(session)
    review = just_finalised(session, team)
    leader = leader_of(session, team)
    analyst = access.principal_for(session, make_user(session, role=Role.ANALYST))
    admin = access.principal_for(session, make_user(session, role=Role.ADMIN))
    action = feedback.create_action(
        session, leader, review.id or 0, "disclosure", plan(), today=TODAY
    )
    review.status, review.finalised_at = "consensus", None  # as reopening leaves it
    session.add(review)
    session.commit()

    assert feedback.team_actions(session, leader, team.id or 0) == []
    assert feedback.team_actions(session, analyst, team.id or 0) == []
    assert [p.action.id for p in feedback.team_actions(session, admin, team.id or 0)] == [action.id]
    for attempt in (
        lambda: feedback.set_status(session, leader, action.id or 0, "done"),
        lambda: feedback.update_action(session, leader, action.id or 0, plan(), today=TODAY),
        lambda: feedback.delete_action(session, leader, action.id or 0),
    ):
        with pytest.raises(NotFound):
            attempt()
    stored = session.get(ActionItem, action.id)
    assert stored is not None and stored.status == "open"
