"""A team's profile: finalised reviews only, arithmetic across scale versions and with
not-rated items, and when its next review is due."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session

from app.models import RaterKind, Rating, Review, ReviewStatus, Role, Team
from app.scales import scoring
from app.scales.compare import comparable_keys
from app.services import audit, profiles
from app.services.access import Principal
from tests.factories import make_scale_version, make_team, shipped_scale

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

    profile = profiles.team_profile(session, principal=ADMIN, team_id=team.id or 0)

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

    latest = profiles.team_profile(session, principal=ADMIN, team_id=team.id or 0).latest

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
    # Shared: the same key, and the same words and bands (another scale has no crosswalk
    # over this one, so a reworded item is not compared).
    shared = comparable_keys(shipped_scale("ips-25", "2019"), shipped_scale("ips-lignende", "2024"))
    assert 0 < len(shared) < len(old_items & new_items) < len(old_items)
    finalised(session, team, date(2024, 4, 1), {}, default=2)
    finalised(
        session,
        team,
        date(2025, 4, 1),
        dict.fromkeys(new_items - shared, 5),  # the other items alone would swing it
        key="ips-lignende",
        version="2024",
        default=3,
    )

    change = profiles.team_profile(session, principal=ADMIN, team_id=team.id or 0).change()

    assert change == profiles.Change(float(len(shared)), False, len(shared))


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
    assert profiles.add_months(day, months=months) == due


def test_a_result_below_good_is_followed_up_sooner(session: Session) -> None:
    team = make_team(session)
    finalised(session, team, date(2025, 3, 1), {}, default=3)  # 75: fair
    fair = profiles.team_profile(session, principal=ADMIN, team_id=team.id or 0).latest
    assert fair is not None and fair.level is not None and fair.level.key == "fair"
    assert profiles.next_due(fair, months_below_good=6, months=12) == date(2025, 9, 1)

    finalised(session, team, date(2025, 10, 1), {}, default=4)  # 100: good
    good = profiles.team_profile(session, principal=ADMIN, team_id=team.id or 0).latest
    assert good is not None and good.level is not None and good.level.key == "good"
    assert profiles.next_due(good, months_below_good=6, months=12) == date(2026, 10, 1)


def test_a_change_counts_only_the_items_rated_in_both_reviews(session: Session) -> None:
    team = make_team(session)
    first, second, third = items()[:3]
    finalised(session, team, date(2024, 3, 1), {}, default=4)  # 100
    finalised(session, team, date(2025, 3, 1), {first: None, second: None, third: 5}, default=4)

    change = profiles.team_profile(session, principal=ADMIN, team_id=team.id or 0).change()

    assert change == profiles.Change(1.0, True, 23)  # not -7: 93 has two items missing


def test_across_two_versions_of_a_scale_only_crosswalked_items_are_compared(
    session: Session,
) -> None:
    """The crosswalk is what the trend uses: of two reworded items, the one the panel
    marked comparable is compared with its earlier self; the other is not."""
    from app.scales.schema import Crosswalk
    from app.services import scales as scale_service
    from app.web.charts.items import items_chart

    team = make_team(session)
    finalised(session, team, date(2024, 4, 1), {}, default=3)
    old = shipped_scale()
    first, second = old.items[0], old.items[1]
    items = [
        first.model_copy(update={"title": first.title.model_copy(update={"da": "Ny titel"})}),
        second.model_copy(update={"title": second.title.model_copy(update={"da": "Andet"})}),
        *old.items[2:],
    ]
    newer = old.model_copy(
        update={
            "version": "2027",
            "items": items,
            "crosswalk": Crosswalk(base="2019", comparable=[first.key]),
        }
    )
    row = scale_service.register_scale(session, scale=newer, channel="cli").scale_version
    review = Review(
        team_id=team.id or 0,
        scale_version_id=row.id or 0,
        visit_date=date(2025, 4, 1),
        status=ReviewStatus.FINALISED,
        finalised_at=datetime(2025, 4, 28, tzinfo=UTC),
        total_score=100.0,
        level_key="good",
    )
    session.add(review)
    session.commit()
    for item in newer.items:
        session.add(
            Rating(
                review_id=review.id or 0,
                item_key=item.key,
                rater_kind=RaterKind.CONSENSUS,
                score=4.0,
            )
        )
    session.commit()

    profile = profiles.team_profile(session, principal=ADMIN, team_id=team.id or 0)
    change = profile.change()
    assert change is not None and change.compared_items == len(old.items) - 1
    assert change.difference == len(old.items) - 1  # one point up on each compared item
    rows = items_chart(profile, "da", _danish()).rows
    assert rows[0][2] == "3" and rows[1][2] == "Ændret siden; sammenlignes ikke"


def _danish():  # type: ignore[no-untyped-def]
    from app.i18n import translator

    return translator("da")
