"""The team's action plan: what an action must say, due dates against today, done and
reopened, removal kept in the audit trail, the plan's order, which actions the next
review's reviewers see, and actions of a reopened review out of reach."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from app.errors import Invalid, NotFound
from app.models import ActionItem, ActionStatus, Review, Role
from app.services import access, action_plan
from tests.factories import make_team, make_user
from tests.services.test_feedback import TODAY, events, just_finalised, leader_of, plan
from tests.services.test_profiles import finalised, in_progress


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
    session: Session, change: action_plan.ActionInput, key: str
) -> None:
    team = make_team(session)
    review = just_finalised(session, team)
    leader = leader_of(session, team)
    with pytest.raises(Invalid) as refused:
        action_plan.create_action(
            session,
            principal=leader,
            review_id=review.id or 0,
            item_key="disclosure",
            change=change,
            today=TODAY,
        )
    assert refused.value.key == key
    assert session.exec(select(ActionItem)).all() == []
    assert events(session, "action.created") == []


def test_an_action_due_today_is_made_for_the_team_and_audited(session: Session) -> None:
    team = make_team(session)
    review = just_finalised(session, team)
    leader = leader_of(session, team)

    action = action_plan.create_action(
        session,
        principal=leader,
        review_id=review.id or 0,
        item_key="disclosure",
        change=plan(due=TODAY),
        today=TODAY,
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
    action = action_plan.create_action(
        session,
        principal=leader,
        review_id=review.id or 0,
        item_key="disclosure",
        change=plan(due=TODAY),
        today=TODAY,
    )
    later = TODAY + timedelta(days=10)  # the due date has passed by now

    kept = action_plan.ActionInput("Nyt indhold", "Teamleder", TODAY.isoformat(), "in_progress")
    action_plan.update_action(
        session, principal=leader, action_id=action.id or 0, change=kept, today=later
    )
    assert session.get(ActionItem, action.id).what == "Nyt indhold"  # type: ignore[union-attr]

    moved = action_plan.ActionInput(
        "Nyt indhold", "Teamleder", (later - timedelta(days=1)).isoformat()
    )
    with pytest.raises(Invalid) as refused:
        action_plan.update_action(
            session, principal=leader, action_id=action.id or 0, change=moved, today=later
        )
    assert refused.value.key == "err_action_due_past"
    assert session.get(ActionItem, action.id).due_date == TODAY  # type: ignore[union-attr]


def test_done_records_when_and_reopening_clears_it(session: Session) -> None:
    team = make_team(session)
    review = just_finalised(session, team)
    leader = leader_of(session, team)
    action = action_plan.create_action(
        session,
        principal=leader,
        review_id=review.id or 0,
        item_key="disclosure",
        change=plan(),
        today=TODAY,
    )

    action_plan.set_status(session, principal=leader, action_id=action.id or 0, status="done")
    assert action.completed_at is not None and action.status == "done"
    action_plan.set_status(
        session, principal=leader, action_id=action.id or 0, status="in_progress"
    )
    assert action.completed_at is None
    with pytest.raises(Invalid):
        action_plan.set_status(
            session, principal=leader, action_id=action.id or 0, status="finished"
        )
    updates = events(session, "action.updated")
    assert [(e.before["status"], e.after["status"]) for e in updates] == [  # type: ignore[index]
        ("open", "done"),
        ("done", "in_progress"),
    ]


def test_a_deleted_action_is_gone_but_kept_in_the_audit_trail(session: Session) -> None:
    team = make_team(session)
    review = just_finalised(session, team)
    leader = leader_of(session, team)
    action = action_plan.create_action(
        session,
        principal=leader,
        review_id=review.id or 0,
        item_key="disclosure",
        change=plan(),
        today=TODAY,
    )

    assert (
        action_plan.delete_action(session, principal=leader, action_id=action.id or 0) == review.id
    )
    assert session.get(ActionItem, action.id) is None
    [deleted] = events(session, "action.deleted")
    assert deleted.before["what"] == "Faste møder med psykiatrien"  # type: ignore[index]


def test_the_plan_lists_open_actions_soonest_first_and_done_ones_last(session: Session) -> None:
    team = make_team(session)
    review = just_finalised(session, team)
    leader = leader_of(session, team)
    made = {
        due: action_plan.create_action(
            session,
            principal=leader,
            review_id=review.id or 0,
            item_key="disclosure",
            change=plan(text=f"due {due}", due=due),
            today=TODAY,
        )
        for due in (TODAY + timedelta(days=30), TODAY, TODAY + timedelta(days=5))
    }
    action_plan.set_status(session, principal=leader, action_id=made[TODAY].id or 0, status="done")

    found = action_plan.team_actions(session, principal=leader, team_id=team.id or 0)

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

    found = action_plan.earlier_actions(session, review=upcoming)

    assert {key: sorted(p.action.what for p in found[key]) for key in found} == {
        "disclosure": ["last year, done", "old and still open"],
        "rapid-job-search": ["last year, under way"],
    }
    assert action_plan.earlier_actions(session, review=oldest) == {}


def test_actions_of_a_reopened_review_are_out_of_sight_and_untouchable(session: Session) -> None:
    team = make_team(session)
    review = just_finalised(session, team)
    leader = leader_of(session, team)
    analyst = access.principal_for(session, user=make_user(session, role=Role.ANALYST))
    admin = access.principal_for(session, user=make_user(session, role=Role.ADMIN))
    action = action_plan.create_action(
        session,
        principal=leader,
        review_id=review.id or 0,
        item_key="disclosure",
        change=plan(),
        today=TODAY,
    )
    review.status, review.finalised_at = "consensus", None  # as reopening leaves it
    session.add(review)
    session.commit()

    assert action_plan.team_actions(session, principal=leader, team_id=team.id or 0) == []
    assert action_plan.team_actions(session, principal=analyst, team_id=team.id or 0) == []
    assert [
        p.action.id
        for p in action_plan.team_actions(session, principal=admin, team_id=team.id or 0)
    ] == [action.id]
    for attempt in (
        lambda: action_plan.set_status(
            session, principal=leader, action_id=action.id or 0, status="done"
        ),
        lambda: action_plan.update_action(
            session, principal=leader, action_id=action.id or 0, change=plan(), today=TODAY
        ),
        lambda: action_plan.delete_action(session, principal=leader, action_id=action.id or 0),
    ):
        with pytest.raises(NotFound):
            attempt()
    stored = session.get(ActionItem, action.id)
    assert stored is not None and stored.status == "open"
