"""Measurement rounds as sent and answered: opening one, the parts of the team's
self-report and the ambassadors' assessment, and a round as the caller may see it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from app.services import self_report

Level = Annotated[int, Field(strict=True, ge=1, le=5)]
Revision = Annotated[int, Field(strict=True, ge=0)]
# A figure as a number, or as a person typed it (read in the request's language, ?lang=:
# "1.234,5" in Danish, with or without the declared unit).
Figure = float | Annotated[str, Field(max_length=60)]
BASE_REVISION = (
    "The revision of the field group this change was made on (0: never saved); made on an "
    "older one, it is refused as stale with the stored value. Leave out to skip the check"
)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RoundOpenIn(Body):
    year: int = Field(ge=2000, le=2100, description="The measurement year")
    deadline: date = Field(description="The last day the team may fill in its part")


class DeadlineIn(Body):
    deadline: date


class PointIn(Body):
    level: Level | None = Field(None, description="1-5 on the maturity ladder; null: not yet")
    description: str | None = Field(None, max_length=self_report.DESCRIPTION_MAX)
    evidence_date: date | None = None
    evidence_document: str | None = Field(None, max_length=self_report.DOCUMENT_MAX)
    client_id: UUID = Field(description="A new UUID for each change, reused only to resend it")
    base_revision: Revision | None = Field(None, description=BASE_REVISION)

    def change(self, item_key: str) -> self_report.PointInput:
        return self_report.PointInput(
            item_key=item_key,
            level=self.level,
            description=self.description,
            evidence_date=self.evidence_date,
            evidence_document=self.evidence_document,
        )


class FigureIn(Body):
    value: Figure | None = Field(None, description="The figure, in the declared unit")
    consultants: list[Figure] | None = Field(
        None, max_length=50, description="One figure per consultant, for per-consultant figures"
    )
    note: str | None = Field(None, max_length=self_report.FIGURE_NOTE_MAX)
    client_id: UUID
    base_revision: Revision | None = Field(None, description=BASE_REVISION)

    def change(self, input_key: str) -> self_report.FigureInput:
        return self_report.FigureInput(
            input_key=input_key, value=self.value, consultants=self.consultants, note=self.note
        )


class DocumentsIn(Body):
    documents: list[str] = Field(max_length=50, description="Keys of the instrument's documents")
    note: str | None = Field(None, max_length=self_report.DOCUMENTS_NOTE_MAX)
    client_id: UUID
    base_revision: Revision | None = Field(None, description=BASE_REVISION)


class NoteIn(Body):
    note: str | None = Field(None, max_length=5000)


class ReasonIn(Body):
    reason: str = Field(max_length=1000)


class SavedOut(BaseModel):
    outcome: Literal["saved", "unchanged", "replayed"]
    client_id: str
    revision: int = Field(description="The field group's revision now (the next change's base)")
    updated_at: datetime | None = Field(description="When the field group last changed")

    @classmethod
    def of(cls, saved: self_report.Saved, client_id: UUID) -> SavedOut:
        stored = saved.stored
        return cls(
            outcome=saved.outcome,
            client_id=str(client_id),
            revision=stored.revision,
            updated_at=stored.updated_at,
        )


class PointOut(BaseModel):
    item_key: str
    number: int
    element: str
    level: int | None
    description: str | None
    evidence_date: date | None
    evidence_document: str | None
    revision: int


class FigureOut(BaseModel):
    input_key: str
    unit: str
    value: float | None
    consultants: list[float] | None
    note: str | None
    fidelity_items: list[str]


class ElementResultOut(BaseModel):
    key: str
    mean: float | None
    status: str | None
    item_count: int
    rated_count: int


class ResultOut(BaseModel):
    mean: float | None
    status: str | None
    item_count: int
    rated_count: int
    elements: list[ElementResultOut]


class RoundOut(BaseModel):
    id: int
    team_id: int
    year: int
    instrument: str = Field(description='"key version" of the implementation instrument')
    review_id: int | None
    state: Literal["open", "closed", "submitted"]
    deadline: date
    submitted_at: datetime | None
    assessed_at: datetime | None
    documents: list[str]
    documents_note: str | None
    team_points: list[PointOut]
    ambassador_points: list[PointOut] | None = Field(
        description="The ambassadors' ratings; null for the team until they are confirmed"
    )
    figures: list[FigureOut]
    team_result: ResultOut
    result: ResultOut | None = Field(description="The ambassadors' assessment (so far)")
    status: str | None = Field(description="The confirmed overall status")
