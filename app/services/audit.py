"""The audit trail: every change is recorded by the service that makes it, in the same
unit of work, so a change and its audit event commit or roll back together."""

from __future__ import annotations

from typing import Any, Literal

from sqlmodel import Session

from app.models import AuditEvent

Channel = Literal["web", "api", "cli", "offline", "system"]


def record(
    session: Session,
    *,
    action: str,
    channel: Channel,
    actor_id: int | None = None,
    entity_type: str | None = None,
    entity_id: str | int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one audit event to the session's unit of work."""
    event = AuditEvent(
        action=action,
        channel=channel,
        actor_id=actor_id,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        before=before,
        after=after,
    )
    session.add(event)
    return event
