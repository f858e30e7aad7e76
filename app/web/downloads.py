"""Sending an export: the audit event first, then the file (``services/export_files``),
streamed.

The API's export routes and the national page's download buttons both end here, so a
workbook from the page and one from a script are the same file.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Query, Request
from pydantic import BaseModel, Field
from starlette import types
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from app.db import side_unit_of_work
from app.i18n import translator
from app.services import audit, export_files
from app.services.access import Principal
from app.services.export_files import Format, Kind, Labels, Separator
from app.services.exports import Scope
from app.services.reports import DANISH_LETTERS

LabelsParam = Annotated[
    Labels,
    Query(
        description="CSV and workbooks: `words` (headers and levels in the caller's "
        "language, the default) or `keys` (the machine keys JSON uses, for scripts)"
    ),
]


class FilterQuery(BaseModel):
    """The national filters as query parameters, as a person or a script writes them;
    ``national_filters.parse_filters`` checks them against what exists."""

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


def export_response(
    request: Request,
    principal: Principal,
    kind: Kind,
    scope: Scope,
    *,
    fmt: Format,
    sep: Separator = ";",
    labels: Labels = "words",
) -> StreamingResponse:
    """Record who exported what, then stream it: JSON in machine keys; CSV and workbooks
    in the reader's language, or in machine keys with ``labels="keys"``."""
    with side_unit_of_work(request) as session:
        audit.record(
            session,
            action="export.downloaded",
            by=principal,
            entity_type="export",
            entity_id=kind,
            after={
                "export": kind,
                "format": fmt,
                "separator": sep,
                "labels": labels,
                **scope.filters.as_query(),
            },
        )
    t = translator(request.state.language)
    read_connection = request.app.state.read_connection

    def body() -> Iterator[bytes]:
        with read_connection() as connection:
            yield from export_files.chunks(
                connection, kind=kind, scope=scope, fmt=fmt, sep=sep, labels=labels, t=t
            )

    return ClosingStreamingResponse(
        body(),
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": attachment(
                [t(f"export_name_{kind}"), *scope.filters.as_query().values()], fmt
            )
        },
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


def attachment(parts: list[str], extension: str) -> str:
    """A Content-Disposition header for a download named by ``parts`` (a team's name,
    a date, what it is): short (each part cut at a word, the whole kept under 80
    characters) and readable. Danish letters stay in ``filename*`` (RFC 6266, which
    browsers read first); ``filename`` has a plain ASCII fallback for the rest."""
    words = [" ".join(str(part).split()) for part in parts if str(part).strip()]
    short = [_cut(word, 40) for word in words]
    name = _cut(" ".join(short), 75).replace("/", "-").replace("\\", "-")
    fallback = "".join(
        c if c.isascii() and (c.isalnum() or c in "._-") else "-"
        for c in name.translate(DANISH_LETTERS)
    )
    fallback = "-".join(piece for piece in fallback.split("-") if piece) or "download"
    quoted = quote(f"{name}.{extension}", safe="")
    return f"attachment; filename=\"{fallback}.{extension}\"; filename*=UTF-8''{quoted}"


def _cut(text: str, limit: int) -> str:
    """``text`` at most ``limit`` characters long, cut at a space where there is one."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0]
    return (cut if len(cut) >= limit // 2 else text[:limit]).rstrip(" -–,.")
