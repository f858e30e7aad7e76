"""The national figures beside a team's profile: the five-team threshold, a team's latest
review of the year, the spread of a histogram, and the figures kept between requests."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session, select

from app.models import Review
from app.services import comparison
from tests.factories import make_scale_version, make_team
from tests.services.test_profiles import finalised, items


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
    assert comparison.national_items(session, scale_version_id=row.id or 0, year=2025) == ({}, 0)

    finalised(session, make_team(session), date(2025, 6, 9), {first_item: 5})
    national, teams = comparison.national_items(session, scale_version_id=row.id or 0, year=2025)

    assert teams == 5
    assert national[first_item] == comparison.NationalItem(3.0, 2.0, 4.0, 5)
    assert second_item not in national, "only two teams scored it"
    assert comparison.national_items(session, scale_version_id=row.id or 0, year=2024) == ({}, 0)


def test_a_teams_latest_review_of_the_year_is_the_one_counted(session: Session) -> None:
    first_item = items()[0]
    repeated = make_team(session)
    finalised(session, repeated, date(2025, 1, 10), {first_item: 1})
    finalised(session, repeated, date(2025, 9, 10), {first_item: 5})
    for day in range(1, 5):
        finalised(session, make_team(session), date(2025, 6, day), {first_item: 5})
    row = make_scale_version(session)

    national, teams = comparison.national_items(session, scale_version_id=row.id or 0, year=2025)

    assert teams == 5
    assert national[first_item].median == 5.0 and national[first_item].teams == 5


@given(st.lists(st.sampled_from([1.0, 1.5, 2.0, 2.25, 3.0, 4.0, 4.5, 5.0]), min_size=1))
def test_the_spread_of_a_histogram_is_the_spread_of_its_scores(scores: list[float]) -> None:
    counts: dict[float, int] = {}
    for score in scores:
        counts[score] = counts.get(score, 0) + 1
    if len(scores) == 1:
        assert comparison.spread_of(counts).median == scores[0]
    else:
        assert comparison.spread_of(counts) == comparison.spread(scores)


def test_the_national_figures_follow_a_newly_finalised_review(session: Session) -> None:
    """The figures are kept between requests, but a review finalised since is counted."""
    teams = [make_team(session) for _ in range(5)]
    for team in teams:
        finalised(session, team, date(2025, 3, 1), {}, default=2)
    version = session.exec(select(Review.scale_version_id)).first() or 0
    before, count = comparison.national_items(session, scale_version_id=version, year=2025)
    assert count == 5 and before[items()[0]].median == 2
    for _ in range(2):
        finalised(session, make_team(session), date(2025, 4, 1), {}, default=5)
    after, count = comparison.national_items(session, scale_version_id=version, year=2025)
    assert count == 7 and after[items()[0]].teams == 7
    assert after[items()[0]].upper_quartile == 3.5  # 2 2 2 2 2 5 5
