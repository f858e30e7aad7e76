"""The national overview's reviews per fidelity level, stacked: one bar a year, or one
a region in the chosen year.

Levels differ in pattern as well as colour (each colour at least 3:1 against white, WCAG
1.4.11), and the legend names them. The counts are whole reviews on the axis too.
"""

from __future__ import annotations

from typing import Any

from app.services.national_figures import NO_LEVEL
from app.services.national_overview import Overview
from app.web.charts.common import BLUE, GREEN, GREY, ORANGE, Chart, base_layout

LEVEL_KEYS = ("exemplary", "good", "fair", "not-ips", NO_LEVEL)
LEVEL_COLOURS = {"exemplary": GREEN, "good": BLUE, "fair": "#9A6700", "not-ips": ORANGE}
LEVEL_PATTERNS = {"exemplary": "", "good": "/", "fair": ".", "not-ips": "x", NO_LEVEL: "-"}

Groups = list[tuple[str, dict[str, int]]]  # a bar's label, and its reviews per level key


def levels_by_year_chart(overview: Overview, language: str, t: Any) -> Chart:
    """The reviews per level, one upright bar a year."""
    groups = [(str(year), counts) for year, counts in overview.levels_by_year]
    return _stacked(
        "levels-by-year", t("chart_levels_by_year"), groups, overview, language, t,
        first_column=t("year"), horizontal=False,
    )  # fmt: skip


def levels_by_region_chart(overview: Overview, language: str, t: Any) -> Chart:
    """The year's reviews per level, one lying bar a region."""
    groups = [(name, counts) for _code, name, counts in overview.by_region]
    caption = t("chart_levels_by_region").format(year=overview.year)
    return _stacked(
        "levels-by-region", caption, groups, overview, language, t,
        first_column=t("region"), horizontal=True,
    )  # fmt: skip


def _stacked(
    key: str,
    caption: str,
    groups: Groups,
    overview: Overview,
    language: str,
    t: Any,
    *,
    first_column: str,
    horizontal: bool,
) -> Chart:
    """Reviews per fidelity level, stacked, one bar per group (a year or a region)."""
    names = _level_names(overview, language, t)
    present = [level for level in LEVEL_KEYS if any(counts.get(level) for _, counts in groups)]
    labels = [label for label, _ in groups]
    traces = [
        _level_trace(
            names.get(level, level), level, [counts.get(level, 0) for _, counts in groups],
            labels, horizontal=horizontal,
        )
        for level in present
    ]  # fmt: skip
    height = (110 + 44 * len(groups)) if horizontal else 340
    layout = _stacked_layout(groups, height, t, horizontal=horizontal)
    rows = [
        [label, *(str(counts.get(level, 0)) for level in present), str(sum(counts.values()))]
        for label, counts in groups
    ]
    columns = [first_column, *(names.get(level, level) for level in present), t("total")]
    return Chart(key, caption, {"data": traces, "layout": layout}, columns, rows, height)


def _level_names(overview: Overview, language: str, t: Any) -> dict[str, str]:
    names = {key: title.get(language) for key, title in overview.level_titles.items()}
    names[NO_LEVEL] = t("no_level")
    return names


def _level_trace(
    name: str, level: str, values: list[int], labels: list[str], *, horizontal: bool
) -> dict[str, Any]:
    """One level's bars, in its colour and pattern."""
    trace: dict[str, Any] = {
        "type": "bar",
        "name": name,
        "marker": {
            "color": LEVEL_COLOURS.get(level, GREY),
            "pattern": {
                "shape": LEVEL_PATTERNS.get(level, ""),
                "fillmode": "overlay",  # over the colour: "replace" drops the colour
                "fgcolor": "#ffffff",
            },
            "line": {"color": "#ffffff", "width": 1},
        },
    }
    if horizontal:
        trace.update(orientation="h", x=values, y=labels)
        trace["hovertemplate"] = "%{y}: %{x}<extra>" + trace["name"] + "</extra>"
    else:
        trace.update(x=labels, y=values)
        trace["hovertemplate"] = "%{x}: %{y}<extra>" + trace["name"] + "</extra>"
    return trace


def _stacked_layout(groups: Groups, height: int, t: Any, *, horizontal: bool) -> dict[str, Any]:
    """The layout: an axis of whole reviews, and one of the groups in their order."""
    count_axis = {
        "title": {"text": t("reviews_count")},
        "fixedrange": True,
        "rangemode": "tozero",
        "automargin": True,  # room for the title beside the numbers
        # whole reviews: Plotly put ticks at 0.5 for small counts
        "dtick": _count_step(max((sum(c.values()) for _, c in groups), default=1)),
        "tickformat": "d",
    }
    category_axis = {"type": "category", "fixedrange": True, "automargin": True}
    if horizontal:
        category_axis["autorange"] = "reversed"
    return base_layout(
        height,
        barmode="stack",
        margin={"l": 16, "r": 16, "t": 8, "b": 56},
        xaxis=count_axis if horizontal else category_axis,
        yaxis=category_axis if horizontal else count_axis,
    )


def _count_step(largest: int) -> int:
    """A whole step between ticks that gives at most about eight of them."""
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000):
        if largest / step <= 8:
            return step
    return 10_000
