"""Outcomes beside fidelity: STAR's quarterly monitoring figures per municipality and
target group, imported from a spreadsheet (each import kept, with the file it came from),
and a team's own quarterly figures for the quarters whose municipal figures are not in.

A figure row is one quarter's outcome of one place: a municipality (from STAR's
monitoring) or a team (entered by its leader), never both. ``participants`` are the
people in the effort; each outcome is kept as the share of them (percent) and, when the
source gave it, the count it came from.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, LargeBinary, text
from sqlmodel import Field, SQLModel

from app.models.columns import JsonType, timestamp
from app.models.kinds import ProgramType, one_of

# The outcomes a quarter's figures may give, in the order they are shown.
MEASURES: tuple[str, ...] = ("paid_hours", "employment", "education", "work_or_education")


class OutcomeImport(SQLModel, table=True):
    """A spreadsheet of STAR's monitoring figures that was stored, with the file as it
    was uploaded: storing it replaced the figures of the quarters and target groups it
    holds. (A file is previewed before it is stored; a preview stores nothing.)"""

    __tablename__ = "outcome_import"
    __table_args__ = (CheckConstraint("row_count >= 0", name="row_count"),)

    id: int | None = Field(default=None, primary_key=True)
    filename: str = Field(max_length=200)
    sha256: str = Field(max_length=64)
    content: bytes = Field(sa_type=LargeBinary)
    row_count: int = 0
    quarters: list[str] = Field(default_factory=list, sa_type=JsonType)
    imported_at: datetime = timestamp()
    imported_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class OutcomeFigure(SQLModel, table=True):
    """One quarter's outcome for one municipality and target group (STAR's), or for one
    team (its own)."""

    __tablename__ = "outcome_figure"
    __table_args__ = (
        CheckConstraint(one_of("target_group", ProgramType), name="target_group"),
        CheckConstraint("quarter >= 1 AND quarter <= 4", name="quarter"),
        CheckConstraint("participants >= 0", name="participants"),
        CheckConstraint(
            "(municipality_code IS NULL) <> (team_id IS NULL)", name="municipality_or_team"
        ),
        *(
            CheckConstraint(
                f"{m}_share IS NULL OR ({m}_share >= 0 AND {m}_share <= 100)", name=f"{m}_share"
            )
            for m in MEASURES
        ),
        *(
            CheckConstraint(f"{m} IS NULL OR ({m} >= 0 AND {m} <= participants)", name=m)
            for m in MEASURES
        ),
        Index(
            "uq_outcome_figure_municipality_quarter",
            "municipality_code", "target_group", "year", "quarter",
            unique=True,
            sqlite_where=text("municipality_code IS NOT NULL"),
            postgresql_where=text("municipality_code IS NOT NULL"),
        ),
        Index(
            "uq_outcome_figure_team_quarter",
            "team_id", "year", "quarter",
            unique=True,
            sqlite_where=text("team_id IS NOT NULL"),
            postgresql_where=text("team_id IS NOT NULL"),
        ),
        Index("ix_outcome_figure_year_quarter", "year", "quarter"),
    )  # fmt: skip

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(ge=2000, le=2100)
    quarter: int = Field(ge=1, le=4)
    target_group: str = Field(max_length=20)
    municipality_code: int | None = Field(default=None, foreign_key="municipality.code")
    team_id: int | None = Field(default=None, foreign_key="team.id", ondelete="CASCADE")
    participants: int
    paid_hours: int | None = None
    paid_hours_share: float | None = None
    employment: int | None = None
    employment_share: float | None = None
    education: int | None = None
    education_share: float | None = None
    work_or_education: int | None = None
    work_or_education_share: float | None = None
    import_id: int | None = Field(default=None, foreign_key="outcome_import.id")
    entered_at: datetime = timestamp()
    entered_by_id: int | None = Field(default=None, foreign_key="user_account.id")
