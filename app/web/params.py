"""Shared parameter types. Ids are bounded to what the database can hold (PostgreSQL's
integer), so an absurd id in a URL or form is a 404 or 422, never a driver overflow."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Path, Query
from pydantic import Field

MAX_ID = 2**31 - 1

PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]
FormIds = Annotated[list[Annotated[int, Field(ge=1, le=MAX_ID)]], Form()]
TeamIds = Annotated[list[Annotated[int, Field(ge=1, le=MAX_ID)]], Form(alias="teams")]
