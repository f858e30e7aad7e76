"""The national overview page for STAR's analysts (and administrators and ambassadors),
and its workbook download."""

from __future__ import annotations

import math
from datetime import date
from typing import Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from app.db import SessionDep
from app.errors import Forbidden
from app.i18n import translator
from app.models import ProgramType
from app.services import (
    access,
    comparison,
    corps,
    export_files,
    implementation_figures,
    national_filters,
    national_overview,
    national_small_numbers,
    national_teams,
    outcome_figures,
    paging,
)
from app.web import charts, downloads
from app.web.auth import CurrentPrincipal
from app.web.htmx import render
from app.web.params import PageParam

router = APIRouter()

Sort = Literal["name", "region", "visit", "total", "level", "change", "due"]


@router.get("/national", response_class=HTMLResponse, name="national")
def national_page(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    query: downloads.Filtered,
    sort: Sort = "name",
    order: Literal["asc", "desc"] = "asc",
    page: PageParam = None,
) -> Response:
    if not access.can_read_national(principal):
        raise Forbidden.of("role_forbidden")
    filters = national_filters.parse_filters(session, **query.model_dump())
    settings = request.app.state.settings
    found = national_overview.overview(
        session,
        principal=principal,
        filters=filters,
        today=settings.today(),
        months_below_good=settings.follow_up_months_below_good,
        months=settings.follow_up_months,
    )
    rows = national_teams.sort_teams(rows=found.teams, sort=sort, descending=order == "desc")
    chosen = paging.page_request(number=page, default_size=national_teams.TEAMS_PER_PAGE)
    paging.check_within(chosen, total=len(rows))
    pages = max(1, math.ceil(len(rows) / national_teams.TEAMS_PER_PAGE))
    start = chosen.offset
    language = request.state.language
    base = str(request.url_for("national").path)
    implementation = implementation_figures.national_implementation(
        session, principal=principal, filters=filters
    )

    national_outcomes = outcome_figures.kept_outcomes(
        session, principal=principal, filters=filters, teams=found.teams, today=settings.today()
    )

    def link(**changes: object) -> str:
        """This page with the same filters and other sorting or paging."""
        return f"{base}?{urlencode(filters.as_query() | {k: str(v) for k, v in changes.items()})}"

    context = {
        "link": link,
        "overview": found,
        "filters": filters,
        "query": filters.as_query(),
        "regions": national_filters.region_choices(session),
        "programs": [p.value for p in ProgramType],
        "scales": national_filters.scale_values(session),
        "charts": charts.national_charts(found, language, translator(language)),
        "implementation": implementation,
        "implementation_charts": charts.implementation_charts(
            implementation, language, translator(language)
        ),
        "outcomes": national_outcomes,
        "outcome_charts": charts.national_outcome_charts(
            national_outcomes, language, translator(language)
        ),
        "outcome_minimum": outcome_figures.MINIMUM_PEOPLE,
        "agreements": corps.coverage(
            session,
            on=min(settings.today(), date(found.year, 12, 31)),
            region_code=filters.region,
        ),
        "rows": rows[start : start + national_teams.TEAMS_PER_PAGE],
        "team_count": len(rows),
        "sort": sort,
        "order": order,
        "page": chosen.number,
        "pages": pages,
        "can_export": access.can_export(principal),
        "sees_all": national_small_numbers.sees_all_teams(principal=principal),
        "minimum": comparison.NATIONAL_MINIMUM_TEAMS,
        "today": settings.today(),
    }
    return render(request, "national/index.html", context)


@router.get("/national/workbook.xlsx", name="national_workbook")
def national_workbook(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    filters: downloads.Filtered,
    labels: downloads.LabelsParam = "words",
) -> Response:
    """The whole export as one workbook, streamed as it is written: reviews, ratings,
    what the items are, the filters; in the reader's language."""
    scope = export_files.scope(
        session,
        principal=principal,
        filters=filters.model_dump(),
        timezone=request.app.state.settings.timezone,
    )
    return downloads.export_response(
        request, principal, "workbook", scope, fmt="xlsx", labels=labels
    )
