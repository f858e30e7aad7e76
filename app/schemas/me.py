"""The caller as answered."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Me(BaseModel):
    username: str
    display_name: str
    role: str
    regions: list[int]
    teams: list[int]
    channel: str
    csrf_token: str | None = Field(
        None,
        description="A browser session's token for the X-CSRF-Token header of its changes "
        "(what a tablet's outbox sends them with); none for an API token",
    )
