"""The ambassadors' small-number rule: a national figure made from fewer than five teams
is shown only when those teams are all their own."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from app.models import ProgramType, Role
from app.services import access
from app.services.national_filters import Filters
from tests.factories import make_team, make_user
from tests.services.test_national_overview import overview
from tests.services.test_profiles import finalised


def test_an_ambassador_sees_figures_from_few_teams_only_when_they_are_their_own(
    session: Session,
) -> None:
    own = make_team(session, municipalities=(101,))
    elsewhere = make_team(session, municipalities=(851,))
    finalised(session, own, date(2025, 5, 1), {}, default=4)
    finalised(session, elsewhere, date(2025, 6, 1), {}, default=2)
    ambassador = access.principal_for(session, user=make_user(session, regions=(1084,)))

    mixed = overview(session, principal=ambassador)
    assert mixed.hidden and mixed.levels == {} and mixed.items == []
    assert mixed.levels_by_year == [] and mixed.by_region == []
    assert [row.name for row in mixed.teams] == [own.name]  # their scope only
    own_only = overview(session, Filters(region=1084), principal=ambassador)
    assert not own_only.hidden and own_only.levels == {"good": 1}
    analyst = access.principal_for(session, user=make_user(session, role=Role.ANALYST))
    assert overview(session, principal=analyst).levels == {"good": 1, "not-ips": 1}


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
    ambassador = access.principal_for(session, user=make_user(session, regions=(1084,)))

    found = overview(session, principal=ambassador)

    keys = {item.key for item in found.items}
    assert not found.hidden and "disclosure" in keys
    assert "collaboration-treatment-provider-contact" not in keys
    assert "p3-coordination-with-treatment" not in {p.key for p in found.principles}
    assert "p1-zero-exclusion" in {p.key for p in found.principles}
    # Compared within one version: the IPS-lignende means are a filter away; an analyst
    # sees them, each saying how few teams it rests on; the ambassador does not.
    lignende = Filters(scale="ips-lignende/2024")
    analyst = access.principal_for(session, user=make_user(session, role=Role.ANALYST))
    seen = {i.key: i for i in overview(session, lignende, principal=analyst).items}
    assert seen["collaboration-treatment-provider-contact"].teams == 2
    hidden = overview(session, lignende, principal=ambassador).items
    assert "collaboration-treatment-provider-contact" not in {i.key for i in hidden}
