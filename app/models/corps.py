"""The ambassador corps' own work, region by region: the collaboration agreements between
municipalities and regional psychiatry (what the two-thirds goal counts), and the
activities the half-yearly status report counts (courses, supervision, networks, events,
materials)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from app.models.columns import timestamp
from app.models.kinds import ActivityKind, one_of


class CollaborationAgreement(SQLModel, table=True):
    """An agreement between one or more municipalities of a region and a psychiatry
    partner: in force from ``signed_on`` until ``ended_on`` (open-ended when empty)."""

    __tablename__ = "collaboration_agreement"
    __table_args__ = (
        CheckConstraint("ended_on IS NULL OR ended_on >= signed_on", name="dates"),
        CheckConstraint("revision >= 1", name="revision"),
        Index("ix_collaboration_agreement_region_code_signed_on", "region_code", "signed_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    region_code: int = Field(foreign_key="region.code")
    partner: str = Field(max_length=200, description="The psychiatry partner, as named")
    signed_on: date
    ended_on: date | None = None
    document: str | None = Field(default=None, max_length=300, description="The document's name")
    note: str | None = Field(default=None, max_length=2000)
    revision: int = 1
    created_at: datetime = timestamp()
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    updated_at: datetime = timestamp()
    updated_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class AgreementMunicipality(SQLModel, table=True):
    """Which municipalities an agreement covers."""

    __tablename__ = "agreement_municipality"
    agreement_id: int = Field(
        foreign_key="collaboration_agreement.id", primary_key=True, ondelete="CASCADE"
    )
    municipality_code: int = Field(foreign_key="municipality.code", primary_key=True, index=True)


class CorpsActivity(SQLModel, table=True):
    """One piece of the corps' work in a region: a course (participants by kind), a
    supervision session, a network or management-network meeting, a conference or
    webinar (attendees), or material published."""

    __tablename__ = "corps_activity"
    __table_args__ = (
        CheckConstraint(one_of("kind", ActivityKind), name="kind"),
        *(
            CheckConstraint(f"{column} IS NULL OR {column} >= 0", name=column)
            for column in ("consultants", "leaders", "psychiatry_staff", "attendees")
        ),
        CheckConstraint("sessions >= 1", name="sessions"),
        Index("ix_corps_activity_region_code_held_on", "region_code", "held_on"),
        Index("ix_corps_activity_held_on", "held_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    region_code: int = Field(foreign_key="region.code")
    kind: str = Field(max_length=30)
    held_on: date
    title: str = Field(max_length=300)
    consultants: int | None = None
    leaders: int | None = None
    psychiatry_staff: int | None = None
    attendees: int | None = None
    sessions: int = 1
    note: str | None = Field(default=None, max_length=2000)
    created_at: datetime = timestamp()
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    updated_at: datetime = timestamp()
    updated_by_id: int | None = Field(default=None, foreign_key="user_account.id")
