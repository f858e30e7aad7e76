"""Bars of mean scores: the team page's mean per principle and per section, and the
national overview's mean per item and per principle in one scale version.

A bar's label says how much stands behind it (the items rated, or how few teams), so the
label at the bar's end stays short and a small number is said in words, not by colour
alone.
"""

from __future__ import annotations

from typing import Any

from app.services.comparison import NATIONAL_MINIMUM_TEAMS as MINIMUM
from app.services.national_overview import Overview
from app.web.charts.common import BLUE, GREEN, Chart, mean_bar_figure, number_text


def group_chart(kind: str, groups: list[Any], language: str, t: Any) -> Chart:
    """Mean per principle (or section), with the number of items behind each bar."""
    labels = [group.title.get(language, group.key) for group in groups]
    means = [group.mean for group in groups]
    counts = [
        t.tn("items_behind_bar", group.item_count).format(
            rated=group.rated_count, count=group.item_count
        )
        for group in groups
    ]
    height = 90 + 42 * len(groups)
    # The items behind a bar go with its name, so the label at the bar's end stays short
    # and inside the chart (a long one ran off its edge).
    named = [f"{label} ({count})" for label, count in zip(labels, counts, strict=True)]
    texts = [number_text(m, language) for m in means]
    figure = mean_bar_figure(named, means, texts, {"color": BLUE}, height, 5.6, t)
    rows = [
        [label, number_text(group.mean, language), f"{group.rated_count} / {group.item_count}"]
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


def national_items_chart(overview: Overview, language: str, t: Any) -> Chart:
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


def national_principles_chart(overview: Overview, language: str, t: Any) -> Chart:
    """The national mean of every principle of one scale version in the year."""
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


def _version_name(overview: Overview, language: str) -> str:
    chosen = overview.means_version
    return f"{chosen.title.get(language)} {chosen.version}" if chosen else ""


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
        words = str(t.tn("few_teams", teams))
        return f" ({words.format(count=teams)})"

    texts = [
        number_text(mean, language) + few(teams)
        for (_, _, teams), mean in zip(entries, means, strict=True)
    ]
    figure = mean_bar_figure(labels, means, texts, marker, height, 5.6, t)
    figure["data"][0]["customdata"] = [teams for _, _, teams in entries]
    figure["data"][0]["hovertemplate"] = (
        "%{y}: %{x} (" + t("teams_behind_hover") + ")<extra></extra>"
    )
    rows = [
        [label, number_text(mean, language), str(teams) + few(teams)]
        for label, mean, teams in entries
    ]
    columns = [label_column, t("mean_score"), t("teams_behind_mean")]
    return Chart(key, caption, figure, columns, rows, height)
