"""The team's comments and action plan on a finalised review.

Plain forms, each answered with a redirect back to where it was sent from (the item on
the feedback page, or the action on the team page), so they work the same with or
without JavaScript. A refused form is answered with the page again: the message beside
the form it concerns and everything that was typed still in it.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from app.db import SessionDep
from app.errors import DomainError
from app.models import ActionStatus, utcnow
from app.services import action_plan, feedback
from app.web.auth import CurrentPrincipal, record_view
from app.web.htmx import render
from app.web.params import PathId

router = APIRouter()

# Which field a refusal is about, so that only that field is marked invalid.
ERROR_FIELDS = {
    "err_action_what": "what",
    "err_action_what_long": "what",
    "err_action_who": "who",
    "err_action_who_long": "who",
    "err_action_due": "due_date",
    "err_action_due_bad": "due_date",
    "err_action_due_past": "due_date",
    "err_action_status": "status",
    "err_comment_long": "body",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _printable(values: dict[str, str]) -> dict[str, str]:
    """What was typed, to put back in the form, without the control characters that
    were a reason to refuse it (an HTML page cannot carry them)."""
    return {name: _CONTROL.sub("", value) for name, value in values.items()}


Text = Annotated[str, Form()]
ReturnTo = Annotated[Literal["feedback", "team"], Form()]


@router.get("/reviews/{review_id}/feedback", response_class=HTMLResponse, name="review_feedback")
def feedback_page(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    background: BackgroundTasks,
    review_id: PathId,
) -> Response:
    page = _page(request, session, principal, review_id)
    record_view(request, background, principal, "review", review_id)
    return page


def _page(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    review_id: int,
    *,
    form_id: str | None = None,
    item_key: str | None = None,
    error: DomainError | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    settings = request.app.state.settings
    found = feedback.review_feedback(
        session, principal=principal, review_id=review_id, feedback_days=settings.feedback_days
    )
    context: dict[str, Any] = {
        "feedback": found,
        "result": found.result,
        "window_open": found.is_open(utcnow()),
        "today": settings.today(),
        "statuses": list(ActionStatus),
        "errors": {form_id: error.message(request.state.language)} if form_id and error else {},
        "error_field": ERROR_FIELDS.get(error.key or "", "") if error else "",
        "values": {form_id: _printable(values or {})} if form_id else {},
        "error_item": item_key,
    }
    status = error.status_code if error else 200
    return render(request, "reviews/feedback.html", context, status_code=status)


def _refused(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    review_id: int,
    error: DomainError,
    form: tuple[str, str],
    values: dict[str, str],
) -> Response:
    """The page again after a refused form (``form``: its id and its item). Only a
    mistake a person can fix (409, 422) is shown beside its form; anything else is the
    error page."""
    if error.status_code not in (409, 422):
        raise error
    session.rollback()
    form_id, item_key = form
    return _page(
        request,
        session,
        principal,
        review_id,
        form_id=form_id,
        item_key=item_key,
        error=error,
        values=values,
    )


def _back(
    request: Request, return_to: str, *, review_id: int, team_id: int, anchor: str
) -> Response:
    if return_to == "team":
        target = request.url_for("team_detail", team_id=team_id)
    else:
        target = request.url_for("review_feedback", review_id=review_id)
    return RedirectResponse(f"{target.path}#{anchor}", status_code=303)


@router.post(
    "/reviews/{review_id}/feedback/{item_key}/comment",
    response_class=HTMLResponse,
    name="comment_save",
)
def comment_save(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    review_id: PathId,
    item_key: str,
    body: Text = "",
) -> Response:
    settings = request.app.state.settings
    try:
        feedback.save_comment(
            session,
            principal=principal,
            review_id=review_id,
            item_key=item_key,
            body=body,
            feedback_days=settings.feedback_days,
            timezone=settings.timezone,
        )
    except DomainError as error:
        form = (f"comment-{item_key}", item_key)
        return _refused(request, session, principal, review_id, error, form, {"body": body})
    return _back(request, "feedback", review_id=review_id, team_id=0, anchor=f"item-{item_key}")


@router.post(
    "/reviews/{review_id}/feedback/{item_key}/actions",
    response_class=HTMLResponse,
    name="action_create",
)
def action_create(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    review_id: PathId,
    item_key: str,
    what: Text = "",
    who: Text = "",
    due_date: Text = "",
) -> Response:
    change = action_plan.ActionInput(what=what, who=who, due_date=due_date)
    try:
        action = action_plan.create_action(
            session,
            principal=principal,
            review_id=review_id,
            item_key=item_key,
            change=change,
            today=request.app.state.settings.today(),
        )
    except DomainError as error:
        values = {"what": what, "who": who, "due_date": due_date}
        return _refused(
            request,
            session,
            principal,
            review_id,
            error,
            (f"new-action-{item_key}", item_key),
            values,
        )
    return _back(request, "feedback", review_id=review_id, team_id=0, anchor=f"action-{action.id}")


@router.post("/actions/{action_id}", response_class=HTMLResponse, name="action_update")
def action_update(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    action_id: PathId,
    what: Text = "",
    who: Text = "",
    due_date: Text = "",
    status: Text = "",
) -> Response:
    change = action_plan.ActionInput(what=what, who=who, due_date=due_date, status=status or None)
    try:
        action = action_plan.update_action(
            session,
            principal=principal,
            action_id=action_id,
            change=change,
            today=request.app.state.settings.today(),
        )
    except DomainError as error:
        session.rollback()
        found = action_plan.visible_action(session, principal=principal, action_id=action_id)
        values = {"what": what, "who": who, "due_date": due_date, "status": status}
        form = (f"action-{action_id}", found.item_key)
        return _refused(request, session, principal, found.review_id, error, form, values)
    return _back(
        request, "feedback", review_id=action.review_id, team_id=0, anchor=f"action-{action_id}"
    )


@router.post("/actions/{action_id}/status", response_class=HTMLResponse, name="action_status")
def action_status(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    action_id: PathId,
    status: Text = "",
    return_to: ReturnTo = "feedback",
) -> Response:
    action = action_plan.set_status(
        session, principal=principal, action_id=action_id, status=status
    )
    # A done action moves to the folded list of done ones: back to the plan's heading.
    anchor = "plan-heading" if action.status == ActionStatus.DONE else f"action-{action_id}"
    return _back(
        request, return_to, review_id=action.review_id, team_id=action.team_id, anchor=anchor
    )


@router.post("/actions/{action_id}/delete", response_class=HTMLResponse, name="action_delete")
def action_delete(
    request: Request, session: SessionDep, principal: CurrentPrincipal, action_id: PathId
) -> Response:
    action = action_plan.visible_action(session, principal=principal, action_id=action_id)
    anchor = f"item-{action.item_key}"
    review_id = action_plan.delete_action(session, principal=principal, action_id=action_id)
    return _back(request, "feedback", review_id=review_id, team_id=0, anchor=anchor)
