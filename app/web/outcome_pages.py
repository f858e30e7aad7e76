"""Outcomes: STAR's quarterly monitoring figures imported (a file previewed, then
stored), and a team's own quarterly figures.

The preview stores nothing: the page it answers with carries the file itself (base64,
in a hidden field, at most ``MAX_FILE``), and storing posts it back, to be read and
checked again before anything is written. So a preview left open in a tab, or a file
changed on disk meanwhile, can never store what nobody saw.
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi import Path as InPath
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from app.db import SessionDep
from app.errors import Conflict, DomainError, Forbidden, Invalid
from app.models import MEASURES
from app.services import outcomes
from app.services.outcome_sheet import MAX_FILE, TEAM_FIELDS, quarter_label
from app.web.auth import CurrentPrincipal
from app.web.downloads import attachment
from app.web.htmx import render
from app.web.params import PathId, PostedForm, today_of

router = APIRouter()

EXAMPLE = Path(__file__).resolve().parent.parent / "static" / "examples" / "kvartalstal.csv"
SHOWN_ROWS = 200  # clean rows shown in a preview; every row with a problem is shown


@router.get("/outcomes", response_class=HTMLResponse, name="outcomes")
def outcomes_page(
    request: Request, session: SessionDep, principal: CurrentPrincipal, done: str | None = None
) -> Response:
    return _import_page(request, session, principal, done=done if done == "stored" else None)


def _import_page(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    *,
    done: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "imports": outcomes.recent_imports(session, principal=principal),
        "quarters": outcomes.stored_quarters(session, principal=principal),
        "done": done,
        "error": error,
        "max_kb": MAX_FILE // 1024,
    }
    return render(request, "outcomes/index.html", context, status_code=status_code)


@router.post("/outcomes/preview", response_class=HTMLResponse, name="outcomes_preview")
def preview_upload(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    file: Annotated[UploadFile, File()],
) -> Response:
    raw = file.file.read(MAX_FILE + 1)
    return _preview(request, session, principal, file.filename or "", raw)


def _preview(
    request: Request, session: SessionDep, principal: CurrentPrincipal, filename: str, raw: bytes
) -> Response:
    try:
        preview = outcomes.preview_file(
            session, principal=principal, raw=raw, today=today_of(request)
        )
    except Invalid as refused:
        message = refused.message(request.state.language)
        return _import_page(request, session, principal, error=message, status_code=422)
    context = {
        "preview": preview,
        "filename": filename,
        "content": base64.b64encode(raw).decode("ascii") if preview.clean else None,
        "shown_rows": SHOWN_ROWS,
        "measures": MEASURES,
    }
    return render(
        request, "outcomes/preview.html", context, status_code=200 if preview.clean else 422
    )


@router.post("/outcomes/store", response_class=HTMLResponse, name="outcomes_store")
def store_upload(
    request: Request, session: SessionDep, principal: CurrentPrincipal, form: PostedForm
) -> Response:
    filename = str(form.get("filename") or "")[:200]
    try:
        raw = base64.b64decode(str(form.get("content") or ""), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    try:
        outcomes.store_file(
            session,
            principal=principal,
            filename=filename,
            raw=raw,
            today=today_of(request),
        )
    except Invalid:
        return _preview(request, session, principal, filename, raw)
    return RedirectResponse(request.url_for("outcomes").path + "?done=stored", status_code=303)


@router.get("/outcomes/imports/{import_id}/file", name="outcome_import_file")
def import_file(
    request: Request, session: SessionDep, principal: CurrentPrincipal, import_id: PathId
) -> Response:
    found = outcomes.import_file(session, principal=principal, import_id=import_id)
    name = Path(found.filename).stem or "import"
    extension = "xlsx" if found.content.startswith(b"PK") else "csv"
    return Response(
        found.content,
        media_type="application/octet-stream",
        headers={"Content-Disposition": attachment([name, str(found.id)], extension)},
    )


@router.get("/outcomes/example.csv", name="outcomes_example")
def example_file(principal: CurrentPrincipal) -> Response:
    if not outcomes.may_import(principal):
        raise Forbidden.of("err_outcome_import_forbidden")
    return Response(
        EXAMPLE.read_bytes(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": attachment(["kvartalstal", "eksempel"], "csv")},
    )


# A team's own figures ----------------------------------------------------------------------


@router.get("/teams/{team_id}/outcomes", response_class=HTMLResponse, name="team_outcomes")
def team_outcomes_page(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    team_id: PathId,
    done: str | None = None,
) -> Response:
    return _team_page(
        request, session, principal, team_id, done=done if done in ("saved", "removed") else None
    )


def _team_page(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    team_id: int,
    *,
    done: str | None = None,
    error: DomainError | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    found = outcomes.team_outcomes(
        session, principal=principal, team_id=team_id, today=today_of(request)
    )
    context = {
        "outcomes": found,
        "team": found.team,
        "may_enter": outcomes.may_enter(principal, team_id),
        "open_quarters": [quarter_label(y, q) for y, q in found.open_quarters],
        "measures": MEASURES,
        "goal": outcomes.GOAL,
        "end_goal": outcomes.END_GOAL,
        "done": done,
        "error": error.message(request.state.language) if error is not None else None,
        "error_fields": _error_fields(error),
        "values": values or {},
    }
    return render(request, "outcomes/team.html", context, status_code=status_code)


def _error_fields(error: DomainError | None) -> set[str]:
    """The form's fields a refusal names, so only they are marked invalid (a share's
    problem marks its count, the field the form has)."""
    if error is None:
        return set()
    named = [params.get("field") for _, params in error.parts] or [error.params.get("field")]
    return {str(field).removesuffix("_share") for field in named if field}


@router.post("/teams/{team_id}/outcomes", response_class=HTMLResponse, name="team_outcomes_save")
def save_team_quarter(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    team_id: PathId,
    form: PostedForm,
) -> Response:
    values = {name: str(form.get(name) or "")[:40] for name in TEAM_FIELDS}
    try:
        outcomes.save_team_quarter(
            session,
            principal=principal,
            team_id=team_id,
            values=values,
            today=today_of(request),
        )
    except (Invalid, Conflict) as refused:
        session.rollback()
        return _team_page(
            request,
            session,
            principal,
            team_id,
            error=refused,
            values=values,
            status_code=refused.status_code,
        )
    target = request.url_for("team_outcomes", team_id=team_id).path
    return RedirectResponse(target + "?done=saved", status_code=303)


@router.post(
    "/teams/{team_id}/outcomes/{year}/{quarter}/remove",
    response_class=HTMLResponse,
    name="team_outcomes_remove",
)
def remove_team_quarter(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    team_id: PathId,
    year: Annotated[int, InPath(ge=2000, le=2100)],
    quarter: Annotated[int, InPath(ge=1, le=4)],
) -> Response:
    outcomes.remove_team_quarter(
        session, principal=principal, team_id=team_id, year=year, quarter=quarter
    )
    target = request.url_for("team_outcomes", team_id=team_id).path
    return RedirectResponse(target + "?done=removed", status_code=303)
