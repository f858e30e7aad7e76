"""/api/v1/scales: the published scale versions and one version's whole definition."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from app.api.base import v1_router
from app.db import SessionDep
from app.models import ScaleVersion
from app.scales.schema import ScaleDefinition
from app.schemas.scales import ScaleSummaryOut
from app.services import scales as scale_service
from app.web.auth import CurrentPrincipal

router = v1_router()


@router.get("/scales", response_model=list[ScaleSummaryOut], summary="Published scale versions")
def scale_list(session: SessionDep, principal: CurrentPrincipal) -> list[ScaleSummaryOut]:
    rows = scale_service.list_scale_versions(session, published_only=True)
    return [scale_summary_out(row) for row in rows]


@router.get(
    "/scales/{key}/{version}",
    response_model=ScaleDefinition,
    summary="One scale version's whole definition (published or retired)",
)
def scale_definition(
    session: SessionDep,
    principal: CurrentPrincipal,
    key: Annotated[str, Path(max_length=64)],
    version: Annotated[str, Path(max_length=32)],
) -> ScaleDefinition:
    row = scale_service.get_scale_version(session, key=key, version=version, visible_only=True)
    return scale_service.definition_of(row)


def scale_summary_out(row: ScaleVersion) -> ScaleSummaryOut:
    """A published scale version in the list of them."""
    return ScaleSummaryOut(
        key=row.scale_key,
        version=row.version,
        status=row.status,
        title={"da": row.title_da, "en": row.title_en},
        item_count=row.item_count,
        program_types=list(scale_service.definition_of(row).program_types),
        published_at=row.published_at,
    )
