"""Scale versions as listed."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from app.models import ScaleVersion
from app.services import scales as scale_service


class ScaleSummaryOut(BaseModel):
    key: str
    version: str
    status: str
    title: dict[str, str]
    item_count: int
    program_types: list[str]
    published_at: datetime | None


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
