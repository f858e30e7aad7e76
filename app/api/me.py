"""/api/v1/me: who the caller is."""

from __future__ import annotations

from app.api.base import v1_router
from app.schemas.me import Me
from app.services.access import Principal
from app.web.auth import CurrentPrincipal

router = v1_router()


@router.get("/me", response_model=Me, summary="The signed-in user or token holder")
def me(principal: CurrentPrincipal) -> Me:
    return me_out(principal)


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
