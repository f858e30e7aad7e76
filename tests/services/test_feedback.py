"""The team's comments: each step audited, the feedback window, and who may write on a
finalised review (the rule the action plan follows too)."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from app.errors import Conflict, Forbidden, NotFound
from app.models import ActionItem, AuditEvent, Review, Role, Team, TeamComment, utcnow
from app.services import access, action_plan, feedback
from app.services.access import Principal
from tests.factories import make_team, make_user
from tests.services.test_profiles import finalised

TODAY = date(2026, 11, 24)
DAYS = 14


def leader_of(session: Session, team: Team) -> Principal:
    return access.principal_for(
        session, user=make_user(session, role=Role.TEAM_LEADER, teams=(team,))
    )


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
    return action_plan.ActionInput(what=text, who=who, due_date=str(due))


def test_a_comment_is_written_replaced_and_removed_with_each_step_audited(
    session: Session,
) -> None:
    team = make_team(session)
    review = just_finalised(session, team)
    leader = leader_of(session, team)

    feedback.save_comment(
        session,
        principal=leader,
        review_id=review.id or 0,
        item_key="disclosure",
        body="  Enige  ",
        feedback_days=DAYS,
    )
    feedback.save_comment(
        session,
        principal=leader,
        review_id=review.id or 0,
        item_key="disclosure",
        body="Delvist enige",
        feedback_days=DAYS,
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

    feedback.save_comment(
        session,
        principal=leader,
        review_id=review.id or 0,
        item_key="disclosure",
        body="   ",
        feedback_days=DAYS,
    )
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
        session, principal=leader, review_id=review.id or 0, item_key="disclosure",
        body="I tide", feedback_days=DAYS, now=closes - timedelta(seconds=1),
    )  # fmt: skip
    with pytest.raises(Conflict) as refused:
        feedback.save_comment(
            session,
            principal=leader,
            review_id=review.id or 0,
            item_key="disclosure",
            body="For sent",
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
        principal=leader,
        review_id=review.id or 0,
        item_key="disclosure",
        body="For sent",
        feedback_days=DAYS + 1,
        now=closes,
    )
    assert comment(session, review, "disclosure").body == "For sent"  # type: ignore[union-attr]


def test_only_the_teams_own_leader_writes(session: Session) -> None:
    team, other = make_team(session, municipalities=(101,)), make_team(session)
    review = just_finalised(session, team)
    ambassador = access.principal_for(session, user=make_user(session, regions=(1084,)))
    admin = access.principal_for(session, user=make_user(session, role=Role.ADMIN))
    stranger = leader_of(session, other)

    for principal in (ambassador, admin):
        with pytest.raises(Forbidden):
            feedback.save_comment(
                session,
                principal=principal,
                review_id=review.id or 0,
                item_key="disclosure",
                body="x",
                feedback_days=DAYS,
            )
        with pytest.raises(Forbidden):
            action_plan.create_action(
                session,
                principal=principal,
                review_id=review.id or 0,
                item_key="disclosure",
                change=plan(),
                today=TODAY,
            )
    with pytest.raises(NotFound):  # another team's leader cannot even see the review
        action_plan.create_action(
            session,
            principal=stranger,
            review_id=review.id or 0,
            item_key="disclosure",
            change=plan(),
            today=TODAY,
        )
    assert session.exec(select(ActionItem)).all() == []
    assert session.exec(select(TeamComment)).all() == []


def test_an_unknown_item_is_refused(session: Session) -> None:
    team = make_team(session)
    review = just_finalised(session, team)
    leader = leader_of(session, team)
    with pytest.raises(NotFound):
        feedback.save_comment(
            session,
            principal=leader,
            review_id=review.id or 0,
            item_key="no-such-item",
            body="x",
            feedback_days=DAYS,
        )
    with pytest.raises(NotFound):
        action_plan.create_action(
            session,
            principal=leader,
            review_id=review.id or 0,
            item_key="no-such-item",
            change=plan(),
            today=TODAY,
        )
