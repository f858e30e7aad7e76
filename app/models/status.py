"""The corps' half-yearly status reports to STAR, as sent: each a frozen snapshot of the
figures it reported. A correction is a new edition; the earlier one is kept, and
triggers (migration 0017) refuse to change or delete any of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from app.models.columns import JsonType, timestamp


class StatusReport(SQLModel, table=True):
    """One edition of a region's report for a half year (``half``: 2026H2)."""

    __tablename__ = "status_report"
    __table_args__ = (
        CheckConstraint("edition >= 1", name="edition"),
        Index(
            "uq_status_report_region_code_half_edition",
            "region_code", "half", "edition",
            unique=True,
        ),
        Index("ix_status_report_half", "half"),
    )  # fmt: skip

    id: int | None = Field(default=None, primary_key=True)
    region_code: int = Field(foreign_key="region.code")
    half: str = Field(max_length=6)
    edition: int = 1
    content: dict[str, Any] = Field(sa_type=JsonType)
    sent_at: datetime = timestamp()
    sent_by_id: int | None = Field(default=None, foreign_key="user_account.id")
