"""Implementation status over the years: a team's element means beside its fidelity total
(the team page), and for STAR the share of teams at each status per element and year and
the municipalities with a measured team against the two-thirds goal (the national
overview).

The statuses come from the instrument; they are shaded and named on the team's chart and
differ in pattern as well as colour on the national one. Every element's line has its
own marker and dash, so no series is told apart by colour alone.
"""

from __future__ import annotations

from typing import Any

from app.services.implementation_figures import OVERALL, NationalImplementation, TeamHistory
from app.web.charts.common import (
    BAND_SHADES,
    BLUE,
    GREEN,
    GREY,
    INK,
    ORANGE,
    Chart,
    base_layout,
    number_text,
)

# An element's line: colour, marker, dash (in the instrument's order), then the overall.
LINES = (
    (BLUE, "circle", "solid"),
    (ORANGE, "square", "dash"),
    (GREEN, "diamond", "dot"),
    ("#CC79A7", "triangle-up", "dashdot"),
    ("#9A6700", "x", "longdash"),
    ("#56B4E9", "star", "solid"),
)
STATUS_COLOURS = (ORANGE, "#9A6700", BLUE, GREEN)  # lowest status first
STATUS_PATTERNS = ("x", ".", "/", "")
HEIGHT = 380


def team_implementation_chart(history: TeamHistory, language: str, t: Any) -> Chart:
    """Each element's mean step per year, the overall in bold, the fidelity total beside."""
    scheme = history.scheme
    years = [str(entry.year) for entry in history.years]
    data: list[dict[str, Any]] = []
    totals = [entry.fidelity_total for entry in history.years]
    if any(total is not None for total in totals):
        data.append(
            {
                "type": "bar",
                "name": t("chart_fidelity_total"),
                "x": years,
                "y": totals,
                "yaxis": "y2",
                "width": 0.35,
                "opacity": 0.45,
                "marker": {"color": "#d0d7de", "pattern": {"shape": "/", "fgcolor": "#8c959f"}},
                "hovertemplate": "%{x}: %{y}<extra>" + t("chart_fidelity_total") + "</extra>",
            }
        )
    series = [*scheme.elements, (OVERALL, None)]
    for index, (key, title) in enumerate(series):
        colour, symbol, dash = (
            LINES[index % len(LINES)] if key != OVERALL else (INK, "circle", "solid")
        )
        name = title.get(language) if title is not None else t("impl_overall")
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "x": years,
                "y": [entry.means.get(key) for entry in history.years],
                "marker": {"size": 12 if key == OVERALL else 9, "symbol": symbol, "color": colour},
                "line": {"dash": dash, "color": colour, "width": 4 if key == OVERALL else 2},
                "hovertemplate": "%{x}: %{y}<extra>" + name + "</extra>",
            }
        )
    bands = scheme.bands
    maxima = [entry.fidelity_maximum for entry in history.years if entry.fidelity_maximum]
    upper = max(maxima, default=max((x for x in totals if x is not None), default=1))
    layout = base_layout(
        HEIGHT,
        shapes=[
            _band_shape(shade, band.min, band.max)
            for shade, band in zip(reversed(BAND_SHADES), bands, strict=False)
        ],
        annotations=[_band_name(band.title.get(language), band.min, band.max) for band in bands],
        xaxis={"type": "category", "fixedrange": True},
        yaxis={
            "range": [0.8, 5.2],
            "tickvals": [1, 2, 3, 4, 5],
            "fixedrange": True,
            "title": {"text": t("impl_mean")},
        },
        yaxis2={
            "overlaying": "y",
            "side": "right",
            "range": [0, upper],
            "tickmode": "linear",
            "tick0": 0,
            "dtick": 25 if upper > 50 else 5,
            "fixedrange": True,
            "showgrid": False,
            "title": {"text": t("chart_fidelity_total")},
        },
        margin={"l": 56, "r": 56, "t": 16, "b": 48},
        legend={"orientation": "h", "y": -0.22},
    )
    columns = [
        t("year"),
        *(f"{title.get(language)}" for _, title in scheme.elements),
        t("impl_overall"),
        t("chart_fidelity_total"),
    ]
    keys = [key for key, _ in scheme.elements] + [OVERALL]
    rows = [
        [
            str(entry.year),
            *(
                _cell(entry.means.get(k), scheme.band(entry.statuses.get(k)), language)
                for k in keys
            ),
            number_text(entry.fidelity_total, language),
        ]
        for entry in history.years
    ]
    return Chart(
        "implementation",
        t("chart_team_implementation"),
        {"data": data, "layout": layout},
        columns,
        rows,
        HEIGHT,
    )


def _cell(mean: float | None, band: Any, language: str) -> str:
    """A mean step with its status in words: "3,2 (Undervejs)"."""
    if mean is None:
        return "–"
    text = number_text(mean, language)
    return f"{text} ({band.title.get(language)})" if band is not None else text


def _band_shape(shade: str, low: float, high: float) -> dict[str, Any]:
    return {
        "type": "rect",
        "xref": "paper",
        "x0": 0,
        "x1": 1,
        "yref": "y",
        "y0": low - 0.05,
        "y1": high + 0.05,
        "fillcolor": shade,
        "line": {"width": 0},
        "layer": "below",
    }


def _band_name(name: str, low: float, high: float) -> dict[str, Any]:
    return {
        "xref": "paper",
        "x": 0.01,
        "xanchor": "left",
        "yref": "y",
        "y": (low + high) / 2,
        "text": name,
        "showarrow": False,
        "font": {"size": 12, "color": "#4a5360"},
    }


def national_status_chart(found: NationalImplementation, language: str, t: Any) -> Chart:
    """The share of teams at each status, per element (and overall) and year: stacked
    bars grouped by element, one bar a year."""
    scheme = found.scheme
    # The bars are grouped under the elements' numbers (their names are long); the names
    # are in the table and in the note under the chart.
    numbers = {key: str(index) for index, (key, _) in enumerate(scheme.elements, start=1)}
    groups = [(OVERALL, t("impl_overall"))]
    groups += [(key, numbers[key]) for key, _ in scheme.elements]
    names = {OVERALL: t("impl_overall")} | {
        key: f"{numbers[key]}. {title.get(language)}" for key, title in scheme.elements
    }
    outer = [label for _, label in groups for _ in found.years]
    inner = [str(year) for _ in groups for year in found.years]
    data = []
    for index, band in enumerate(scheme.bands):
        shares, counts = [], []
        for key, _ in groups:
            for year in found.years:
                teams = found.teams(key, year)
                count = found.counts.get((key, year), {}).get(band.key, 0)
                counts.append(count)
                shares.append(round(100 * count / teams, 1) if teams else None)
        name = band.title.get(language)
        data.append(
            {
                "type": "bar",
                "name": name,
                "x": [outer, inner],
                "y": shares,
                "customdata": counts,
                "marker": {
                    "color": STATUS_COLOURS[index % len(STATUS_COLOURS)],
                    "pattern": {
                        "shape": STATUS_PATTERNS[index % len(STATUS_PATTERNS)],
                        "fillmode": "overlay",
                        "fgcolor": "#ffffff",
                    },
                    "line": {"color": "#ffffff", "width": 1},
                },
                "hovertemplate": "%{x}: %{y} % (%{customdata})<extra>" + name + "</extra>",
            }
        )
    height = 420
    layout = base_layout(
        height,
        barmode="stack",
        xaxis={"type": "multicategory", "fixedrange": True, "automargin": True},
        yaxis={
            "range": [0, 100],
            "ticksuffix": " %",
            "fixedrange": True,
            "title": {"text": t("chart_share_of_teams")},
        },
        margin={"l": 56, "r": 16, "t": 8, "b": 110},
        legend={"orientation": "h", "y": -0.45},
    )
    columns = [
        t("impl_element"),
        t("year"),
        *(band.title.get(language) for band in scheme.bands),
        t("teams"),
    ]
    rows = []
    for key, _label in groups:
        for year in found.years:
            teams = found.teams(key, year)
            cells = []
            for band in scheme.bands:
                count = found.counts.get((key, year), {}).get(band.key, 0)
                share = number_text(round(100 * count / teams, 1) if teams else None, language)
                cells.append(f"{count} ({share} %)")
            rows.append([names[key], str(year), *cells, str(teams)])
    return Chart(
        "implementation-status",
        t("chart_implementation_status"),
        {"data": data, "layout": layout},
        columns,
        rows,
        height,
    )


def coverage_chart(found: NationalImplementation, language: str, t: Any) -> Chart:
    """The share of municipalities with a measured team, per year, against two thirds."""
    years = [str(entry.year) for entry in found.coverage]
    shares = [round(100 * entry.share, 1) for entry in found.coverage]
    goal = round(100 * 2 / 3, 1)
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers+text",
            "name": t("chart_coverage_series"),
            "x": years,
            "y": shares,
            "text": [f"{number_text(s, language)} %" for s in shares],
            "textposition": "top center",
            "marker": {"size": 11, "color": BLUE},
            "line": {"color": BLUE},
            "hovertemplate": "%{x}: %{y} %<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "lines",
            "name": t("chart_coverage_goal"),
            "x": years,
            "y": [goal] * len(years),
            "line": {"color": GREY, "dash": "dash", "width": 2},
            "hoverinfo": "skip",
        },
    ]
    height = 320
    layout = base_layout(
        height,
        xaxis={"type": "category", "fixedrange": True},
        yaxis={
            "range": [0, 105],
            "ticksuffix": " %",
            "fixedrange": True,
            "title": {"text": t("chart_share_of_municipalities")},
        },
    )
    rows = [
        [
            str(entry.year),
            str(entry.covered),
            str(entry.total),
            f"{number_text(round(100 * entry.share, 1), language)} %",
            t("yes") if entry.covered >= found.goal else t("no"),
        ]
        for entry in found.coverage
    ]
    columns = [
        t("year"),
        t("chart_coverage_measured"),
        t("chart_coverage_all"),
        t("chart_coverage_share"),
        t("chart_coverage_goal_met"),
    ]
    return Chart(
        "coverage", t("chart_coverage"), {"data": data, "layout": layout}, columns, rows, height
    )
