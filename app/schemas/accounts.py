"""The caller as answered."""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.services.access import Principal


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


def me_out(principal: Principal) -> Me:
    """Who the caller is, their scope and how they came in."""
    return Me(
        username=principal.username,
        display_name=principal.display_name,
        role=principal.role.value,
        regions=sorted(principal.regions),
        teams=sorted(principal.teams),
        channel=principal.channel,
        csrf_token=principal.csrf_token,
    )
