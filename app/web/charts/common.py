"""What every chart shares: the ``Chart`` a page embeds, the colours, the page's font, a
number as the reader writes it, the layout and axes, and the bars of mean scores that
the team page's principles and sections and the national means all use.

Colours come from the Okabe-Ito palette, which stays distinct for the common kinds of
colour blindness.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

BLUE, ORANGE, GREEN, GREY = "#0072B2", "#D55E00", "#009E73", "#6b7280"
INK = "#1b1f24"
BAND_SHADES = ("#e8f3ec", "#f1f6e9", "#fbf3e3", "#f8e9e9")  # best band first
FONT = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 14}
LABEL_AXIS = {"autorange": "reversed", "automargin": True, "fixedrange": True}


@dataclass(frozen=True)
class Chart:
    """One chart: its id on the page, its caption, its figure and its table."""

    key: str
    caption: str
    figure: dict[str, Any]
    columns: list[str]
    rows: list[list[str]]
    height: int


def number_text(value: float | None, language: str) -> str:
    """A number as the reader writes it (a decimal comma in Danish), "–" for none."""
    if value is None:
        return "–"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") if language == "da" else text


def base_layout(height: int, **extra: Any) -> dict[str, Any]:
    """A figure's layout: the page's font on white, the legend below; ``extra`` added."""
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


def score_axis(title: str, upper: float) -> dict[str, Any]:
    """A horizontal axis of scores from 0 to 5 (ticks on the scale's levels only), with
    room after 5 for the bars' labels."""
    return {
        "range": [0, upper],
        "tickvals": [0, 1, 2, 3, 4, 5],
        "title": {"text": title},
        "fixedrange": True,
    }


def mean_bar_figure(
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
        "layout": base_layout(
            height,
            showlegend=False,
            margin={"l": 16, "r": 24, "t": 8, "b": 40},
            xaxis=score_axis(t("mean_score"), upper),
            yaxis=LABEL_AXIS,
        ),
    }
