"""The team page's charts, as Plotly figures (plain dicts) built from a ``TeamProfile``.

The page embeds each figure as JSON and ``static/js/charts.js`` only hands it to
Plotly, so what a chart shows is decided (and tested) here. Every chart has a table of
the same figures beneath it; the tables are built from the same rows.

Colours come from the Okabe-Ito palette, which stays distinct for the common kinds of
colour blindness, and no chart relies on colour alone: the series also differ in marker
shape or line style, and the fidelity bands carry their names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.scales.schema import ScaleDefinition
from app.services.national_figures import NO_LEVEL
from app.services.national_overview import Overview
from app.services.profiles import NATIONAL_MINIMUM_TEAMS as MINIMUM
from app.services.profiles import ReviewResult, TeamProfile

BLUE, ORANGE, GREEN, GREY = "#0072B2", "#D55E00", "#009E73", "#6b7280"
INK = "#1b1f24"
BAND_SHADES = ("#e8f3ec", "#f1f6e9", "#fbf3e3", "#f8e9e9")  # best band first
FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 14}


@dataclass(frozen=True)
class Chart:
    """One chart: its id on the page, its caption, its figure and its table."""

    key: str
    caption: str
    figure: dict[str, Any]
    columns: list[str]
    rows: list[list[str]]
    height: int


def team_charts(profile: TeamProfile, language: str, t: Any) -> list[Chart]:
    latest = profile.latest
    if latest is None:
        return []
    charts = [_totals(profile, language, t)]
    charts.append(_groups("principles", latest, latest.principles, language, t))
    charts.append(_groups("sections", latest, latest.sections, language, t))
    charts.append(_items(profile, language, t))
    return charts


def _number(value: float | None, language: str) -> str:
    if value is None:
        return "–"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if language == "da" else text


def _layout(height: int, **extra: Any) -> dict[str, Any]:
    return {
        "height": height,
        "margin": {"l": 56, "r": 16, "t": 16, "b": 48},
        "font": FONT,
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "showlegend": True,
        "legend": {"orientation": "h", "y": -0.18},
        **extra,
    }


def _totals(profile: TeamProfile, language: str, t: Any) -> Chart:
    """The total over the years, over the fidelity bands of the latest scale version.

    A review made with another scale version than the latest is its own series, with
    its own marker, so the eye does not read a change of scale as a change of practice.
    """
    latest = profile.latest
    assert latest is not None
    definition = latest.definition
    same = [r for r in profile.reviews if r.scale_version_id == latest.scale_version_id]
    other = [r for r in profile.reviews if r.scale_version_id != latest.scale_version_id]

    def series(reviews: list[ReviewResult], name: str, symbol: str, dash: str) -> dict[str, Any]:
        return {
            "type": "scatter",
            "mode": "lines+markers",
            "name": name,
            "x": [r.visit_date.isoformat() for r in reviews],
            "y": [r.total for r in reviews],
            "marker": {
                "size": 11,
                "symbol": symbol,
                "color": BLUE if symbol == "circle" else ORANGE,
            },
            "line": {"dash": dash, "color": BLUE if symbol == "circle" else ORANGE},
            "hovertemplate": "%{x|%d.%m.%Y}: %{y}<extra>" + name + "</extra>",
        }

    data = [
        series(same, f"{definition.title.get(language)} {latest.scale_version}", "circle", "solid")
    ]
    if other:
        data.append(series(other, t("chart_other_scale_version"), "diamond", "dot"))
    # The bands are drawn when levels are given for totals (a scale may give them for
    # the mean instead); more bands than shades are left unshaded.
    bands = (
        sorted(definition.levels.bands, key=lambda band: band.min, reverse=True)
        if definition.levels.basis == "total"
        else []
    )
    shapes, notes = [], []
    for shade, band in zip(BAND_SHADES, bands, strict=False):
        shapes.append(
            {
                "type": "rect",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "yref": "y",
                "y0": band.min - 0.5,
                "y1": band.max + 0.5,
                "fillcolor": shade,
                "line": {"width": 0},
                "layer": "below",
            }
        )
        notes.append(
            {
                "xref": "paper",
                "x": 0.01,
                "xanchor": "left",
                "yref": "y",
                "y": (band.min + band.max) / 2,
                "text": band.title.get(language),
                "showarrow": False,
                "font": {"size": 12, "color": "#4a5360"},
            }
        )
    count = len(definition.items)
    lowest, highest = (bands[-1].min, bands[0].max) if bands else (count, 5 * count)
    layout = _layout(
        340,
        shapes=shapes,
        annotations=notes,
        yaxis={
            "range": [lowest - 1, highest + 1],
            "title": {"text": t("total")},
            "fixedrange": True,
        },
        # one tick a year, on 1 January: Plotly's own choice put several ticks in a
        # year, each labelled with the year
        xaxis={
            "type": "date",
            "fixedrange": True,
            "tickformat": "%Y",
            "dtick": "M12",
            "tick0": "2000-01-01",
        },
    )
    rows = [
        [
            r.visit_date.isoformat(),
            f"{r.scale_key} {r.scale_version}",
            _number(r.total, language),
            r.level.title.get(language) if r.level else t("no_level"),
        ]
        for r in profile.reviews
    ]
    return Chart(
        "totals",
        t("chart_totals"),
        {"data": data, "layout": layout},
        [t("visit_date"), t("scale"), t("total"), t("fidelity_level")],
        rows,
        340,
    )


def _groups(kind: str, latest: ReviewResult, groups: list[Any], language: str, t: Any) -> Chart:
    """Mean per principle (or section), with the number of items behind each bar."""
    labels = [group.title.get(language, group.key) for group in groups]
    means = [group.mean for group in groups]
    counts = [
        t("items_behind_bar_one" if group.item_count == 1 else "items_behind_bar_many").format(
            rated=group.rated_count, count=group.item_count
        )
        for group in groups
    ]
    height = 90 + 42 * len(groups)
    # The items behind a bar go with its name, so the label at the bar's end stays short
    # and inside the chart (a long one ran off its edge).
    named = [f"{label} ({count})" for label, count in zip(labels, counts, strict=True)]
    texts = [_number(m, language) for m in means]
    figure = _mean_bar_figure(named, means, texts, {"color": BLUE}, height, 5.6, t)
    rows = [
        [label, _number(group.mean, language), f"{group.rated_count} / {group.item_count}"]
        for label, group in zip(labels, groups, strict=True)
    ]
    caption = t("chart_principles") if kind == "principles" else t("chart_sections")
    return Chart(
        kind,
        caption,
        figure,
        [
            t("principle") if kind == "principles" else t("section"),
            t("mean_score"),
            t("items_rated"),
        ],
        rows,
        height,
    )


def _items(profile: TeamProfile, language: str, t: Any) -> Chart:
    """Every item of the latest review, with the previous review's score (items both
    versions share) and the national median and quartiles behind it."""
    latest = profile.latest
    assert latest is not None
    definition: ScaleDefinition = latest.definition
    previous = profile.previous
    labels = [f"{item.number}. {item.title.get(language)}" for item in definition.items]
    scores = [_score(latest, item.key) for item in definition.items]
    data: list[dict[str, Any]] = []
    national = profile.national
    data.append(
        {
            "type": "bar",
            "orientation": "h",
            "name": t("chart_latest").format(date=latest.visit_date.isoformat()),
            "x": scores,
            "y": labels,
            "marker": {"color": BLUE, "opacity": 0.6},
            "hovertemplate": "%{y}: %{x}<extra></extra>",
        }
    )
    previous_scores: list[float | None] = []
    if previous is not None:
        previous_scores = [_score(previous, item.key) for item in definition.items]
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": t("chart_previous").format(date=previous.visit_date.isoformat()),
                "x": previous_scores,
                "y": labels,
                "marker": {
                    "symbol": "diamond",
                    "size": 11,
                    "color": ORANGE,
                    "line": {"color": "#ffffff", "width": 1},
                },
                "hovertemplate": "%{y}: %{x}<extra></extra>",
            }
        )
    # The national marks go last, over the bars (beneath them they were hard to see):
    # the median a thick dark stroke, the middle half a whisker with end caps.
    if national:
        medians = [national[i.key].median if i.key in national else None for i in definition.items]
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": t("chart_national").format(teams=profile.national_teams),
                "x": medians,
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
                        for i in definition.items
                    ],
                    "arrayminus": [
                        national[i.key].median - national[i.key].lower_quartile
                        if i.key in national
                        else None
                        for i in definition.items
                    ],
                    "color": INK,
                    "thickness": 3,
                    "width": 8,
                },
                "hovertemplate": "%{y}: %{x}<extra></extra>",
            }
        )
    height = 120 + 30 * len(labels)
    figure = {
        "data": data,
        "layout": _layout(
            height,
            barmode="overlay",
            margin={"l": 16, "r": 16, "t": 8, "b": 40},
            xaxis=_score_axis(t("score"), 5.3),
            yaxis=LABEL_AXIS,
            legend={"orientation": "h", "y": 1.0, "yanchor": "bottom", "x": 0},
        ),
    }
    columns = [t("item"), t("chart_latest_short")]
    if previous is not None:
        columns.append(t("chart_previous_short"))
    if national:
        columns += [t("national_median"), t("national_quartiles")]
    rows = []
    for index, item in enumerate(definition.items):
        row = [labels[index], _score_text(latest, item.key, language, t)]
        if previous is not None:
            row.append(
                _number(previous_scores[index], language)
                if item.key in previous.items
                else t("not_in_version")
            )
        if national:
            spread = national.get(item.key)
            row += (
                [
                    _number(spread.median, language),
                    _number(spread.lower_quartile, language)
                    + "–"
                    + _number(spread.upper_quartile, language),
                ]
                if spread
                else ["–", "–"]
            )
        rows.append(row)
    return Chart("items", t("chart_items"), figure, columns, rows, height)


LABEL_AXIS = {"autorange": "reversed", "automargin": True, "fixedrange": True}


def _score_axis(title: str, upper: float) -> dict[str, Any]:
    """A horizontal axis of scores from 0 to 5 (ticks on the scale's levels only), with
    room after 5 for the bars' labels."""
    return {
        "range": [0, upper],
        "tickvals": [0, 1, 2, 3, 4, 5],
        "title": {"text": title},
        "fixedrange": True,
    }


def _score(review: ReviewResult, key: str) -> float | None:
    result = review.items.get(key)
    return result.score if result is not None else None


def _score_text(review: ReviewResult, key: str, language: str, t: Any) -> str:
    result = review.items.get(key)
    if result is None:
        return "–"
    if result.score is None:
        return str(t("not_rated"))
    return _number(result.score, language)


# The national overview --------------------------------------------------------------------

LEVEL_KEYS = ("exemplary", "good", "fair", "not-ips", NO_LEVEL)
# Each at least 3:1 against white (WCAG 1.4.11), and told apart by pattern as well.
LEVEL_COLOURS = {"exemplary": GREEN, "good": BLUE, "fair": "#9A6700", "not-ips": ORANGE}
LEVEL_PATTERNS = {"exemplary": "", "good": "/", "fair": ".", "not-ips": "x", NO_LEVEL: "-"}


def national_charts(overview: Overview, language: str, t: Any) -> list[Chart]:
    charts = []
    if overview.levels_by_year:
        charts.append(_levels_by_year(overview, language, t))
    if overview.by_region:
        charts.append(_levels_by_region(overview, language, t))
    if overview.items:
        charts.append(_national_items(overview, language, t))
    if overview.principles:
        charts.append(_national_principles(overview, language, t))
    return charts


def _level_names(overview: Overview, language: str, t: Any) -> dict[str, str]:
    names = {key: title.get(language) for key, title in overview.level_titles.items()}
    names[NO_LEVEL] = t("no_level")
    return names


def _stacked(
    key: str,
    caption: str,
    groups: list[tuple[str, dict[str, int]]],
    overview: Overview,
    language: str,
    t: Any,
    *,
    first_column: str,
    horizontal: bool,
) -> Chart:
    """Reviews per fidelity level, stacked, one bar per group (a year or a region).
    Levels differ in pattern as well as colour, and the legend names them."""
    names = _level_names(overview, language, t)
    present = [level for level in LEVEL_KEYS if any(counts.get(level) for _, counts in groups)]
    labels = [label for label, _ in groups]
    traces = []
    for level in present:
        values = [counts.get(level, 0) for _, counts in groups]
        trace: dict[str, Any] = {
            "type": "bar",
            "name": names.get(level, level),
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
        traces.append(trace)
    height = (110 + 44 * len(groups)) if horizontal else 340
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
    layout = _layout(
        height,
        barmode="stack",
        margin={"l": 16, "r": 16, "t": 8, "b": 56},
        xaxis=count_axis if horizontal else category_axis,
        yaxis=category_axis if horizontal else count_axis,
    )
    rows = [
        [label, *(str(counts.get(level, 0)) for level in present), str(sum(counts.values()))]
        for label, counts in groups
    ]
    columns = [first_column, *(names.get(level, level) for level in present), t("total")]
    return Chart(key, caption, {"data": traces, "layout": layout}, columns, rows, height)


def _count_step(largest: int) -> int:
    """A whole step between ticks that gives at most about eight of them."""
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000):
        if largest / step <= 8:
            return step
    return 10_000


def _levels_by_year(overview: Overview, language: str, t: Any) -> Chart:
    groups = [(str(year), counts) for year, counts in overview.levels_by_year]
    return _stacked(
        "levels-by-year", t("chart_levels_by_year"), groups, overview, language, t,
        first_column=t("year"), horizontal=False,
    )  # fmt: skip


def _levels_by_region(overview: Overview, language: str, t: Any) -> Chart:
    groups = [(name, counts) for _code, name, counts in overview.by_region]
    caption = t("chart_levels_by_region").format(year=overview.year)
    return _stacked(
        "levels-by-region", caption, groups, overview, language, t,
        first_column=t("region"), horizontal=True,
    )  # fmt: skip


def _version_name(overview: Overview, language: str) -> str:
    chosen = overview.means_version
    return f"{chosen.title.get(language)} {chosen.version}" if chosen else ""


def _national_items(overview: Overview, language: str, t: Any) -> Chart:
    """The national mean of every item of one scale version in the year, weakest first."""
    caption = t("chart_national_items").format(
        year=overview.year, scale=_version_name(overview, language)
    )
    return _mean_bars(
        "national-items",
        caption,
        [(f"{e.number}. {e.title.get(language)}", e.mean, e.teams) for e in overview.items],
        t("item"),
        {"color": BLUE},
        language,
        t,
    )


def _national_principles(overview: Overview, language: str, t: Any) -> Chart:
    caption = t("chart_national_principles").format(
        year=overview.year, scale=_version_name(overview, language)
    )
    return _mean_bars(
        "national-principles",
        caption,
        [(f"{e.number}. {e.title.get(language)}", e.mean, e.teams) for e in overview.principles],
        t("principle"),
        {"color": GREEN, "pattern": {"shape": "/", "fillmode": "overlay", "fgcolor": "#ffffff"}},
        language,
        t,
    )


def _mean_bars(
    key: str,
    caption: str,
    entries: list[tuple[str, float, int]],
    label_column: str,
    marker: dict[str, Any],
    language: str,
    t: Any,
) -> Chart:
    """Horizontal bars of mean scores (label, mean, teams behind it), labelled with the
    mean, over a 0-5 axis; a mean from fewer than the small-number rule's teams says so
    in its label. The table says the same with the number of teams."""
    labels = [label for label, _, _ in entries]
    means = [round(mean, 2) for _, mean, _ in entries]
    height = 90 + 32 * len(labels)

    def few(teams: int) -> str:  # said in words, not by colour alone
        if teams >= MINIMUM:
            return ""
        words = str(t("few_teams_one" if teams == 1 else "few_teams_many"))
        return f" ({words.format(count=teams)})"

    texts = [
        _number(mean, language) + few(teams)
        for (_, _, teams), mean in zip(entries, means, strict=True)
    ]
    figure = _mean_bar_figure(labels, means, texts, marker, height, 5.6, t)
    figure["data"][0]["customdata"] = [teams for _, _, teams in entries]
    figure["data"][0]["hovertemplate"] = (
        "%{y}: %{x} (" + t("teams_behind_hover") + ")<extra></extra>"
    )
    rows = [
        [label, _number(mean, language), str(teams) + few(teams)] for label, mean, teams in entries
    ]
    columns = [label_column, t("mean_score"), t("teams_behind_mean")]
    return Chart(key, caption, figure, columns, rows, height)


def _mean_bar_figure(
    labels: list[str],
    means: Sequence[float | None],
    texts: list[str],
    marker: dict[str, Any],
    height: int,
    upper: float,
    t: Any,
) -> dict[str, Any]:
    """Horizontal bars of mean scores, each labelled at its end, over a 0-5 axis with
    room up to ``upper`` for the labels."""
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "x": means,
                "y": labels,
                "text": texts,
                "textposition": "outside",
                "cliponaxis": False,
                "marker": marker,
                "name": t("mean_score"),
                "hovertemplate": "%{y}: %{x}<extra></extra>",
            }
        ],
        "layout": _layout(
            height,
            showlegend=False,
            margin={"l": 16, "r": 24, "t": 8, "b": 40},
            xaxis=_score_axis(t("mean_score"), upper),
            yaxis=LABEL_AXIS,
        ),
    }
