"""The measurement round's pages: opening a round (the team's ambassadors), the round at a
glance, the team's own part (its leader and consultants), and the ambassadors' assessment.

Every save is a plain form that works without JavaScript (a redirect back to the field
group it came from, or the page again with the message beside that group). With
JavaScript, the team's field groups and the ambassadors' are kept by the tablet's outbox
(``data-outbox``): each change written to the device and sent through ``/api/v1/rounds``,
also after the tablet was offline. Either way a form names the revision it was made on,
so a change someone else made meanwhile is shown, never overwritten unseen.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from app.db import SessionDep
from app.errors import DomainError, Forbidden, Invalid
from app.models import ImplementationRater
from app.schemas.ratings import form_revision
from app.services import round_view, rounds, self_report, teams
from app.web.auth import CurrentPrincipal
from app.web.htmx import render
from app.web.params import PathId, PostedForm, today_of

router = APIRouter()

Text = Annotated[str, Form()]
Screen = Literal["team", "assessment"]
DONE_NOTES = frozenset({"opened", "deadline", "submitted", "confirmed", "reopened"})
DEFAULT_DAYS = 21
# What a refused form is shown again with: each field as typed, a missing one empty.
TEXT_FIELDS = ("level", "description", "evidence_date", "evidence_document", "value", "note")
LIST_FIELDS = (
    "consultant",
    "document",
)  # three weeks for the team, unless the ambassador says otherwise


def _date(raw: str) -> date | None:
    text = raw.strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Invalid.of("err_round_date_bad") from None


def _year(raw: str) -> int | None:
    text = raw.strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 4:
        raise Invalid.of("err_round_year", first=rounds.FIRST_YEAR, last=rounds.LAST_YEAR)
    return int(text)


# Opening a round --------------------------------------------------------------------------


@router.get("/teams/{team_id}/rounds/new", response_class=HTMLResponse, name="round_new")
def round_new(
    request: Request, session: SessionDep, principal: CurrentPrincipal, team_id: PathId
) -> Response:
    return _new_page(request, session, principal, team_id)


@router.post("/teams/{team_id}/rounds", response_class=HTMLResponse, name="round_open")
def round_open(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    team_id: PathId,
    year: Text = "",
    deadline: Text = "",
) -> Response:
    try:
        context = rounds.open_round(
            session,
            principal=principal,
            team_id=team_id,
            year=_year(year),
            deadline=_date(deadline),
            today=today_of(request),
        )
    except DomainError as error:
        if error.status_code not in (409, 422):
            raise
        session.rollback()
        values = {"year": year, "deadline": deadline}
        return _new_page(request, session, principal, team_id, error=error, values=values)
    target = request.url_for("round_detail", round_id=context.id)
    return RedirectResponse(f"{target.path}?done=opened", status_code=303)


def _new_page(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    team_id: int,
    *,
    error: DomainError | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    summary = teams.team_summary(session, principal=principal, team_id=team_id)
    if not rounds.can_plan(session, principal=principal, team=summary.team):
        raise Forbidden.of("err_round_cannot_open")
    today = today_of(request)
    default = {
        "year": str(today.year),
        "deadline": (today + timedelta(days=DEFAULT_DAYS)).isoformat(),
    }
    context = {
        "summary": summary,
        "values": values or default,
        "error": error.message(request.state.language) if error else None,
        "existing": rounds.rounds_of_team(session, principal=principal, team_id=team_id),
        "today": today,
    }
    status = error.status_code if error else 200
    return render(request, "rounds/new.html", context, status_code=status)


# The round at a glance, and its deadline ---------------------------------------------------


@router.get("/rounds/{round_id}", response_class=HTMLResponse, name="round_detail")
def round_detail(
    request: Request, session: SessionDep, principal: CurrentPrincipal, round_id: PathId
) -> Response:
    return _page(request, session, principal, round_id, "rounds/detail.html")


@router.post("/rounds/{round_id}/deadline", response_class=HTMLResponse, name="round_deadline")
def round_deadline(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    round_id: PathId,
    deadline: Text = "",
) -> Response:
    def move() -> object:
        return rounds.set_deadline(
            session,
            principal=principal,
            round_id=round_id,
            deadline=_date(deadline),
            today=today_of(request),
        )

    return _act(request, session, principal, round_id, move, "deadline", "rounds/detail.html")


# The team's part ------------------------------------------------------------------------


@router.get("/rounds/{round_id}/team", response_class=HTMLResponse, name="round_team")
def round_team(
    request: Request, session: SessionDep, principal: CurrentPrincipal, round_id: PathId
) -> Response:
    return _page(request, session, principal, round_id, "rounds/team.html")


@router.post(
    "/rounds/{round_id}/team/points/{item_key}",
    response_class=HTMLResponse,
    name="round_point_save",
)
def round_point_save(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    round_id: PathId,
    item_key: str,
    form: PostedForm,
) -> Response:
    return _save_point(request, session, principal, round_id, item_key, form, "team")


@router.post(
    "/rounds/{round_id}/team/figures/{input_key}",
    response_class=HTMLResponse,
    name="round_figure_save",
)
def round_figure_save(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    round_id: PathId,
    input_key: str,
    form: PostedForm,
) -> Response:
    change = self_report.FigureInput(
        input_key=input_key,
        value=str(form.get("value", "")),
        consultants=[str(v) for v in form.getlist("consultant")] or None,
        note=str(form.get("note", "")),
    )

    def save() -> object:
        return self_report.save_figure(
            session,
            principal=principal,
            round_id=round_id,
            change=change,
            client_id=str(form.get("client_id", "")) or None,
            today=today_of(request),
            language=request.state.language,
            base_revision=form_revision(form.get("base_revision")),
        )

    return _saved(request, session, principal, round_id, save, f"figure-{input_key}", "team", form)


@router.post(
    "/rounds/{round_id}/team/documents", response_class=HTMLResponse, name="round_documents_save"
)
def round_documents_save(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    round_id: PathId,
    form: PostedForm,
) -> Response:
    change = self_report.DocumentsInput(
        documents=[str(v) for v in form.getlist("document")], note=str(form.get("note", ""))
    )

    def save() -> object:
        return self_report.save_documents(
            session,
            principal=principal,
            round_id=round_id,
            change=change,
            client_id=str(form.get("client_id", "")) or None,
            today=today_of(request),
            base_revision=form_revision(form.get("base_revision")),
        )

    return _saved(request, session, principal, round_id, save, "documents", "team", form)


@router.post("/rounds/{round_id}/submit", response_class=HTMLResponse, name="round_submit")
def round_submit(
    request: Request, session: SessionDep, principal: CurrentPrincipal, round_id: PathId
) -> Response:
    def submit() -> object:
        return rounds.submit(
            session, principal=principal, round_id=round_id, today=today_of(request)
        )

    return _act(request, session, principal, round_id, submit, "submitted", "rounds/team.html")


# The ambassadors' assessment -----------------------------------------------------------


@router.get("/rounds/{round_id}/assessment", response_class=HTMLResponse, name="round_assessment")
def round_assessment(
    request: Request, session: SessionDep, principal: CurrentPrincipal, round_id: PathId
) -> Response:
    return _page(request, session, principal, round_id, "rounds/assessment.html")


@router.post(
    "/rounds/{round_id}/assessment/{item_key}",
    response_class=HTMLResponse,
    name="round_assessment_save",
)
def round_assessment_save(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    round_id: PathId,
    item_key: str,
    form: PostedForm,
) -> Response:
    return _save_point(request, session, principal, round_id, item_key, form, "assessment")


@router.post("/rounds/{round_id}/confirm", response_class=HTMLResponse, name="round_confirm")
def round_confirm(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    round_id: PathId,
    note: Text = "",
) -> Response:
    def confirm() -> object:
        return rounds.confirm_assessment(
            session, principal=principal, round_id=round_id, note=note, today=today_of(request)
        )

    page = "rounds/assessment.html"
    return _act(request, session, principal, round_id, confirm, "confirmed", page)


@router.post("/rounds/{round_id}/reopen", response_class=HTMLResponse, name="round_reopen")
def round_reopen(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    round_id: PathId,
    reason: Text = "",
) -> Response:
    def reopen() -> object:
        return rounds.reopen_assessment(
            session, principal=principal, round_id=round_id, reason=reason
        )

    page = "rounds/assessment.html"
    return _act(request, session, principal, round_id, reopen, "reopened", page)


# Shared ------------------------------------------------------------------------------------


def _save_point(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    round_id: int,
    item_key: str,
    form: PostedForm,
    screen: Screen,
) -> Response:
    change = self_report.PointInput(
        item_key=item_key,
        level=str(form.get("level", "")),
        description=str(form.get("description", "")),
        evidence_date=str(form.get("evidence_date", "")),
        evidence_document=str(form.get("evidence_document", "")),
    )
    rater = ImplementationRater.TEAM if screen == "team" else ImplementationRater.AMBASSADORS

    def save() -> object:
        return self_report.save_point(
            session,
            principal=principal,
            round_id=round_id,
            change=change,
            rater=rater,
            client_id=str(form.get("client_id", "")) or None,
            today=today_of(request),
            base_revision=form_revision(form.get("base_revision")),
        )

    return _saved(request, session, principal, round_id, save, f"point-{item_key}", screen, form)


def _saved(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    round_id: int,
    save: Callable[[], object],
    anchor: str,
    screen: Screen,
    form: PostedForm,
) -> Response:
    """One field group saved: back to the group; a refusal is said beside the group, with
    what was typed still in it."""
    template = f"rounds/{screen}.html"
    try:
        save()
    except DomainError as error:
        if error.status_code not in (409, 422):
            raise
        session.rollback()
        message = error.message(request.state.language)
        typed = {name: [""] for name in TEXT_FIELDS} | {name: [] for name in LIST_FIELDS}
        typed |= {key: [str(v) for v in form.getlist(key)] for key in form}
        return _page(
            request,
            session,
            principal,
            round_id,
            template,
            refused={"anchor": anchor, "message": message, "typed": typed},
            status=error.status_code,
        )
    target = request.url_for(f"round_{screen}", round_id=round_id)
    return RedirectResponse(f"{target.path}#{anchor}", status_code=303)


def _act(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    round_id: int,
    action: Callable[[], object],
    done: str,
    template: str,
) -> Response:
    """A step of the round (submit, confirm, reopen, a new deadline): back to its page
    with a note, or the page again with the refusal."""
    try:
        action()
    except DomainError as error:
        if error.status_code not in (409, 422):
            raise
        session.rollback()
        refused = {"anchor": done, "message": error.message(request.state.language)}
        return _page(
            request, session, principal, round_id, template, refused=refused,
            status=error.status_code,
        )  # fmt: skip
    name = template.removeprefix("rounds/").removesuffix(".html")
    target = request.url_for(f"round_{name}", round_id=round_id)
    return RedirectResponse(f"{target.path}?done={done}", status_code=303)


def _page(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    round_id: int,
    template: str,
    *,
    refused: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    view = round_view.round_view(
        session, principal=principal, round_id=round_id, today=today_of(request)
    )
    done = request.query_params.get("done", "")
    context = {
        "view": view,
        "round": view.context.round,
        "team": view.context.team,
        "instrument": view.context.instrument,
        "refused": refused or {},
        "done": done
        if done in {"opened", "deadline", "submitted", "confirmed", "reopened"}
        else "",
        "today": today_of(request),
    }
    return render(request, template, context, status_code=status)
