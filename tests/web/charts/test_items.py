"""The team's items beside the previous review and the country, as Plotly receives them."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from app.services import profiles
from app.web import charts
from app.web.charts.common import INK
from tests.factories import make_team
from tests.services.test_profiles import ADMIN, finalised
from tests.web.charts import T, chart


def test_the_national_marks_are_drawn_over_the_items_bars(session: Session) -> None:
    teams = [make_team(session) for _ in range(6)]
    for number, team in enumerate(teams):
        finalised(session, team, date(2025, 3, 1 + number), {}, default=2 + number % 3)

    profile = profiles.team_profile(session, principal=ADMIN, team_id=teams[0].id or 0)
    figure = chart(charts.team_charts(profile, "da", T), "items").figure

    kinds = [trace["type"] for trace in figure["data"]]
    assert kinds[-1] == "scatter" and kinds.index("bar") < len(kinds) - 1
    marks = figure["data"][-1]
    assert marks["marker"]["color"] == INK and marks["error_x"]["color"] == INK
