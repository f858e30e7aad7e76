"""The teams due for a review: in the caller's regions and theirs to plan, never reviewed
and most overdue first, bounded, and kept between requests until a review is planned."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from app.models import ReviewReviewer, Role
from app.services import access, follow_up
from app.services.access import Principal
from tests.factories import make_scale_version, make_team, make_user
from tests.services.test_profiles import ADMIN, finalised


def test_an_ambassador_sees_the_teams_due_in_their_regions(session: Session) -> None:
    ambassador = make_user(session, regions=(1084,))  # Hovedstaden
    never = make_team(session, municipalities=(101,))
    overdue = make_team(session, municipalities=(147,))
    finalised(session, overdue, date(2025, 1, 15), {}, default=3)  # due 2025-07-15
    soon = make_team(session, municipalities=(151,))
    finalised(session, soon, date(2025, 12, 20), {}, default=4)  # due 2026-12-20
    later = make_team(session, municipalities=(153,))
    finalised(session, later, date(2026, 6, 1), {}, default=4)  # due 2027-06-01
    elsewhere = make_team(session, municipalities=(751,))  # Midtjylland
    principal = Principal(
        ambassador.id, ambassador.username, "A", Role.AMBASSADOR, regions=frozenset({1084})
    )

    due = follow_up.due_teams(
        session, principal=principal, today=date(2026, 11, 24), months_below_good=6, months=12
    )

    assert due.total == 3
    names = [team.name for team in due.teams]
    assert never.name in names and overdue.name in names and soon.name in names
    assert later.name not in names and elsewhere.name not in names
    assert names.index(never.name) < names.index(overdue.name) < names.index(soon.name)
    found = {team.name: team for team in due.teams}
    assert found[overdue.name].due == date(2025, 7, 15)
    assert found[overdue.name].overdue(date(2026, 11, 24))
    assert not found[soon.name].overdue(date(2026, 11, 24))


def test_the_due_list_holds_only_teams_the_ambassador_may_plan_for(session: Session) -> None:
    """An ambassador assigned to one visit of a team outside their regions still sees
    that team, but may not plan its next review, so it is not on their due list; an
    administrator's list has it."""
    ambassador = make_user(session, regions=(1084,))
    team = make_team(session, municipalities=(751,))  # Midtjylland
    seen = finalised(session, team, date(2024, 2, 1), {}, default=4)
    session.add(ReviewReviewer(review_id=seen.id or 0, user_id=ambassador.id or 0, is_lead=True))
    session.commit()
    home = make_team(session, municipalities=(101,))  # Hovedstaden, never reviewed
    principal = Principal(
        ambassador.id, ambassador.username, "A", Role.AMBASSADOR, regions=frozenset({1084})
    )

    due = follow_up.due_teams(
        session, principal=principal, today=date(2026, 11, 24), months_below_good=6, months=12
    )
    everyone = follow_up.due_teams(
        session, principal=ADMIN, today=date(2026, 11, 24), months_below_good=6, months=12
    )

    assert access.visible_team(session, principal=principal, team_id=team.id or 0) == team
    assert [entry.team_id for entry in due.teams] == [home.id]
    assert {team.id, home.id} <= {entry.team_id for entry in everyone.teams}


def test_the_due_list_is_bounded_and_counts_the_rest(session: Session) -> None:
    made = [make_team(session, municipalities=(101,)) for _ in range(5)]

    due = follow_up.due_teams(
        session, principal=ADMIN, today=date(2026, 11, 24), months_below_good=6, months=12, limit=2
    )

    assert len(due.teams) == 2
    assert due.total >= len(made)
    assert [t.name for t in due.teams] == sorted(t.name for t in due.teams)


def test_the_due_list_kept_between_requests_follows_a_review_planned_since(
    session: Session,
) -> None:
    from app.services import planning

    team = make_team(session, municipalities=(101,))
    make_scale_version(session)
    first, second = make_user(session), make_user(session)

    def entry() -> follow_up.DueTeam:
        due = follow_up.due_teams(
            session,
            principal=ADMIN,
            today=date(2026, 11, 24),
            months_below_good=6,
            months=12,
            limit=500,
        )
        return next(t for t in due.teams if t.team_id == team.id)

    assert not entry().in_progress
    planning.plan_review(
        session, principal=ADMIN, team_id=team.id or 0, visit_date=date(2026, 12, 1),
        reviewer_usernames=[first.username, second.username], lead_username=first.username,
    )  # fmt: skip
    session.commit()
    assert entry().in_progress
