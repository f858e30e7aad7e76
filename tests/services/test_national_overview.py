"""The national overview: every figure against what the database holds (finalised
reviews only, items matched across scale versions, within the filters), and the overview
kept between requests under the figures' version."""

from __future__ import annotations

from datetime import date
from statistics import mean

import pytest
from sqlmodel import Session, col, func, select

from app.models import ProgramType, RaterKind, Rating, Review, ReviewStatus, Role
from app.services import audit, national_overview, teams
from app.services.access import Principal
from app.services.national_filters import Filters
from app.services.national_overview import Overview
from tests.factories import make_team, shipped_scale
from tests.services.test_profiles import finalised, in_progress

ADMIN = Principal(None, "admin", "Admin", Role.ADMIN)
TODAY = date(2026, 11, 24)


def overview(
    session: Session,
    filters: Filters = Filters(),  # noqa: B008
    principal: Principal = ADMIN,
) -> Overview:
    return national_overview.overview(
        session, principal=principal, filters=filters, today=TODAY, months_below_good=6, months=12
    )


def test_the_figures_match_the_database_and_skip_reviews_in_progress(session: Session) -> None:
    copenhagen = make_team(session, municipalities=(101, 147))  # Hovedstaden, two municipalities
    aalborg = make_team(session, municipalities=(851,))  # Nordjylland
    odense = make_team(session, municipalities=(461,), program_type=ProgramType.IPS_LIGNENDE)
    idle = make_team(session, municipalities=(751,))
    idle.is_active = False
    session.add(idle)
    session.commit()
    finalised(session, copenhagen, date(2024, 5, 1), {}, default=3)  # fair
    latest = finalised(session, copenhagen, date(2025, 5, 1), {"disclosure": 5}, default=4)
    # An item not rated: no level (the result says why), and no score in the item's mean.
    finalised(session, aalborg, date(2025, 6, 1), {"disclosure": None}, default=2)
    finalised(session, odense, date(2025, 3, 1), {}, default=5, key="ips-lignende", version="2024")
    in_progress(session, latest, date(2026, 5, 1))

    found = overview(session)

    assert found.year == 2025 and found.years == [2024, 2025]
    assert (found.teams_measured, found.teams_active) == (3, 3)
    assert (found.municipalities_covered, found.municipalities_total) == (4, 98)
    assert found.goal == 66
    assert found.levels == {"good": 1, "none": 1, "exemplary": 1}
    assert found.levels_by_year == [(2024, {"fair": 1}), (2025, found.levels)]
    assert [(name, counts) for _, name, counts in found.by_region] == [
        ("Region Nordjylland", {"none": 1}),
        ("Region Syddanmark", {"exemplary": 1}),
        ("Region Hovedstaden", {"good": 1}),
    ]
    # Means compare like with like: the items and principles of one scale version, the
    # one most of the year's reviews were made with (IPS-25 2019: two of three).
    assert found.means_version is not None
    assert (found.means_version.value, found.means_version.reviews) == ("ips-25/2019", 2)
    assert [(v.value, v.reviews) for v in found.versions_in_year] == [
        ("ips-25/2019", 2),
        ("ips-lignende/2024", 1),
    ] or [(v.value, v.reviews) for v in found.versions_in_year] == [
        ("ips-lignende/2024", 1),
        ("ips-25/2019", 2),
    ]
    ips_version = found.means_version.id
    stored = session.exec(
        select(
            Rating.item_key,
            func.avg(Rating.score),
            func.count(col(Rating.score)),
            func.count(func.distinct(Review.team_id)),
        )
        .join(Review, col(Review.id) == col(Rating.review_id))
        .where(
            Rating.rater_kind == RaterKind.CONSENSUS,
            Review.status == ReviewStatus.FINALISED,
            Review.scale_version_id == ips_version,
            col(Rating.score).is_not(None),
            col(Review.visit_date) >= date(2025, 1, 1),
        )
        .group_by(Rating.item_key)
    ).all()
    assert {i.key: (pytest.approx(i.mean), i.ratings, i.teams) for i in found.items} == {
        key: (pytest.approx(avg), count, teams) for key, avg, count, teams in stored
    }
    # An item only IPS-lignende has is not mixed into IPS-25's means, nor is a principle.
    assert "collaboration-treatment-provider-contact" not in [i.key for i in found.items]
    disclosure = next(i for i in found.items if i.key == "disclosure")
    assert disclosure.mean == 5 and disclosure.ratings == 1 and disclosure.teams == 1
    assert [i.mean for i in found.items] == sorted(i.mean for i in found.items)  # weakest first
    assert sorted(p.number for p in found.principles) == list(range(1, 9))  # each number once
    p1 = next(p for p in found.principles if p.key == "p1-zero-exclusion")
    items_of_p1 = [i.key for i in shipped_scale().items if "p1-zero-exclusion" in i.principles]
    expected = [5 if key == "disclosure" else 4 for key in items_of_p1] + [
        2 for key in items_of_p1 if key != "disclosure"
    ]
    assert p1.mean == pytest.approx(mean(expected)) and p1.teams == 2


def test_filters_narrow_every_figure(session: Session) -> None:
    copenhagen = make_team(session, municipalities=(101,))
    aalborg = make_team(session, municipalities=(851,))
    odense = make_team(session, municipalities=(461,), program_type=ProgramType.IPS_LIGNENDE)
    finalised(session, copenhagen, date(2025, 5, 1), {}, default=4)
    finalised(session, aalborg, date(2025, 6, 1), {}, default=2)
    finalised(session, odense, date(2025, 3, 1), {}, default=5, key="ips-lignende", version="2024")

    hovedstaden = overview(session, Filters(region=1084))
    assert (hovedstaden.teams_measured, hovedstaden.municipalities_total) == (1, 29)
    assert hovedstaden.levels == {"good": 1}
    assert [row.name for row in hovedstaden.teams] == [copenhagen.name]
    lignende = overview(session, Filters(program_type="ips_lignende"))
    assert lignende.levels == {"exemplary": 1} and lignende.teams_active == 1
    by_scale = overview(session, Filters(scale="ips-25/2019"))
    assert by_scale.levels == {"good": 1, "not-ips": 1}
    assert "collaboration-treatment-provider-contact" not in {i.key for i in by_scale.items}
    empty = overview(session, Filters(year=2019))
    assert empty.levels == {} and empty.items == [] and empty.teams_measured == 0


def test_coverage_and_measured_teams_count_what_the_filters_say(session: Session) -> None:
    across = make_team(session, municipalities=(101, 253))  # Copenhagen and Greve (Sjælland)
    retired = make_team(session, municipalities=(147,))
    finalised(session, across, date(2025, 5, 1), {})
    finalised(session, retired, date(2025, 5, 1), {})
    retired.is_active = False
    session.add(retired)
    session.commit()

    hovedstaden = overview(session, Filters(region=1084))

    assert hovedstaden.municipalities_covered == 1  # Greve is not in Hovedstaden
    assert (hovedstaden.teams_measured, hovedstaden.teams_active) == (1, 1)


def test_every_change_to_the_figures_moves_their_version_and_nothing_else_does(
    session: Session,
) -> None:
    assert {
        "review.finalised", "review.reopened", "team.created", "team.updated",
        "scale_version.published", "scale_version.retired", "demo.loaded",
        "demo.synthetic_reviews", "review.created", "review.reviewer_replaced",
        "review.reviewer_removed", "round.assessed", "round.assessment_reopened",
        "outcomes.imported", "outcomes.team_saved", "outcomes.team_removed",
        "agreement.saved", "agreement.deleted",
    } == audit.FIGURES_CHANGED  # fmt: skip
    before = audit.figures_version(session)
    for action in sorted(audit.FIGURES_CHANGED):
        audit.record(session, action=action, channel="system")
    assert audit.figures_version(session) == before + len(audit.FIGURES_CHANGED)
    for action in ("rating.saved", "auth.signed_in", "export.downloaded", "round.saved"):
        audit.record(session, action=action, channel="system")
    assert audit.figures_version(session) == before + len(audit.FIGURES_CHANGED)


def test_the_overview_kept_between_requests_follows_a_team_changed_since(
    session: Session,
) -> None:
    team = make_team(session, name="Før navneskiftet", municipalities=(101,))
    finalised(session, team, date(2025, 5, 1), {}, default=4)
    assert "Før navneskiftet" in [row.name for row in overview(session).teams]

    teams.update_team(
        session, by=ADMIN, team=team, name="Efter navneskiftet", program_type="ips", is_active=True,
        municipalities=[101],
    )  # fmt: skip
    session.commit()

    names = [row.name for row in overview(session).teams]
    assert "Efter navneskiftet" in names and "Før navneskiftet" not in names
