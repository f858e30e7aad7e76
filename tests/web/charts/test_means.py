"""The bars of mean scores (the team's principles and sections), as Plotly receives them."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from app.services import profiles
from app.web import charts
from tests.factories import make_team
from tests.services.test_profiles import ADMIN, finalised
from tests.web.charts import T, chart


def test_mean_charts_run_from_0_to_5_with_their_labels_inside(session: Session) -> None:
    team = make_team(session)
    finalised(session, team, date(2025, 3, 1), {}, default=5)

    found = charts.team_charts(
        profiles.team_profile(session, principal=ADMIN, team_id=team.id or 0), "da", T
    )

    for key in ("principles", "sections"):
        figure = chart(found, key).figure
        axis = figure["layout"]["xaxis"]
        assert axis["tickvals"] == [0, 1, 2, 3, 4, 5]  # no 6 on a 1-5 scale
        bar = figure["data"][0]
        assert all(len(text) <= 4 for text in bar["text"])  # "5" or "3,25": it fits
        assert all("items" in label or "item" in label for label in bar["y"])
