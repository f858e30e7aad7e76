"""/healthz: 200 when the database is reachable and migrated to the newest revision."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.db.migrate import schema_state

router = APIRouter()


@router.get("/healthz", name="healthz", include_in_schema=False)
def healthz(request: Request) -> JSONResponse:
    state = schema_state(request.app.state.engine)
    body = {
        "status": "ok" if state.ok else "unavailable",
        "database": state.message,
        "migration": state.current,
        "expected_migration": state.head,
    }
    return JSONResponse(body, status_code=200 if state.ok else 503)
