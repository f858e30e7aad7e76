"""Outcomes beside fidelity: a team's outcome shares quarter by quarter with its fidelity
totals beside them (the team page); the country's (or a region's) and each region's share
in work or education over the quarters, and the teams' fidelity against their outcome
share (the national overview). The grant's goals, 42 % and 59.5 %, are drawn as named
lines on every outcome axis.

Series differ in marker and dash as well as colour; the scatter's points carry the
team's name on hover and in the table, and the two programmes differ in shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from app.models import MEASURES
from app.services.outcome_figures import GOAL_MEASURE, NationalOutcomes, QuarterShares
from app.services.outcomes import END_GOAL, GOAL, TeamOutcomes
from app.services.profiles import TeamProfile
from app.web.charts.common import BLUE, GREEN, GREY, INK, ORANGE, Chart, base_layout, number_text
from app.web.charts.implementation import LINES

MEASURE_LINES = {
    "work_or_education": (INK, "circle", "solid", 4),
    "paid_hours": (BLUE, "square", "dash", 2),
    "employment": (GREEN, "diamond", "dot", 2),
    "education": (ORANGE, "triangle-up", "dashdot", 2),
}
HEIGHT = 380
TABLE_TEAMS = 100  # the scatter's table lists the highest totals; the export has every team


def _percent(value: float | None, language: str) -> str:
    return "–" if value is None else f"{number_text(value, language)} %"


def _goal_lines(x: list[str], t: Any) -> list[dict[str, Any]]:
    """The two goals as dashed grey lines, named in the legend (not by colour alone)."""
    return [
        {
            "type": "scatter",
            "mode": "lines",
            "name": t("chart_outcome_goal").format(goal=number_text(goal, t.language)),
            "x": x,
            "y": [goal] * len(x),
            "line": {"color": GREY, "dash": dash, "width": 2},
            "hoverinfo": "skip",
        }
        for goal, dash in ((GOAL, "dash"), (END_GOAL, "longdash"))
    ]


def _measure_lines(
    x: list[str], share: Callable[[str, str], float | None], t: Any
) -> list[dict[str, Any]]:
    """A line per outcome with a share in some quarter (``share(label, measure)``); a
    quarter without one is bridged."""
    lines = []
    for measure in MEASURES:
        values = [share(label, measure) for label in x]
        if all(v is None for v in values):
            continue
        colour, symbol, dash, width = MEASURE_LINES[measure]
        name = t(f"outcome_{measure}")
        lines.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "x": x,
                "y": values,
                "connectgaps": True,
                "marker": {"size": 9, "symbol": symbol, "color": colour},
                "line": {"dash": dash, "color": colour, "width": width},
                "hovertemplate": "%{x}: %{y} %<extra>" + name + "</extra>",
            }
        )
    return lines


def _share_axis(t: Any) -> dict[str, Any]:
    return {
        "range": [0, 100],
        "ticksuffix": " %",
        "fixedrange": True,
        "title": {"text": t("chart_outcome_share")},
    }


def team_outcome_chart(
    found: TeamOutcomes, profile: TeamProfile, language: str, t: Any
) -> Chart | None:
    """The team's shares per quarter, each outcome a line, its fidelity totals as bars in
    the quarter of each visit (on their own axis), the goals as lines."""
    if not found.quarters:
        return None
    labels = [q.label for q in found.quarters]
    data: list[dict[str, Any]] = []
    visits: dict[str, float] = {}
    for review in profile.reviews:
        label = f"{review.visit_date.year}K{(review.visit_date.month - 1) // 3 + 1}"
        visits[label] = review.total
    x = sorted(set(labels) | set(visits))
    if visits:
        data.append(
            {
                "type": "bar",
                "name": t("chart_fidelity_total"),
                "x": x,
                "y": [visits.get(label) for label in x],
                "yaxis": "y2",
                "width": 0.4,
                "opacity": 0.45,
                "marker": {"color": "#d0d7de", "pattern": {"shape": "/", "fgcolor": "#8c959f"}},
                "hovertemplate": "%{x}: %{y}<extra>" + t("chart_fidelity_total") + "</extra>",
            }
        )
    by_label = {q.label: q for q in found.quarters}
    shares = {label: q.shares for label, q in by_label.items()}
    data += _measure_lines(x, lambda label, measure: shares.get(label, {}).get(measure), t)
    data += _goal_lines(x, t)
    maxima = [review.maximum for review in profile.reviews]
    layout = base_layout(
        HEIGHT,
        xaxis={"type": "category", "fixedrange": True},
        yaxis=_share_axis(t),
        yaxis2={
            "overlaying": "y",
            "side": "right",
            "range": [0, max(maxima, default=125)],
            "fixedrange": True,
            "showgrid": False,
            "title": {"text": t("chart_fidelity_total")},
        },
        margin={"l": 56, "r": 56, "t": 16, "b": 48},
        legend={"orientation": "h", "y": -0.22},
    )
    columns = [
        t("outcome_quarter"),
        t("outcome_source"),
        t("outcome_participants"),
        *(t(f"outcome_{m}") for m in MEASURES),
        t("chart_fidelity_total"),
    ]
    rows = []
    for label in reversed(x):
        quarter = by_label.get(label)
        source = "–"
        if quarter is not None:
            source = (
                t("outcome_source_star_partial").format(
                    count=quarter.municipalities_in, total=found.municipalities
                )
                if quarter.source == "star_partial"
                else t(f"outcome_source_{quarter.source}")
            )
        rows.append(
            [
                label,
                source,
                str(quarter.participants) if quarter else "–",
                *(_percent(quarter.shares.get(m) if quarter else None, language) for m in MEASURES),
                number_text(visits.get(label), language),
            ]
        )
    return Chart(
        "outcomes",
        t("chart_team_outcomes"),
        {"data": data, "layout": layout},
        columns,
        rows,
        HEIGHT,
    )


def national_outcome_chart(quarters: list[QuarterShares], language: str, t: Any) -> Chart:
    """The share of the people in the effort with each outcome, quarter by quarter."""
    x = [q.label for q in quarters]
    by_label = {q.label: q for q in quarters}
    data = _measure_lines(x, lambda label, measure: by_label[label].shares.get(measure), t)
    data += _goal_lines(x, t)
    layout = base_layout(
        HEIGHT, xaxis={"type": "category", "fixedrange": True}, yaxis=_share_axis(t)
    )
    columns = [
        t("outcome_quarter"),
        t("municipalities"),
        t("outcome_participants"),
        *(t(f"outcome_{m}") for m in MEASURES),
    ]
    rows = [
        [
            q.label,
            str(q.municipalities),
            str(q.participants),
            *(_percent(q.shares.get(m), language) for m in MEASURES),
        ]
        for q in reversed(quarters)
    ]
    return Chart(
        "outcomes", t("chart_national_outcomes"), {"data": data, "layout": layout}, columns,
        rows, HEIGHT,
    )  # fmt: skip


def region_outcome_chart(found: NationalOutcomes, language: str, t: Any) -> Chart:
    """Each region's share in work or education over the quarters, one line a region."""
    x = sorted({q.label for _, quarters in found.regions for q in quarters})
    data: list[dict[str, Any]] = []
    for index, (name, quarters) in enumerate(found.regions):
        colour, symbol, dash = LINES[index % len(LINES)]
        by_label = {q.label: q.shares.get(GOAL_MEASURE) for q in quarters}
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "x": x,
                "y": [by_label.get(label) for label in x],
                "marker": {"size": 9, "symbol": symbol, "color": colour},
                "line": {"dash": dash, "color": colour, "width": 2},
                "hovertemplate": "%{x}: %{y} %<extra>" + name + "</extra>",
            }
        )
    data += _goal_lines(x, t)
    layout = base_layout(
        HEIGHT, xaxis={"type": "category", "fixedrange": True}, yaxis=_share_axis(t)
    )
    columns = [t("outcome_quarter"), *(name for name, _ in found.regions)]
    shares = {
        name: {q.label: q.shares.get(GOAL_MEASURE) for q in quarters}
        for name, quarters in found.regions
    }
    rows = [
        [label, *(_percent(shares[name].get(label), language) for name, _ in found.regions)]
        for label in reversed(x)
    ]
    return Chart(
        "outcomes-regions", t("chart_region_outcomes"), {"data": data, "layout": layout},
        columns, rows, HEIGHT,
    )  # fmt: skip


def fidelity_outcome_chart(found: NationalOutcomes, language: str, t: Any) -> Chart:
    """Each team's latest fidelity total against its share in work or education."""
    data: list[dict[str, Any]] = []
    for program, symbol, colour in (("ips", "circle", BLUE), ("ips_lignende", "diamond", ORANGE)):
        points = [p for p in found.points if p.program_type == program]
        if not points:
            continue
        name = t(f"program_{program}")
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": name,
                "x": [p.total for p in points],
                "y": [p.share for p in points],
                "text": [p.name for p in points],
                "marker": {"size": 12, "symbol": symbol, "color": colour, "opacity": 0.85},
                "hovertemplate": "%{text}: %{x} · %{y} %<extra>" + name + "</extra>",
            }
        )
    totals = [p.total for p in found.points]
    data += [
        {
            **line,
            "x": [min(totals, default=0), max(totals, default=125)],
            "y": line["y"][:1] * 2,
        }
        for line in _goal_lines(["", ""], t)
    ]
    layout = base_layout(
        HEIGHT,
        xaxis={"fixedrange": True, "title": {"text": t("chart_latest_fidelity_total")}},
        yaxis=_share_axis(t),
        margin={"l": 56, "r": 16, "t": 16, "b": 96},
        legend={"orientation": "h", "y": -0.32},
    )
    columns = [
        t("team"),
        t("region"),
        t("chart_latest_fidelity_total"),
        t("chart_outcome_point_share"),
        t("chart_outcome_point_quarters"),
    ]
    ranked = sorted(found.points, key=lambda p: (-p.total, p.name))
    rows = [
        [
            p.name,
            p.regions,
            number_text(p.total, language),
            _percent(p.share, language),
            f"{p.quarters[0]}–{p.quarters[-1]}" if len(p.quarters) > 1 else p.quarters[0],
        ]
        for p in ranked[:TABLE_TEAMS]
    ]
    if len(ranked) > TABLE_TEAMS:
        more = t("chart_more_teams").format(count=len(ranked) - TABLE_TEAMS)
        rows.append([more, "", "", "", ""])
    return Chart(
        "fidelity-outcomes", t("chart_fidelity_outcomes"), {"data": data, "layout": layout},
        columns, rows, HEIGHT,
    )  # fmt: skip
