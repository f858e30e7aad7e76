"""Scale versions and the reviews made with them: the reviewers on each, their ratings
and the consensus's, and every change to a rating."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index, text
from sqlmodel import Field, SQLModel

from app.models.columns import JsonType, timestamp
from app.models.kinds import Approval, RaterKind, ReviewStatus, ScaleKind, ScaleStatus, one_of


class ScaleVersion(SQLModel, table=True):
    """A registered scale version; ``definition`` is the validated file as JSON."""

    __tablename__ = "scale_version"
    __table_args__ = (
        CheckConstraint(one_of("status", ScaleStatus), name="status"),
        CheckConstraint(one_of("kind", ScaleKind), name="kind"),
        CheckConstraint(one_of("approval", Approval), name="approval"),
        Index("uq_scale_version_scale_key_version", "scale_key", "version", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    scale_key: str = Field(max_length=64)
    version: str = Field(max_length=32)
    kind: str = Field(
        default=ScaleKind.FIDELITY,
        max_length=20,
        sa_column_kwargs={"server_default": ScaleKind.FIDELITY.value},
        description="fidelity (a scale reviews are scored on) or implementation (an instrument)",
    )
    status: str = Field(max_length=20)
    title_da: str = Field(max_length=300)
    title_en: str = Field(max_length=300)
    item_count: int
    definition: dict[str, Any] = Field(sa_type=JsonType)
    sha256: str = Field(max_length=64, description="sha256 of the canonical JSON definition")
    created_at: datetime = timestamp()
    published_at: datetime | None = timestamp(nullable=True)
    retired_at: datetime | None = timestamp(nullable=True)
    # The workshop: where a draft stands, how often it was changed (a form made on an
    # older revision is a conflict, not an overwrite), what it was started from, and who
    # made, approved and published it.
    approval: str = Field(
        default=Approval.EDITING,
        max_length=20,
        sa_column_kwargs={"server_default": Approval.EDITING.value},
    )
    revision: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    based_on_id: int | None = Field(default=None, foreign_key="scale_version.id")
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    approved_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    approved_at: datetime | None = timestamp(nullable=True)
    published_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class Review(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint(one_of("status", ReviewStatus), name="status"),
        CheckConstraint(
            "visit_end_date IS NULL OR visit_end_date >= visit_date", name="visit_dates"
        ),
        Index(  # a team has at most one review in progress
            "uq_review_team_open",
            "team_id",
            unique=True,
            sqlite_where=text("status != 'finalised'"),
            postgresql_where=text("status != 'finalised'"),
        ),
        Index(  # the reviews under way by scale version: few, whatever the history
            "ix_review_open_scale_version",
            "scale_version_id",
            sqlite_where=text("status != 'finalised'"),
            postgresql_where=text("status != 'finalised'"),
        ),
        Index(  # finalised reviews by date: the national figures read only this index
            "ix_review_finalised_visit",
            "visit_date",
            "level_key",
            "team_id",
            "scale_version_id",
            sqlite_where=text("status = 'finalised'"),
            postgresql_where=text("status = 'finalised'"),
        ),
        Index(  # a team's latest finalised reviews, read backwards (the national table)
            "ix_review_finalised_team_visit",
            "team_id",
            "visit_date",
            "id",
            sqlite_where=text("status = 'finalised'"),
            postgresql_where=text("status = 'finalised'"),
        ),
        Index("ix_review_visit_date_id", "visit_date", "id"),  # newest first, any status
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    scale_version_id: int = Field(foreign_key="scale_version.id", index=True)
    visit_date: date
    visit_end_date: date | None = None
    status: str = Field(default=ReviewStatus.SCORING, max_length=20)
    created_at: datetime = timestamp()
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    finalised_at: datetime | None = timestamp(nullable=True)
    total_score: float | None = None
    level_key: str | None = Field(default=None, max_length=64)
    result: dict[str, Any] | None = Field(default=None, sa_type=JsonType)
    finalised_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    strengths: str | None = Field(default=None, max_length=10000)
    summary: str | None = Field(default=None, max_length=10000)


class ReviewReviewer(SQLModel, table=True):
    """A reviewer's place on a review. One taken off it (``removed_at``: their account
    was disabled mid-review, say) keeps the row and their ratings, for the record, but
    no longer scores, counts for the consensus or holds it up."""

    __tablename__ = "review_reviewer"
    review_id: int = Field(foreign_key="review.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user_account.id", primary_key=True, index=True)
    is_lead: bool = False
    submitted_at: datetime | None = timestamp(nullable=True)
    removed_at: datetime | None = timestamp(nullable=True)
    removed_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    removed_reason: str | None = Field(default=None, max_length=1000)


class Rating(SQLModel, table=True):
    """One rater's rating of one item in one review, with what it was based on.

    A row holds a score, or a not-rated reason, or neither yet: a reviewer may write a
    note or tick evidence before choosing a score. "Not rated" always needs its reason;
    the scoring core counts a row with neither as not yet scored.
    """

    __table_args__ = (
        CheckConstraint(one_of("rater_kind", RaterKind), name="rater_kind"),
        CheckConstraint(
            "(rater_kind = 'reviewer' AND rater_id IS NOT NULL)"
            " OR (rater_kind = 'consensus' AND rater_id IS NULL)",
            name="rater",
        ),
        CheckConstraint("score IS NULL OR (score >= 1 AND score <= 5)", name="score_range"),
        CheckConstraint("score IS NULL OR not_rated_reason IS NULL", name="scored_or_not_rated"),
        CheckConstraint("revision >= 1", name="revision"),
        Index(
            "uq_rating_reviewer_item",
            "review_id",
            "item_key",
            "rater_id",
            unique=True,
            sqlite_where=text("rater_kind = 'reviewer'"),
            postgresql_where=text("rater_kind = 'reviewer'"),
        ),
        Index(
            "uq_rating_consensus_item",
            "review_id",
            "item_key",
            unique=True,
            sqlite_where=text("rater_kind = 'consensus'"),
            postgresql_where=text("rater_kind = 'consensus'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True, ondelete="CASCADE")
    item_key: str = Field(max_length=64)
    rater_kind: str = Field(max_length=20)
    rater_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    score: float | None = Field(default=None, description="1-5; a mean for per-consultant items")
    not_rated_reason: str | None = Field(default=None, max_length=1000)
    note: str | None = Field(default=None, max_length=5000)
    rationale: str | None = Field(default=None, max_length=5000)
    recommendation: str | None = Field(
        default=None, max_length=5000, description="The consensus's advice on a low score"
    )
    evidence: list[str] = Field(default_factory=list, sa_type=JsonType)
    inputs: dict[str, Any] | None = Field(
        default=None, sa_type=JsonType, description="Raw figure, ticks or per-consultant scores"
    )
    revision: int = 1
    client_id: str | None = Field(default=None, max_length=64, unique=True)
    updated_at: datetime = timestamp()
    updated_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class RatingChange(SQLModel, table=True):
    """Every change made to a rating, in order: its history, and the memory that makes a
    repeated write harmless.

    ``client_id`` is the id the client made for one change. The UNIQUE constraint on it,
    not a look-before-insert, is what turns five copies of the same change arriving at
    once into one change: the copies that lose the race hit the constraint and answer
    with the stored change instead. ``content`` is the rating as the change left it;
    ``content_sha256`` tells a true repeat from a different change reusing an id.
    """

    __tablename__ = "rating_change"
    __table_args__ = (Index("ix_rating_change_rating_id_revision", "rating_id", "revision"),)
    id: int | None = Field(default=None, primary_key=True)
    client_id: str | None = Field(default=None, max_length=64, unique=True)
    rating_id: int = Field(foreign_key="rating.id", ondelete="CASCADE")
    review_id: int = Field(foreign_key="review.id", index=True, ondelete="CASCADE")
    revision: int
    content: dict[str, Any] = Field(sa_type=JsonType)
    content_sha256: str = Field(max_length=64)
    changed_at: datetime = timestamp()
    changed_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    channel: str = Field(max_length=20)
