"""Sending an export: the audit event first, then the file, streamed.

The API's export routes and the national page's download buttons both end here, so a
workbook from the page and one from a script are the same file.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import Query, Request
from pydantic import BaseModel, Field
from starlette import types
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from app.errors import Forbidden
from app.services import access, audit, exports
from app.services.access import Principal
from app.services.exports import Scope, Sheet
from app.services.national import Filters

Kind = Literal["reviews", "ratings", "workbook"]
Format = Literal["json", "csv", "xlsx"]
Separator = Literal[";", ","]


class FilterQuery(BaseModel):
    """The national filters as query parameters, as a person or a script writes them;
    ``national.parse_filters`` checks them against what exists."""

    year: str | None = Field(None, max_length=80, description="e.g. 2025")
    region: str | None = Field(None, max_length=80, description="official code, e.g. 1084")
    program_type: str | None = Field(None, max_length=80, description="ips or ips_lignende")
    scale: str | None = Field(None, max_length=80, description="ips-25 or ips-25/2019")


Filtered = Annotated[FilterQuery, Query()]

MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def require_export(principal: Principal) -> None:
    if not access.can_export(principal):
        raise Forbidden.of("err_export_forbidden")


def export_response(
    request: Request,
    principal: Principal,
    kind: Kind,
    scope: Scope,
    *,
    fmt: Format,
    sep: Separator = ";",
    titles: dict[str, str] | None = None,
) -> StreamingResponse:
    """Record who exported what, then stream it."""
    with request.app.state.unit_of_work() as session:
        audit.record(
            session,
            action="export.downloaded",
            by=principal,
            entity_type="export",
            entity_id=kind,
            after={"export": kind, "format": fmt, "separator": sep, **scope.filters.as_query()},
        )
    titles = titles or {}
    read_connection = request.app.state.read_connection

    def body() -> Iterator[bytes]:
        with read_connection() as connection:
            if fmt == "xlsx":
                sheets = []
                if kind in ("reviews", "workbook"):
                    table = exports.reviews(connection, scope)
                    sheets.append(
                        Sheet(titles.get("reviews", "Reviews"), table.columns, table.rows)
                    )
                if kind in ("ratings", "workbook"):
                    table = exports.ratings(connection, scope)
                    sheets.append(
                        Sheet(titles.get("ratings", "Ratings"), table.columns, table.rows)
                    )
                columns, rows = exports.item_rows(scope)
                sheets.append(Sheet(titles.get("items", "Items"), columns, rows))
                sheets.append(
                    Sheet(titles.get("filters", "Filters"), ["filter", "value"],
                          filter_rows(scope.filters))
                )  # fmt: skip
                yield from exports.file_chunks(exports.workbook(sheets))
                return
            table = (exports.ratings if kind == "ratings" else exports.reviews)(connection, scope)
            if fmt == "csv":
                yield from exports.csv_chunks(table, sep=sep)
            else:
                yield from exports.json_chunks(table, scope.filters)

    name = filename(kind, scope.filters, fmt)
    return ClosingStreamingResponse(
        body(),
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


class ClosingStreamingResponse(StreamingResponse):
    """A streamed body from a generator that is closed however the response ends: when a
    client stops reading half-way, Starlette drops the generator without closing it, and
    its cursor and read transaction would stay open until garbage collection."""

    def __init__(self, content: Iterator[bytes], **options: Any) -> None:
        self._source = content
        super().__init__(content, **options)

    async def __call__(self, scope: types.Scope, receive: types.Receive, send: types.Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            close = getattr(self._source, "close", None)
            if close is not None:
                # ValueError: still running in its thread; it ends with that step.
                with contextlib.suppress(ValueError):
                    await run_in_threadpool(close)


def filter_rows(filters: Filters) -> list[list[str]]:
    chosen = filters.as_query()
    return [[name, chosen.get(name, "")] for name in ("year", "region", "program_type", "scale")]


def filename(kind: str, filters: Filters, extension: str) -> str:
    parts = ["ips-fidelity", kind, *filters.as_query().values()]
    safe = "-".join(
        "".join(c if c.isascii() and (c.isalnum() or c in "._") else "-" for c in part)
        for part in parts
    )
    return f"{safe}.{extension}"
