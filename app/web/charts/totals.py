"""The team page's total over the years, over the fidelity bands of the latest scale
version.

A review made with another scale version than the latest is its own series, with its
own marker and line, so the eye does not read a change of scale as a change of practice.
The bands are shaded when the scale gives its levels for totals (a scale may give them
for the mean instead), each with its name; more bands than shades are left unshaded.
"""

from __future__ import annotations

from typing import Any

from app.scales.schema import LevelBand, ScaleDefinition
from app.services.profiles import ReviewResult, TeamProfile
from app.web.charts.common import (
    BAND_SHADES,
    BLUE,
    ORANGE,
    Chart,
    base_layout,
    number_text,
)

HEIGHT = 340

# One tick a year, on 1 January: Plotly's own choice put several ticks in a year, each
# labelled with the year.
YEAR_AXIS = {
    "type": "date",
    "fixedrange": True,
    "tickformat": "%Y",
    "dtick": "M12",
    "tick0": "2000-01-01",
}


def totals_chart(profile: TeamProfile, language: str, t: Any) -> Chart:
    """The total of every review over the years, with its table."""
    latest = profile.latest
    assert latest is not None
    definition = latest.definition
    same = [r for r in profile.reviews if r.scale_version_id == latest.scale_version_id]
    other = [r for r in profile.reviews if r.scale_version_id != latest.scale_version_id]
    data = [
        _series(same, f"{definition.title.get(language)} {latest.scale_version}", "circle", "solid")
    ]
    if other:
        data.append(_series(other, t("chart_other_scale_version"), "diamond", "dot"))
    bands = _total_bands(definition)
    shaded = list(zip(BAND_SHADES, bands, strict=False))
    layout = base_layout(
        HEIGHT,
        shapes=[_band_shape(shade, band) for shade, band in shaded],
        annotations=[_band_name(band, language) for _, band in shaded],
        yaxis=_total_axis(definition, bands, t),
        xaxis=YEAR_AXIS,
    )
    return Chart(
        "totals",
        t("chart_totals"),
        {"data": data, "layout": layout},
        [t("visit_date"), t("scale"), t("total"), t("fidelity_level")],
        _rows(profile, language, t),
        HEIGHT,
    )


def _series(reviews: list[ReviewResult], name: str, symbol: str, dash: str) -> dict[str, Any]:
    """One scale version's totals as a line with markers."""
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


def _total_bands(definition: ScaleDefinition) -> list[LevelBand]:
    """The scale's fidelity bands of totals, best first (none if its levels are of means)."""
    if definition.levels.basis != "total":
        return []
    return sorted(definition.levels.bands, key=lambda band: band.min, reverse=True)


def _band_shape(shade: str, band: LevelBand) -> dict[str, Any]:
    """A band's shading across the chart, behind the series."""
    return {
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


def _band_name(band: LevelBand, language: str) -> dict[str, Any]:
    """A band's name, at the left edge in the middle of the band."""
    return {
        "xref": "paper",
        "x": 0.01,
        "xanchor": "left",
        "yref": "y",
        "y": (band.min + band.max) / 2,
        "text": band.title.get(language),
        "showarrow": False,
        "font": {"size": 12, "color": "#4a5360"},
    }


def _total_axis(definition: ScaleDefinition, bands: list[LevelBand], t: Any) -> dict[str, Any]:
    """The totals' axis: the bands' whole range, else every total the scale allows."""
    count = len(definition.items)
    lowest, highest = (bands[-1].min, bands[0].max) if bands else (count, 5 * count)
    return {
        "range": [lowest - 1, highest + 1],
        "title": {"text": t("total")},
        "fixedrange": True,
    }


def _rows(profile: TeamProfile, language: str, t: Any) -> list[list[str]]:
    """The table: each review's date, scale version, total and level."""
    return [
        [
            r.visit_date.isoformat(),
            f"{r.scale_key} {r.scale_version}",
            number_text(r.total, language),
            r.level.title.get(language) if r.level else t("no_level"),
        ]
        for r in profile.reviews
    ]
