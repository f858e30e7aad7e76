"""The yearly measurement round of a team: the team's own part (its implementation
self-assessment, its figures, the documents it shows), the ambassadors' implementation
assessment, and the fidelity review, held together by one row per team and year."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index, text
from sqlmodel import Field, SQLModel

from app.models.columns import JsonType, timestamp
from app.models.kinds import ImplementationRater, RoundStatus, one_of


class MeasurementRound(SQLModel, table=True):
    """One team's measurement of one year.

    The ambassador who plans it opens it for the team with a deadline; the team fills
    in its part until it submits (once) or the deadline passes. The ambassadors then
    confirm or adjust the implementation assessment (``assessed_at``), and the round's
    fidelity review (``review_id``) runs as any review does."""

    __tablename__ = "measurement_round"
    __table_args__ = (
        CheckConstraint(one_of("status", RoundStatus), name="status"),
        CheckConstraint(
            "(status = 'submitted') = (submitted_at IS NOT NULL)", name="submitted_when"
        ),
        Index("uq_measurement_round_team_id_year", "team_id", "year", unique=True),
        Index("ix_measurement_round_year_team_id", "year", "team_id"),
        # The rounds still to be confirmed, by instrument: few, whatever the history.
        Index(
            "ix_measurement_round_unconfirmed",
            "instrument_id",
            sqlite_where=text("assessed_at IS NULL"),
            postgresql_where=text("assessed_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id")
    year: int = Field(ge=2000, le=2100)
    instrument_id: int = Field(foreign_key="scale_version.id", index=True)
    review_id: int | None = Field(default=None, foreign_key="review.id", unique=True)
    status: str = Field(default=RoundStatus.OPEN, max_length=20)
    deadline: date
    opened_at: datetime = timestamp()
    opened_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    submitted_at: datetime | None = timestamp(nullable=True)
    submitted_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    documents: list[str] = Field(default_factory=list, sa_type=JsonType)
    documents_note: str | None = Field(default=None, max_length=2000)
    documents_revision: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    assessed_at: datetime | None = timestamp(nullable=True)
    assessed_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    assessment_note: str | None = Field(default=None, max_length=5000)
    team_result: dict[str, Any] | None = Field(default=None, sa_type=JsonType)
    result: dict[str, Any] | None = Field(
        default=None, sa_type=JsonType, description="The confirmed implementation status"
    )
    overall_status: str | None = Field(default=None, max_length=64)


class ImplementationRating(SQLModel, table=True):
    """The team's own rating of one strategy point, or the ambassadors'. Both are kept:
    where they differ is what the feedback talk is about."""

    __tablename__ = "implementation_rating"
    __table_args__ = (
        CheckConstraint(one_of("rater", ImplementationRater), name="rater"),
        CheckConstraint("level IS NULL OR (level >= 1 AND level <= 5)", name="level_range"),
        CheckConstraint("revision >= 1", name="revision"),
        Index(
            "uq_implementation_rating_round_id_item_key_rater",
            "round_id",
            "item_key",
            "rater",
            unique=True,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="measurement_round.id", ondelete="CASCADE")
    item_key: str = Field(max_length=64)
    rater: str = Field(max_length=20)
    level: int | None = None
    description: str | None = Field(default=None, max_length=2000)
    evidence_date: date | None = None
    evidence_document: str | None = Field(default=None, max_length=300)
    revision: int = 1
    updated_at: datetime = timestamp()
    updated_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class TeamFigure(SQLModel, table=True):
    """A figure the team reported for its round (one per input the instrument declares):
    one value, or one per consultant."""

    __tablename__ = "team_figure"
    __table_args__ = (
        CheckConstraint("revision >= 1", name="revision"),
        Index("uq_team_figure_round_id_input_key", "round_id", "input_key", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="measurement_round.id", ondelete="CASCADE")
    input_key: str = Field(max_length=64)
    value: float | None = None
    consultants: list[float] | None = Field(default=None, sa_type=JsonType)
    note: str | None = Field(default=None, max_length=1000)
    revision: int = 1
    updated_at: datetime = timestamp()
    updated_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class RoundChange(SQLModel, table=True):
    """Every change to a round's parts, in order. As for ratings, the UNIQUE
    ``client_id`` makes a change sent twice (by a tablet's outbox, say) land once."""

    __tablename__ = "round_change"
    __table_args__ = (Index("ix_round_change_round_id_id", "round_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    client_id: str | None = Field(default=None, max_length=64, unique=True)
    round_id: int = Field(foreign_key="measurement_round.id", ondelete="CASCADE")
    part: str = Field(max_length=20, description="implementation, figure or documents")
    key: str = Field(max_length=64)
    content: dict[str, Any] = Field(sa_type=JsonType)
    content_sha256: str = Field(max_length=64)
    changed_at: datetime = timestamp()
    changed_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    channel: str = Field(max_length=20)
    revision: int | None = Field(
        default=None, description="The field group's revision this change left"
    )


class ImplementationStatus(SQLModel, table=True):
    """A confirmed round's status per implementation element, and overall (``element_key``
    empty): what the national figures count, one narrow row each, written when the
    ambassadors confirm the round and removed when they reopen it. The round's ``result``
    holds the same figures as JSON."""

    __tablename__ = "implementation_status"
    __table_args__ = (
        Index("ix_implementation_status_year_element_key_status_key", "year", "element_key",
              "status_key", "team_id"),
    )  # fmt: skip

    round_id: int = Field(foreign_key="measurement_round.id", primary_key=True, ondelete="CASCADE")
    element_key: str = Field(max_length=64, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    year: int
    status_key: str | None = Field(default=None, max_length=64)
    mean: float | None = None
