"""The national figures: filters and their refusals, every figure against what the
database holds (finalised reviews only, items matched across scale versions), the
ambassadors' small-number rule, the table of teams, and the synthetic data generator."""

from __future__ import annotations

from datetime import date
from statistics import mean

import pytest
from sqlmodel import Session, col, func, select

from app.config import PROJECT_ROOT
from app.errors import Invalid
from app.models import ProgramType, RaterKind, Rating, Review, ReviewStatus, Role, Team
from app.services import access, audit, national, synthetic, teams
from app.services.access import Principal
from app.services.national import Filters
from tests.factories import make_scale_version, make_team, make_user, shipped_scale
from tests.services.test_profiles import finalised, in_progress

ADMIN = Principal(None, "admin", "Admin", Role.ADMIN)
TODAY = date(2026, 11, 24)


def overview(session: Session, filters: Filters = Filters(), principal: Principal = ADMIN):  # noqa: B008
    return national.overview(
        session, principal, filters, today=TODAY, months_below_good=6, months=12
    )


@pytest.mark.parametrize(
    ("field", "value", "key", "named"),
    [
        ("region", "9", "err_filter_region", "1084 (Region Hovedstaden)"),
        ("program_type", "ips-like", "err_filter_program", "ips_lignende"),
        ("scale", "ips-99", "err_filter_scale", "ips-25/2019"),
        ("year", "20x5", "err_filter_year", "1990"),
        ("year", "1850", "err_filter_year", "2100"),
    ],
)
def test_an_unknown_filter_value_names_the_allowed_ones(
    session: Session, field: str, value: str, key: str, named: str
) -> None:
    make_scale_version(session)
    with pytest.raises(Invalid) as refused:
        national.parse_filters(session, **{field: value})
    assert refused.value.key == key
    assert named in refused.value.message("en")


def test_known_filter_values_are_taken(session: Session) -> None:
    make_scale_version(session)
    chosen = national.parse_filters(
        session, year="2025", region="1084", program_type="ips", scale="ips-25/2019"
    )
    assert chosen == Filters(2025, 1084, "ips", "ips-25/2019")
    assert national.parse_filters(session, scale="ips-25").scale == "ips-25"
    assert national.parse_filters(session, year="", region="") == Filters()


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


def test_an_ambassador_sees_figures_from_few_teams_only_when_they_are_their_own(
    session: Session,
) -> None:
    own = make_team(session, municipalities=(101,))
    elsewhere = make_team(session, municipalities=(851,))
    finalised(session, own, date(2025, 5, 1), {}, default=4)
    finalised(session, elsewhere, date(2025, 6, 1), {}, default=2)
    ambassador = access.principal_for(session, make_user(session, regions=(1084,)))

    mixed = overview(session, principal=ambassador)
    assert mixed.hidden and mixed.levels == {} and mixed.items == []
    assert mixed.levels_by_year == [] and mixed.by_region == []
    assert [row.name for row in mixed.teams] == [own.name]  # their scope only
    own_only = overview(session, Filters(region=1084), principal=ambassador)
    assert not own_only.hidden and own_only.levels == {"good": 1}
    analyst = access.principal_for(session, make_user(session, role=Role.ANALYST))
    assert overview(session, principal=analyst).levels == {"good": 1, "not-ips": 1}


def test_the_table_of_teams_has_the_latest_result_change_and_due_date(session: Session) -> None:
    steady = make_team(session, name="Alfa")
    weak = make_team(session, name="Beta")
    make_team(session, name="Gamma")  # never reviewed
    finalised(session, steady, date(2024, 5, 1), {}, default=4)
    finalised(session, steady, date(2025, 5, 1), {"disclosure": 5}, default=4)
    finalised(session, weak, date(2025, 2, 10), {}, default=2)

    rows = {row.name: row for row in overview(session).teams}

    assert rows["Alfa"].total == 101 and rows["Alfa"].change == 1
    assert rows["Alfa"].level_key == "good" and rows["Alfa"].due == date(2026, 5, 1)
    assert rows["Beta"].level_key == "not-ips" and rows["Beta"].due == date(2025, 8, 10)
    assert rows["Beta"].change is None  # one review: nothing to compare
    assert rows["Gamma"].visit_date is None and rows["Gamma"].due is None
    as_of_2024 = {row.name: row for row in overview(session, Filters(year=2024)).teams}
    assert as_of_2024["Alfa"].total == 100 and as_of_2024["Beta"].total is None
    by_total = national.sort_teams(list(rows.values()), "total", descending=True)
    assert [row.name for row in by_total] == ["Alfa", "Beta", "Gamma"]  # no value last
    by_level = national.sort_teams(list(rows.values()), "level", descending=False)
    assert [row.name for row in by_level] == ["Beta", "Alfa", "Gamma"]
    assert [r.name for r in national.sort_teams(list(rows.values()), "due", False)] == [
        "Beta", "Alfa", "Gamma",
    ]  # fmt: skip


def test_synthetic_reviews_are_spread_and_scored_like_real_ones(session: Session) -> None:
    made = synthetic.add_synthetic_reviews(session, 300, scales_dir=PROJECT_ROOT / "scales")
    session.commit()

    assert made.reviews == 300 and made.ratings == 300 * 25
    reviews = session.exec(select(Review).where(Review.status == ReviewStatus.FINALISED)).all()
    assert len(reviews) == 300
    assert {r.visit_date.year for r in reviews} == set(synthetic.YEARS)
    teams = {r.team_id for r in reviews}
    assert len(teams) == 30  # about one review per team and year
    versions = {r.scale_version_id for r in reviews}
    assert len(versions) == 2  # both scale files
    lignende = session.exec(
        select(func.count()).select_from(Team).where(Team.program_type == "ips_lignende")
    ).one()
    assert lignende >= 5
    levels = {r.level_key for r in reviews}
    assert {"good", "fair"} <= levels
    review = reviews[0]
    consensus = session.exec(
        select(Rating.score).where(Rating.review_id == review.id, Rating.rater_kind == "consensus")
    ).all()
    assert review.result is not None and review.total_score is not None
    assert 25 <= review.total_score <= 125
    assert review.result["rated_count"] == len([s for s in consensus if s is not None])
    everything = [s for s in session.exec(select(Rating.score)) if s is not None]
    assert 2.5 < mean(everything) < 4.5


def test_an_ambassador_does_not_see_an_item_only_a_few_teams_elsewhere_have(
    session: Session,
) -> None:
    """Five IPS-25 teams in the ambassador's region and two IPS-lignende teams elsewhere:
    the year's figures rest on seven teams, but the two items only IPS-lignende has come
    from those two teams alone."""
    for _ in range(5):
        finalised(session, make_team(session, municipalities=(101,)), date(2025, 5, 1), {})
    for code in (851, 461):
        team = make_team(session, municipalities=(code,), program_type=ProgramType.IPS_LIGNENDE)
        finalised(
            session, team, date(2025, 4, 1), {}, default=5, key="ips-lignende", version="2024"
        )
    ambassador = access.principal_for(session, make_user(session, regions=(1084,)))

    found = overview(session, principal=ambassador)

    keys = {item.key for item in found.items}
    assert not found.hidden and "disclosure" in keys
    assert "collaboration-treatment-provider-contact" not in keys
    assert "p3-coordination-with-treatment" not in {p.key for p in found.principles}
    assert "p1-zero-exclusion" in {p.key for p in found.principles}
    # Compared within one version: the IPS-lignende means are a filter away; an analyst
    # sees them, each saying how few teams it rests on; the ambassador does not.
    lignende = Filters(scale="ips-lignende/2024")
    analyst = access.principal_for(session, make_user(session, role=Role.ANALYST))
    seen = {i.key: i for i in overview(session, lignende, principal=analyst).items}
    assert seen["collaboration-treatment-provider-contact"].teams == 2
    hidden = overview(session, lignende, principal=ambassador).items
    assert "collaboration-treatment-provider-contact" not in {i.key for i in hidden}


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


def test_teams_sort_in_danish_order() -> None:
    names = ["Århus", "Ølstykke", "Æbelø", "Zealand", "aalborg"]
    rows = [national.TeamRow(i, name, "ips", "", *(None,) * 7) for i, name in enumerate(names)]
    ordered = [row.name for row in national.sort_teams(rows, "name", descending=False)]
    assert ordered == ["aalborg", "Zealand", "Æbelø", "Ølstykke", "Århus"]


def test_every_change_to_the_figures_moves_their_version_and_nothing_else_does(
    session: Session,
) -> None:
    assert {
        "review.finalised", "review.reopened", "team.created", "team.updated",
        "scale_version.published", "scale_version.retired", "demo.loaded",
        "demo.synthetic_reviews", "review.created", "review.reviewer_replaced",
        "review.reviewer_removed",
    } == audit.FIGURES_CHANGED  # fmt: skip
    before = audit.figures_version(session)
    for action in sorted(audit.FIGURES_CHANGED):
        audit.record(session, action=action, channel="system")
    assert audit.figures_version(session) == before + len(audit.FIGURES_CHANGED)
    for action in ("rating.saved", "auth.signed_in", "export.downloaded"):
        audit.record(session, action=action, channel="system")
    assert audit.figures_version(session) == before + len(audit.FIGURES_CHANGED)


def test_the_overview_kept_between_requests_follows_a_team_changed_since(
    session: Session,
) -> None:
    team = make_team(session, name="Før navneskiftet", municipalities=(101,))
    finalised(session, team, date(2025, 5, 1), {}, default=4)
    assert "Før navneskiftet" in [row.name for row in overview(session).teams]

    teams.update_team(
        session, ADMIN, team, name="Efter navneskiftet", program_type="ips", is_active=True,
        municipalities=[101],
    )  # fmt: skip
    session.commit()

    names = [row.name for row in overview(session).teams]
    assert "Efter navneskiftet" in names and "Før navneskiftet" not in names
