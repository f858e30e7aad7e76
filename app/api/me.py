"""/api/v1/me: who the caller is."""

from __future__ import annotations

from app.api.base import v1_router
from app.schemas.accounts import Me, me_out
from app.web.auth import CurrentPrincipal

router = v1_router()


@router.get("/me", response_model=Me, summary="The signed-in user or token holder")
def me(principal: CurrentPrincipal) -> Me:
    return me_out(principal)
