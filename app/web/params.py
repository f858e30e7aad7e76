"""Shared parameter types. Ids are bounded to what the database can hold (PostgreSQL's
integer), so an absurd id in a URL or form is a 404 or 422, never a driver overflow."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Form, Path, Query, Request
from pydantic import Field
from starlette.datastructures import FormData

MAX_ID = 2**31 - 1

PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
FormIds = Annotated[list[Annotated[int, Field(ge=1, le=MAX_ID)]], Form()]
TeamIds = Annotated[list[Annotated[int, Field(ge=1, le=MAX_ID)]], Form(alias="teams")]

# Paging and searching: read as text and checked by app.services.paging, so a bad value
# gets a message in the reader's language rather than a validation dump.
PageParam = Annotated[str | None, Query(max_length=20, description="page number, from 1")]
LimitParam = Annotated[
    str | None, Query(max_length=20, description="rows per page, 1-200 (default 50)")
]
SearchParam = Annotated[
    str | None, Query(max_length=200, description="part of a name, in any case")
]


def today_of(request: Request) -> date:
    """The day it is where the service runs (``Settings.today``: the configured zone)."""
    found: date = request.app.state.settings.today()
    return found


async def _read_form(request: Request) -> FormData:
    """The posted form, read on the event loop so that the route itself can be a plain
    function: its database work then runs in a worker thread, never on the loop."""
    return await request.form()


PostedForm = Annotated[FormData, Depends(_read_form)]
