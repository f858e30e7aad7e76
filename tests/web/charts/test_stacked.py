"""The national reviews per level, stacked, as Plotly receives them."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from app.services import national_overview
from app.services.access import Principal
from app.services.national_filters import Filters
from app.web import charts
from tests.factories import make_team
from tests.services.test_profiles import finalised
from tests.web.charts import T, chart


def test_review_counts_are_whole_numbers(session: Session) -> None:
    team = make_team(session, municipalities=(101,))
    finalised(session, team, date(2025, 3, 1), {}, default=4)

    found = national_overview.overview(
        session, principal=Principal.system(), filters=Filters(), today=date(2025, 12, 1),
        months_below_good=6, months=12,
    )  # fmt: skip
    for key in ("levels-by-year", "levels-by-region"):
        figure = chart(charts.national_charts(found, "da", T), key).figure
        layout = figure["layout"]
        axis = layout["xaxis"] if key == "levels-by-region" else layout["yaxis"]
        assert axis["dtick"] == 1 and axis["tickformat"] == "d"
