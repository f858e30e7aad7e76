"""The audit trail: read a page at a time with filters, and downloaded as CSV.

It can be read and exported here, never changed (the database refuses UPDATE and
DELETE on it). The page and its download read the filters the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from starlette.responses import Response

from app.db import SessionDep
from app.i18n import translator
from app.models import utcnow
from app.services import audit, export_writers, exports
from app.web.admin.common import router
from app.web.auth import AdminPrincipal
from app.web.htmx import render
from app.web.params import QueryId

AUDIT_PAGE_SIZE = 50


FilterParam = Annotated[str | None, Query(max_length=100)]


@dataclass(frozen=True)
class AuditQuery:
    chosen: dict[str, str]  # the filters as given, to show and to link with
    found: audit.EventFilter


def audit_query(
    request: Request,
    action: FilterParam = None,
    actor: FilterParam = None,
    entity_type: FilterParam = None,
    entity_id: FilterParam = None,
    since: FilterParam = None,
    until: FilterParam = None,
) -> AuditQuery:
    """The audit filters of the page and of its CSV download, read the same way."""
    given = {
        "action": action,
        "actor": actor,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "since": since,
        "until": until,
    }
    found = audit.event_filter(
        action=action,
        actor=actor,
        entity_type=entity_type,
        entity_id=entity_id,
        since=audit.parse_day(since, field="since"),
        until=audit.parse_day(until, field="until"),
        timezone=request.app.state.settings.timezone,
    )
    return AuditQuery({key: value for key, value in given.items() if value}, found)


AuditFilters = Annotated[AuditQuery, Depends(audit_query)]


@router.get("/audit", response_class=HTMLResponse, name="admin_audit")
def audit_log(
    request: Request,
    session: SessionDep,
    principal: AdminPrincipal,
    filters: AuditFilters,
    before: QueryId = None,
) -> Response:
    events = audit.list_events(
        session, found=filters.found, limit=AUDIT_PAGE_SIZE + 1, before_id=before
    )
    more = len(events) > AUDIT_PAGE_SIZE
    events = events[:AUDIT_PAGE_SIZE]
    t = translator(request.state.language)

    def action_name(action: str) -> str:  # in words; an action of old code as it is
        label = audit.action_label(action)
        return t(label) if t(label) != label else action

    context = {
        "events": events,
        "chosen": filters.chosen,
        "next_before": events[-1][0].id if more and events else None,
        "paged": before is not None,
        "actions": audit.ACTIONS,
        "action_groups": audit.ACTION_GROUPS,
        "action_name": action_name,
    }
    return render(request, "admin/audit.html", context, fragment="results")


@router.get("/audit.csv", name="admin_audit_csv")
def audit_csv(
    request: Request,
    session: SessionDep,
    principal: AdminPrincipal,
    filters: AuditFilters,
    sep: Literal[";", ","] = ";",
) -> Response:
    """The filtered trail as CSV, streamed; the export itself is recorded first.

    Semicolons by default, with a byte-order mark, so Danish Excel opens it in columns;
    ``sep=,`` for other tools. Times are UTC with their offset, as stored.

    Both happen once the request's own session has closed (a StreamingResponse runs
    after the route), one connection at a time: the record commits, then the rows are
    read without the write lock.
    """
    state = request.app.state

    def lines() -> Any:
        with state.unit_of_work() as write:
            audit.record(
                write, action="audit.exported", by=principal, after={"filters": filters.chosen}
            )
        with state.read_session() as read:
            rows = audit.csv_rows(read, found=filters.found)
            header = next(rows)
            table = exports.Table("audit", header, (tuple(row) for row in rows))
            yield from export_writers.csv_chunks(table, sep=sep)  # with its byte order mark

    stamp = utcnow().strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'},
    )
