"""What every module of the API shares: a router under ``/api/v1``, and pages of a list
(a cursor in, the next page's address out, in the body and as a ``Link: rel="next"``
header)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Query, Request, Response

from app.errors import Conflict
from app.services import paging
from app.services.access import Principal

PREFIX = "/api/v1"
# Who made a change a tablet's outbox replays (percent-encoded: a header carries only
# Latin-1).
OUTBOX_USER_HEADER = "X-Outbox-User"


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


def check_outbox_user(request: Request, principal: Principal) -> None:
    """A change a tablet's outbox replays is never stored under someone else than the
    person who made it, who may since have signed out and another signed in."""
    maker = request.headers.get(OUTBOX_USER_HEADER)
    if maker is not None and unquote(maker) != principal.username:
        raise Conflict.of(
            "err_outbox_other_user", user=unquote(maker)[:64], current=principal.username
        )
