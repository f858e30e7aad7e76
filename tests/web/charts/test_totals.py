"""The team's total over the years, as Plotly receives it."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from app.services import profiles
from app.web import charts
from tests.factories import make_team
from tests.services.test_profiles import ADMIN, finalised
from tests.web.charts import T, chart


def test_the_total_over_the_years_has_one_tick_a_year(session: Session) -> None:
    team = make_team(session)
    for visit in (date(2023, 3, 1), date(2023, 10, 1), date(2024, 5, 1), date(2025, 2, 1)):
        finalised(session, team, visit, {}, default=4)

    found = charts.team_charts(
        profiles.team_profile(session, principal=ADMIN, team_id=team.id or 0), "da", T
    )

    axis = chart(found, "totals").figure["layout"]["xaxis"]
    assert axis["tickformat"] == "%Y" and axis["dtick"] == "M12"
    assert axis["tick0"].endswith("-01-01")
