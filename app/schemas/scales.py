"""Scale versions as listed."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class ScaleSummaryOut(BaseModel):
    key: str
    version: str
    status: str
    title: dict[str, str]
    item_count: int
    program_types: list[str]
    published_at: datetime | None
