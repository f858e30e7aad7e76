"""A team's profile: finalised reviews only, arithmetic across scale versions and with
not-rated items, the national figures' five-team threshold, and when reviews are due."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session, select

from app.models import RaterKind, Rating, Review, ReviewReviewer, ReviewStatus, Role, Team
from app.scales import scoring
from app.services import access, audit, profiles
from app.services.access import Principal
from tests.factories import make_scale_version, make_team, make_user, shipped_scale

ADMIN = Principal(None, "admin", "Admin", Role.ADMIN)


def finalised(
    session: Session,
    team: Team,
    visit: date,
    scores: dict[str, float | None],
    *,
    key: str = "ips-25",
    version: str = "2019",
    default: float = 3.0,
) -> Review:
    """A finalised review whose consensus gives every item ``default`` unless ``scores``
    says otherwise (None: not rated)."""
    row = make_scale_version(session, key=key, version=version)
    definition = shipped_scale(key, version)
    review = Review(
        team_id=team.id or 0,
        scale_version_id=row.id or 0,
        visit_date=visit,
        status=ReviewStatus.FINALISED,
        finalised_at=datetime(visit.year, visit.month, 28, tzinfo=UTC),
    )
    session.add(review)
    session.commit()
    consensus = {}
    for item in definition.items:
        score = scores.get(item.key, default)
        reason = "Kunne ikke belyses" if score is None else None
        session.add(
            Rating(
                review_id=review.id or 0,
                item_key=item.key,
                rater_kind=RaterKind.CONSENSUS,
                score=score,
                not_rated_reason=reason,
                recommendation="Styrk samarbejdet" if score is not None and score <= 3 else None,
            )
        )
        consensus[item.key] = scoring.ItemScore(score=score, not_rated_reason=reason)
    result = scoring.score_review(definition, consensus)
    review.total_score = result.total
    review.level_key = result.level.key if result.level else None
    review.result = result.to_dict()
    session.add(review)
    # as the service records it: figures kept between requests are keyed by this event
    audit.record(session, action="review.finalised", channel="system", entity_type="review",
                 entity_id=review.id)  # fmt: skip
    session.commit()
    return review


def in_progress(session: Session, like: Review, visit: date) -> Review:
    """A review of the same team on the same scale version, still being scored."""
    review = Review(team_id=like.team_id, scale_version_id=like.scale_version_id, visit_date=visit)
    session.add(review)
    session.commit()
    return review


def items(key: str = "ips-25", version: str = "2019") -> list[str]:
    return [item.key for item in shipped_scale(key, version).items]


def test_the_profile_holds_finalised_reviews_oldest_first(session: Session) -> None:
    team = make_team(session)
    first = finalised(session, team, date(2024, 3, 1), {}, default=3)
    second = finalised(session, team, date(2025, 3, 1), {items()[0]: 5}, default=4)
    in_progress(session, first, date(2026, 3, 1))

    profile = profiles.team_profile(session, ADMIN, team.id or 0)

    assert [r.review_id for r in profile.reviews] == [first.id, second.id]
    latest = profile.latest
    assert latest is not None
    assert latest.total == 4 * 24 + 5 == 101
    assert latest.level is not None and latest.level.key == "good"
    assert latest.items[items()[0]].score == 5
    assert latest.reviewers == []
    change = profile.change()
    assert change == profiles.Change(101 - 75, True, 25)


def test_not_rated_items_are_left_out_of_means_and_counted(session: Session) -> None:
    team = make_team(session)
    definition = shipped_scale()
    skipped = definition.items[0]
    finalised(session, team, date(2025, 5, 1), {skipped.key: None}, default=4)

    latest = profiles.team_profile(session, ADMIN, team.id or 0).latest

    assert latest is not None
    assert latest.items[skipped.key].score is None
    assert latest.items[skipped.key].not_rated_reason == "Kunne ikke belyses"
    assert latest.total == 4 * 24
    assert latest.level is None  # a not-rated item leaves the level open
    for principle in latest.principles:
        members = [i for i in definition.items if principle.key in i.principles]
        rated = [i for i in members if i.key != skipped.key]
        assert principle.item_count == len(members)
        assert principle.rated_count == len(rated)
        assert principle.mean == (4.0 if rated else None)


def test_a_change_across_scale_versions_uses_only_the_shared_items(session: Session) -> None:
    team = make_team(session)
    old_items, new_items = set(items()), set(items("ips-lignende", "2024"))
    shared = old_items & new_items
    assert 0 < len(shared) < len(old_items)
    finalised(session, team, date(2024, 4, 1), {}, default=2)
    finalised(
        session,
        team,
        date(2025, 4, 1),
        dict.fromkeys(new_items - shared, 5),  # the new items alone would swing it
        key="ips-lignende",
        version="2024",
        default=3,
    )

    change = profiles.team_profile(session, ADMIN, team.id or 0).change()

    assert change == profiles.Change(float(len(shared)), False, len(shared))


def test_national_figures_need_five_teams(session: Session) -> None:
    first_item, second_item = items()[:2]
    for number, score in enumerate((1, 2, 3, 4)):
        finalised(
            session,
            make_team(session),
            date(2025, 6, 1 + number),
            {first_item: score, second_item: None if number else 5},
        )
    row = make_scale_version(session)
    assert profiles.national_items(session, row.id or 0, 2025) == ({}, 0)

    finalised(session, make_team(session), date(2025, 6, 9), {first_item: 5})
    national, teams = profiles.national_items(session, row.id or 0, 2025)

    assert teams == 5
    assert national[first_item] == profiles.NationalItem(3.0, 2.0, 4.0, 5)
    assert second_item not in national, "only two teams scored it"
    assert profiles.national_items(session, row.id or 0, 2024) == ({}, 0)


def test_a_teams_latest_review_of_the_year_is_the_one_counted(session: Session) -> None:
    first_item = items()[0]
    repeated = make_team(session)
    finalised(session, repeated, date(2025, 1, 10), {first_item: 1})
    finalised(session, repeated, date(2025, 9, 10), {first_item: 5})
    for day in range(1, 5):
        finalised(session, make_team(session), date(2025, 6, day), {first_item: 5})
    row = make_scale_version(session)

    national, teams = profiles.national_items(session, row.id or 0, 2025)

    assert teams == 5
    assert national[first_item].median == 5.0 and national[first_item].teams == 5


@pytest.mark.parametrize(
    ("day", "months", "due"),
    [
        (date(2025, 3, 14), 12, date(2026, 3, 14)),
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2023, 8, 31), 6, date(2024, 2, 29)),
        (date(2025, 12, 1), 1, date(2026, 1, 1)),
    ],
)
def test_adding_months(day: date, months: int, due: date) -> None:
    assert profiles.add_months(day, months) == due


def test_a_result_below_good_is_followed_up_sooner(session: Session) -> None:
    team = make_team(session)
    finalised(session, team, date(2025, 3, 1), {}, default=3)  # 75: fair
    fair = profiles.team_profile(session, ADMIN, team.id or 0).latest
    assert fair is not None and fair.level is not None and fair.level.key == "fair"
    assert profiles.next_due(fair, months_below_good=6, months=12) == date(2025, 9, 1)

    finalised(session, team, date(2025, 10, 1), {}, default=4)  # 100: good
    good = profiles.team_profile(session, ADMIN, team.id or 0).latest
    assert good is not None and good.level is not None and good.level.key == "good"
    assert profiles.next_due(good, months_below_good=6, months=12) == date(2026, 10, 1)


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

    due = profiles.due_teams(
        session, principal, today=date(2026, 11, 24), months_below_good=6, months=12
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


def test_a_change_counts_only_the_items_rated_in_both_reviews(session: Session) -> None:
    team = make_team(session)
    first, second, third = items()[:3]
    finalised(session, team, date(2024, 3, 1), {}, default=4)  # 100
    finalised(session, team, date(2025, 3, 1), {first: None, second: None, third: 5}, default=4)

    change = profiles.team_profile(session, ADMIN, team.id or 0).change()

    assert change == profiles.Change(1.0, True, 23)  # not -7: 93 has two items missing


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

    due = profiles.due_teams(
        session, principal, today=date(2026, 11, 24), months_below_good=6, months=12
    )
    everyone = profiles.due_teams(
        session, ADMIN, today=date(2026, 11, 24), months_below_good=6, months=12
    )

    assert access.visible_team(session, principal, team.id or 0) == team
    assert [entry.team_id for entry in due.teams] == [home.id]
    assert {team.id, home.id} <= {entry.team_id for entry in everyone.teams}


def test_the_due_list_is_bounded_and_counts_the_rest(session: Session) -> None:
    made = [make_team(session, municipalities=(101,)) for _ in range(5)]

    due = profiles.due_teams(
        session, ADMIN, today=date(2026, 11, 24), months_below_good=6, months=12, limit=2
    )

    assert len(due.teams) == 2
    assert due.total >= len(made)
    assert [t.name for t in due.teams] == sorted(t.name for t in due.teams)


@given(st.lists(st.sampled_from([1.0, 1.5, 2.0, 2.25, 3.0, 4.0, 4.5, 5.0]), min_size=1))
def test_the_spread_of_a_histogram_is_the_spread_of_its_scores(scores: list[float]) -> None:
    counts: dict[float, int] = {}
    for score in scores:
        counts[score] = counts.get(score, 0) + 1
    if len(scores) == 1:
        assert profiles.spread_of(counts).median == scores[0]
    else:
        assert profiles.spread_of(counts) == profiles.spread(scores)


def test_the_national_figures_follow_a_newly_finalised_review(session: Session) -> None:
    """The figures are kept between requests, but a review finalised since is counted."""
    teams = [make_team(session) for _ in range(5)]
    for team in teams:
        finalised(session, team, date(2025, 3, 1), {}, default=2)
    version = session.exec(select(Review.scale_version_id)).first() or 0
    before, count = profiles.national_items(session, version, 2025)
    assert count == 5 and before[items()[0]].median == 2
    for _ in range(2):
        finalised(session, make_team(session), date(2025, 4, 1), {}, default=5)
    after, count = profiles.national_items(session, version, 2025)
    assert count == 7 and after[items()[0]].teams == 7
    assert after[items()[0]].upper_quartile == 3.5  # 2 2 2 2 2 5 5


def test_the_due_list_kept_between_requests_follows_a_review_planned_since(
    session: Session,
) -> None:
    from app.services import planning

    team = make_team(session, municipalities=(101,))
    make_scale_version(session)
    first, second = make_user(session), make_user(session)

    def entry() -> profiles.DueTeam:
        due = profiles.due_teams(
            session, ADMIN, today=date(2026, 11, 24), months_below_good=6, months=12, limit=500
        )
        return next(t for t in due.teams if t.team_id == team.id)

    assert not entry().in_progress
    planning.plan_review(
        session, principal=ADMIN, team_id=team.id or 0, visit_date=date(2026, 12, 1),
        reviewer_usernames=[first.username, second.username], lead_username=first.username,
    )  # fmt: skip
    session.commit()
    assert entry().in_progress
