"""The charts' figures as Plotly receives them: what a reader sees on the axes and in
front of what, checked on the figure itself (tests/browser draws them)."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from app.i18n import translator
from app.services import national, profiles
from app.services.access import Principal
from app.web import charts
from tests.factories import make_team
from tests.services.test_profiles import ADMIN, finalised

T = translator("da")


def chart(found: list[charts.Chart], key: str) -> charts.Chart:
    return next(c for c in found if c.key == key)


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


def test_the_national_marks_are_drawn_over_the_items_bars(session: Session) -> None:
    teams = [make_team(session) for _ in range(6)]
    for number, team in enumerate(teams):
        finalised(session, team, date(2025, 3, 1 + number), {}, default=2 + number % 3)

    profile = profiles.team_profile(session, principal=ADMIN, team_id=teams[0].id or 0)
    figure = chart(charts.team_charts(profile, "da", T), "items").figure

    kinds = [trace["type"] for trace in figure["data"]]
    assert kinds[-1] == "scatter" and kinds.index("bar") < len(kinds) - 1
    marks = figure["data"][-1]
    assert marks["marker"]["color"] == charts.INK and marks["error_x"]["color"] == charts.INK


def test_review_counts_are_whole_numbers(session: Session) -> None:
    team = make_team(session, municipalities=(101,))
    finalised(session, team, date(2025, 3, 1), {}, default=4)

    found = national.overview(
        session, Principal.system(), national.Filters(), today=date(2025, 12, 1),
        months_below_good=6, months=12,
    )  # fmt: skip
    for key in ("levels-by-year", "levels-by-region"):
        figure = chart(charts.national_charts(found, "da", T), key).figure
        layout = figure["layout"]
        axis = layout["xaxis"] if key == "levels-by-region" else layout["yaxis"]
        assert axis["dtick"] == 1 and axis["tickformat"] == "d"


def test_a_long_run_of_typed_text_gets_break_opportunities_and_words_do_not() -> None:
    from app.web.filters import breakable

    assert str(breakable("Jobkonsulenterne tager sig af det")) == (
        "Jobkonsulenterne tager sig af det"
    )
    marked = str(breakable("se https://example.org/" + "a" * 45 + " <b>"))
    assert marked.startswith("se https://example.org/<wbr>" + "a" * 20 + "<wbr>")
    assert marked.count("<wbr>") == 3 and marked.endswith(" &lt;b&gt;")
    assert str(breakable(None)) == ""
