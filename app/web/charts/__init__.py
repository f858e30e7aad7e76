"""The charts of the team page and the national overview, as Plotly figures (plain
dicts): which charts a page has, in what order. Each figure is built in a module of its
own (totals.py, items.py, means.py, stacked.py, implementation.py, outcomes.py) on what
common.py
shares.

A page embeds each figure as JSON and ``static/js/charts.js`` only hands it to Plotly, so
what a chart shows is decided (and tested) here. Every chart has a table of the same
figures beneath it; the tables are built from the same rows.

No chart relies on colour alone: the series also differ in marker shape or line style,
and the fidelity bands carry their names.
"""

from __future__ import annotations

from typing import Any

from app.services.implementation_figures import NationalImplementation, TeamHistory
from app.services.national_overview import Overview
from app.services.outcome_figures import NationalOutcomes
from app.services.outcomes import TeamOutcomes
from app.services.profiles import TeamProfile
from app.web.charts import implementation, means, outcomes, stacked
from app.web.charts.common import Chart
from app.web.charts.items import items_chart
from app.web.charts.totals import totals_chart


def team_charts(profile: TeamProfile, language: str, t: Any) -> list[Chart]:
    """The team page's charts (none before its first finalised review)."""
    latest = profile.latest
    if latest is None:
        return []
    return [
        totals_chart(profile, language, t),
        means.group_chart("principles", latest.principles, language, t),
        means.group_chart("sections", latest.sections, language, t),
        items_chart(profile, language, t),
    ]


def national_charts(overview: Overview, language: str, t: Any) -> list[Chart]:
    """The national overview's charts, those with something to show."""
    charts = []
    if overview.levels_by_year:
        charts.append(stacked.levels_by_year_chart(overview, language, t))
    if overview.by_region:
        charts.append(stacked.levels_by_region_chart(overview, language, t))
    if overview.items:
        charts.append(means.national_items_chart(overview, language, t))
    if overview.principles:
        charts.append(means.national_principles_chart(overview, language, t))
    return charts


def team_implementation_charts(history: TeamHistory | None, language: str, t: Any) -> list[Chart]:
    """The team page's implementation status over the years (none before it is confirmed)."""
    if history is None or not history.years:
        return []
    return [implementation.team_implementation_chart(history, language, t)]


def implementation_charts(
    found: NationalImplementation | None, language: str, t: Any
) -> list[Chart]:
    """The national overview's implementation status and coverage over the years."""
    if found is None or not found.years:
        return []
    return [
        implementation.national_status_chart(found, language, t),
        implementation.coverage_chart(found, language, t),
    ]


def team_outcome_charts(
    found: TeamOutcomes, profile: TeamProfile, language: str, t: Any
) -> list[Chart]:
    """The team page's outcomes beside its fidelity totals (none before its first figures)."""
    chart = outcomes.team_outcome_chart(found, profile, language, t)
    return [] if chart is None else [chart]


def national_outcome_charts(found: NationalOutcomes, language: str, t: Any) -> list[Chart]:
    """The national overview's outcomes over the quarters, each region's, and the teams'
    fidelity against their outcome share: those with something to show."""
    charts = []
    if found.quarters:
        charts.append(outcomes.national_outcome_chart(found.quarters, language, t))
    if len(found.regions) > 1:
        charts.append(outcomes.region_outcome_chart(found, language, t))
    if found.points:
        charts.append(outcomes.fidelity_outcome_chart(found, language, t))
    return charts
