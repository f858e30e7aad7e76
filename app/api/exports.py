"""/api/v1/exports: the finalised reviews and their ratings, the confirmed yearly
measurements and their implementation ratings, and the quarterly outcomes, streamed, for
analysis."""

from __future__ import annotations

from fastapi import Request, Response

from app.api.base import v1_router
from app.db import SessionDep
from app.services import export_files
from app.services.access import Principal
from app.services.export_files import Format, Kind, Labels, Separator
from app.web import downloads
from app.web.auth import CurrentPrincipal

router = v1_router()


def _export(
    request: Request,
    session: SessionDep,
    principal: Principal,
    kind: Kind,
    filters: downloads.FilterQuery,
    fmt: Format,
    sep: Separator,
    labels: Labels,
) -> Response:
    scope = export_files.scope(
        session,
        principal=principal,
        filters=filters.model_dump(),
        timezone=request.app.state.settings.timezone,
    )
    return downloads.export_response(
        request, principal, kind, scope, fmt=fmt, sep=sep, labels=labels
    )


@router.get(
    "/exports/reviews",
    summary="Finalised reviews, one row each: totals, levels, section and principle scores "
    "and one column per item (every item of every scale version the filters allow)",
    response_description="JSON ({export, filters, columns, rows}) in machine keys; CSV "
    "(UTF-8 with BOM) or an Excel workbook in the caller's language (`labels=keys`: in "
    "machine keys too), streamed",
)
def export_reviews(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    filters: downloads.Filtered,
    format: Format = "json",  # noqa: A002 (the query parameter's name)
    sep: Separator = ";",
    labels: downloads.LabelsParam = "words",
) -> Response:
    return _export(request, session, principal, "reviews", filters, format, sep, labels)


@router.get(
    "/exports/ratings",
    summary="Every rating of the finalised reviews in long form: review, item, rater "
    "(a reviewer or the consensus), score or not-rated reason",
    response_description="JSON in machine keys; CSV (UTF-8 with BOM) or an Excel workbook "
    "in the caller's language (`labels=keys`: in machine keys too), streamed",
)
def export_ratings(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    filters: downloads.Filtered,
    format: Format = "json",  # noqa: A002
    sep: Separator = ";",
    labels: downloads.LabelsParam = "words",
) -> Response:
    return _export(request, session, principal, "ratings", filters, format, sep, labels)


@router.get(
    "/exports/implementation",
    summary="The confirmed yearly measurements, one row each: the implementation status "
    "and every element's mean and status (the ambassadors' confirmed and the team's own), "
    "and each figure the team reported",
    response_description="JSON in machine keys; CSV (UTF-8 with BOM) or an Excel workbook "
    "in the caller's language (`labels=keys`: in machine keys too), streamed. The year, "
    "region and program filters apply; the scale filter does not",
)
def export_implementation(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    filters: downloads.Filtered,
    format: Format = "json",  # noqa: A002
    sep: Separator = ";",
    labels: downloads.LabelsParam = "words",
) -> Response:
    return _export(request, session, principal, "implementation", filters, format, sep, labels)


@router.get(
    "/exports/implementation-ratings",
    summary="Every implementation rating of the confirmed measurements in long form: "
    "measurement, point, rater (the team or the ambassadors), step and evidence",
    response_description="JSON in machine keys; CSV (UTF-8 with BOM) or an Excel workbook "
    "in the caller's language (`labels=keys`: in machine keys too), streamed",
)
def export_implementation_ratings(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    filters: downloads.Filtered,
    format: Format = "json",  # noqa: A002
    sep: Separator = ";",
    labels: downloads.LabelsParam = "words",
) -> Response:
    return _export(
        request, session, principal, "implementation_ratings", filters, format, sep, labels
    )


@router.get(
    "/exports/outcomes",
    summary="The quarterly outcomes, one row per figure: a municipality's from STAR's "
    "monitoring or a team's own; the people in the effort, and for paid hours, employment, "
    "education and paid hours or education the count (when given) and the share in percent",
    response_description="JSON in machine keys; CSV (UTF-8 with BOM) or an Excel workbook "
    "in the caller's language (`labels=keys`: in machine keys too), streamed. The year "
    "(the quarter's), region and program (target group) filters apply; the scale filter "
    "does not",
)
def export_outcomes(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    filters: downloads.Filtered,
    format: Format = "json",  # noqa: A002
    sep: Separator = ";",
    labels: downloads.LabelsParam = "words",
) -> Response:
    return _export(request, session, principal, "outcomes", filters, format, sep, labels)
