"""The team page's items: every item of the latest review as a bar, the previous review's
score as a marker (on the items both versions share), and the national median and middle
half of the teams drawn over the bars.
"""

from __future__ import annotations

from typing import Any

from app.scales.schema import ScaleDefinition
from app.services.comparison import NationalItem
from app.services.profiles import ReviewResult, TeamProfile
from app.web.charts.common import (
    BLUE,
    INK,
    LABEL_AXIS,
    ORANGE,
    Chart,
    base_layout,
    number_text,
    score_axis,
)


def items_chart(profile: TeamProfile, language: str, t: Any) -> Chart:
    """Every item of the latest review beside the previous review and the country."""
    latest = profile.latest
    assert latest is not None
    definition: ScaleDefinition = latest.definition
    previous = profile.previous
    labels = [f"{item.number}. {item.title.get(language)}" for item in definition.items]
    data = [_latest_bars(latest, labels, t)]
    previous_scores: list[float | None] = []
    if previous is not None:
        # Only where the crosswalk says the item measures the same thing in both versions.
        comparable = latest.comparable_with(previous)
        previous_scores = [
            _score(previous, item.key) if item.key in comparable else None
            for item in definition.items
        ]
        data.append(_previous_marks(previous, previous_scores, labels, t))
    # The national marks go last, over the bars (beneath them they were hard to see).
    if profile.national:
        data.append(_national_marks(profile, labels, t))
    height = 120 + 30 * len(labels)
    figure = {
        "data": data,
        "layout": base_layout(
            height,
            barmode="overlay",
            margin={"l": 16, "r": 16, "t": 8, "b": 40},
            xaxis=score_axis(t("score"), 5.3),
            yaxis=LABEL_AXIS,
            legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
        ),
    }
    columns = [t("item"), t("chart_latest_short")]
    if previous is not None:
        columns.append(t("chart_previous_short"))
    if profile.national:
        columns += [t("national_median"), t("national_quartiles")]
    rows = _rows(profile, labels, previous_scores, language, t)
    return Chart("items", t("chart_items"), figure, columns, rows, height)


def _latest_bars(latest: ReviewResult, labels: list[str], t: Any) -> dict[str, Any]:
    """The latest review's score per item, as horizontal bars."""
    return {
        "type": "bar",
        "orientation": "h",
        "name": t("chart_latest").format(date=latest.visit_date.isoformat()),
        "x": [_score(latest, item.key) for item in latest.definition.items],
        "y": labels,
        "marker": {"color": BLUE, "opacity": 0.6},
        "hovertemplate": "%{y}: %{x}<extra></extra>",
    }


def _previous_marks(
    previous: ReviewResult, scores: list[float | None], labels: list[str], t: Any
) -> dict[str, Any]:
    """The previous review's score per item, as diamonds."""
    return {
        "type": "scatter",
        "mode": "markers",
        "name": t("chart_previous").format(date=previous.visit_date.isoformat()),
        "x": scores,
        "y": labels,
        "marker": {
            "symbol": "diamond",
            "size": 11,
            "color": ORANGE,
            "line": {"color": "#ffffff", "width": 1},
        },
        "hovertemplate": "%{y}: %{x}<extra></extra>",
    }


def _national_marks(profile: TeamProfile, labels: list[str], t: Any) -> dict[str, Any]:
    """The national median per item as a thick dark stroke, the middle half as a whisker
    with end caps."""
    assert profile.latest is not None
    items = profile.latest.definition.items
    national = profile.national
    return {
        "type": "scatter",
        "mode": "markers",
        "name": t("chart_national").format(teams=profile.national_teams),
        "x": [national[i.key].median if i.key in national else None for i in items],
        "y": labels,
        "marker": {
            "symbol": "line-ns-open",
            "size": 22,
            "color": INK,
            "line": {"width": 4, "color": INK},
        },
        "error_x": {
            "type": "data",
            "symmetric": False,
            "array": [
                national[i.key].upper_quartile - national[i.key].median
                if i.key in national
                else None
                for i in items
            ],
            "arrayminus": [
                national[i.key].median - national[i.key].lower_quartile
                if i.key in national
                else None
                for i in items
            ],
            "color": INK,
            "thickness": 3,
            "width": 8,
        },
        "hovertemplate": "%{y}: %{x}<extra></extra>",
    }


def _rows(
    profile: TeamProfile,
    labels: list[str],
    previous_scores: list[float | None],
    language: str,
    t: Any,
) -> list[list[str]]:
    """The table: per item the latest score, the previous one and the national spread."""
    latest, previous, national = profile.latest, profile.previous, profile.national
    assert latest is not None
    comparable = latest.comparable_with(previous) if previous is not None else frozenset()
    rows = []
    for index, item in enumerate(latest.definition.items):
        row = [labels[index], _score_text(latest, item.key, language, t)]
        if previous is not None:
            if item.key not in previous.items:
                row.append(t("not_in_version"))
            elif item.key not in comparable:
                row.append(t("not_comparable"))
            else:
                row.append(number_text(previous_scores[index], language))
        if national:
            row += _spread_cells(national.get(item.key), language)
        rows.append(row)
    return rows


def _spread_cells(spread: NationalItem | None, language: str) -> list[str]:
    """The national median, and the middle half as "lower–upper"."""
    if not spread:
        return ["–", "–"]
    return [
        number_text(spread.median, language),
        number_text(spread.lower_quartile, language)
        + "–"
        + number_text(spread.upper_quartile, language),
    ]


def _score(review: ReviewResult, key: str) -> float | None:
    result = review.items.get(key)
    return result.score if result is not None else None


def _score_text(review: ReviewResult, key: str, language: str, t: Any) -> str:
    result = review.items.get(key)
    if result is None:
        return "–"
    if result.score is None:
        return str(t("not_rated"))
    return number_text(result.score, language)
