"""What every module of the API shares: a router under ``/api/v1``, and pages of a list
(a cursor in, the next page's address out, in the body and as a ``Link: rel="next"``
header)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from app.services import paging

PREFIX = "/api/v1"


def v1_router() -> APIRouter:
    """A feature's router: its paths under ``/api/v1``, listed under "v1" in the docs."""
    return APIRouter(prefix=PREFIX, tags=["v1"])


CursorParam = Annotated[
    str | None,
    Query(max_length=400, description="Where the page starts: the `next` link's cursor"),
]


def next_link(request: Request, response: Response, cursor: list[Any] | None) -> str | None:
    """The next page's address (this one's query, the new cursor), also as a Link header."""
    if cursor is None:
        return None
    url = request.url.include_query_params(cursor=paging.Cursor.encode(cursor))
    link = f"{url.path}?{url.query}"
    response.headers["Link"] = f'<{link}>; rel="next"'
    return link
