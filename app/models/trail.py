"""The audit trail, and the one row that says when the kept figures last changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from app.models.columns import JsonType, UTCDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    """An append-only record of who did what, when, through which channel.

    Database triggers refuse UPDATE and DELETE on this table (migration 0003), so not even
    a bug in the product can rewrite history.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_entity", "entity_type", "entity_id"),
        # the trail's filters, newest first, read from an index however long it grows
        Index("ix_audit_event_action_id", "action", "id"),
        Index("ix_audit_event_actor_id_id", "actor_id", "id"),
        Index("ix_audit_event_actor_action_id", "actor_id", "action", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor_id: int | None = Field(default=None, foreign_key="user_account.id")
    channel: str = Field(max_length=20, description="web, api, cli, offline or system")
    action: str = Field(max_length=64)
    client_address: str | None = Field(default=None, max_length=64)
    entity_type: str | None = Field(default=None, max_length=64)
    entity_id: str | None = Field(default=None, max_length=64)
    before: dict[str, Any] | None = Field(default=None, sa_type=JsonType)
    after: dict[str, Any] | None = Field(default=None, sa_type=JsonType)


class FiguresVersion(SQLModel, table=True):
    """One row: a number that goes up, in the same transaction, with every change that
    changes the national figures or who sees which team (``audit.FIGURES_CHANGED``).
    The figures kept between requests are kept under it. An UPDATE of one row is taken
    in turn, so the number rises in the order the changes commit, on PostgreSQL too."""

    __tablename__ = "figures_version"
    id: int = Field(default=1, primary_key=True)
    version: int = 0
