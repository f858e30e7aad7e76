"""The team's side of a finalised review: its leader's comments and the action plan."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from app.models.columns import timestamp
from app.models.kinds import ActionStatus, one_of


class TeamComment(SQLModel, table=True):
    """The team's answer to one item of a finalised review, written by its leader while
    the feedback window is open (``FIDELITY_FEEDBACK_DAYS`` from finalising). One per
    item: writing again replaces it, and the audit trail keeps what it said before."""

    __tablename__ = "team_comment"
    __table_args__ = (
        Index("uq_team_comment_review_id_item_key", "review_id", "item_key", unique=True),
    )
    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", ondelete="CASCADE")
    item_key: str = Field(max_length=64)
    body: str = Field(max_length=5000)
    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()
    updated_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class ActionItem(SQLModel, table=True):
    """One step of a team's action plan: made by its leader from a review's
    recommendation on an item, and followed until it is done."""

    __tablename__ = "action_item"
    __table_args__ = (
        CheckConstraint(one_of("status", ActionStatus), name="status"),
        Index("ix_action_item_team_id_status", "team_id", "status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", ondelete="CASCADE")
    review_id: int = Field(foreign_key="review.id", index=True, ondelete="CASCADE")
    item_key: str = Field(max_length=64, description="The item whose recommendation it answers")
    what: str = Field(max_length=1000)
    who: str = Field(max_length=200, description="A role or a staff member's name; never a citizen")
    due_date: date
    status: str = Field(default=ActionStatus.OPEN, max_length=20)
    created_at: datetime = timestamp()
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    updated_at: datetime = timestamp()
    updated_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    completed_at: datetime | None = timestamp(nullable=True)
