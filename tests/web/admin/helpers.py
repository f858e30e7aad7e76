"""Reading what an administration page did: the audit events since a moment, and the
message a refused form shows."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from app.models import AuditEvent
from tests.web.signin import parse


def last_event_id(session: Session) -> int:
    return session.exec(select(func.coalesce(func.max(AuditEvent.id), 0))).one()


def events_since(session: Session, since: int, *, skip_auth: bool = True) -> list[AuditEvent]:
    rows = session.exec(
        select(AuditEvent).where(col(AuditEvent.id) > since).order_by(col(AuditEvent.id))
    ).all()
    return [e for e in rows if not (skip_auth and e.action.startswith("auth."))]


def message(html: str) -> str:
    box = parse(html).select_one(".form-error")
    assert box is not None
    return box.get_text(" ", strip=True)
