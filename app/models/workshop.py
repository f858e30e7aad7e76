"""The measurement-concept workshop: the panel's comments on a draft, item by item, and
the steps of its way to publication."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from app.models.columns import timestamp
from app.models.kinds import Decision, one_of


class ScaleComment(SQLModel, table=True):
    """A comment on a draft: on one item (``item_key``) or the draft as a whole (none).
    A comment without ``parent_id`` opens a thread, which is open until someone resolves
    it; the answers in a thread point at its first comment."""

    __tablename__ = "scale_comment"
    __table_args__ = (Index("ix_scale_comment_scale_version_id_id", "scale_version_id", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    scale_version_id: int = Field(foreign_key="scale_version.id", ondelete="CASCADE")
    item_key: str | None = Field(default=None, max_length=64)
    parent_id: int | None = Field(default=None, foreign_key="scale_comment.id", ondelete="CASCADE")
    author_id: int | None = Field(default=None, foreign_key="user_account.id")
    body: str = Field(max_length=4000)
    created_at: datetime = timestamp()
    resolved_at: datetime | None = timestamp(nullable=True)
    resolved_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class ScaleDecision(SQLModel, table=True):
    """One step of a draft's way: sent for approval, approved, sent back with a reason,
    withdrawn, published, retired; by whom, on which revision of the draft."""

    __tablename__ = "scale_decision"
    __table_args__ = (
        CheckConstraint(one_of("decision", Decision), name="decision"),
        Index("ix_scale_decision_scale_version_id_id", "scale_version_id", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    scale_version_id: int = Field(foreign_key="scale_version.id", ondelete="CASCADE")
    decision: str = Field(max_length=20)
    revision: int
    user_id: int | None = Field(default=None, foreign_key="user_account.id")
    note: str = Field(default="", max_length=4000)
    at: datetime = timestamp()
