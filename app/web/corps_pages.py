"""The ambassador corps' work, region by region: the collaboration agreements and the
activities of a half year, with the forms to record them.

Plain forms that redirect back to the region (post, redirect, get), so they work the
same with or without JavaScript; a refused form is answered with its page again, the
message at the top, each field it concerns marked, and everything typed still in it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from app.db import SessionDep
from app.errors import Invalid
from app.models import ActivityKind, Role
from app.services import corps
from app.web.auth import CurrentPrincipal
from app.web.htmx import render
from app.web.params import PathId, PostedForm, today_of

router = APIRouter()

HalfParam = Annotated[str | None, Query(max_length=20, description="a half year: 2026H2")]
ACTIVITY_FIELDS = ("kind", "held_on", "title", *corps.COUNTS, "sessions", "note")
AGREEMENT_FIELDS = ("partner", "signed_on", "ended_on", "document", "note")
DONE = frozenset({"activity_saved", "activity_deleted", "agreement_saved", "agreement_deleted"})


@router.get("/corps", response_class=HTMLResponse, name="corps")
def corps_page(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    regions = corps.regions_of(session, principal=principal)
    if principal.role is Role.AMBASSADOR and len(principal.regions) == 1:
        target = request.url_for("corps_region", region_code=regions[0].code).path
        return RedirectResponse(target, status_code=303)
    today = today_of(request)
    context = {
        "regions": [(r, corps.coverage(session, on=today, region_code=r.code)) for r in regions],
        "country": corps.coverage(session, on=today),
        "today": today,
    }
    return render(request, "corps/index.html", context)


@router.get("/corps/regions/{region_code}", response_class=HTMLResponse, name="corps_region")
def region_page(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    region_code: PathId,
    half: HalfParam = None,
    done: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    chosen = corps.Half.parse(half, today=today_of(request))
    return _region(request, session, principal, region_code, chosen, done=done)


def _region(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    region_code: int,
    half: corps.Half,
    *,
    done: str | None = None,
    form: str | None = None,
    refused: Invalid | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    found = corps.region(session, principal=principal, region_code=region_code)
    today = today_of(request)
    context = {
        "region": found,
        "half": half,
        "halves": corps.Half.choices(today, chosen=half),
        "coverage": corps.coverage(session, on=today, region_code=region_code),
        "agreements": corps.agreements(session, principal=principal, region_code=region_code),
        "activities": corps.activities(
            session, principal=principal, region_code=region_code, half=half
        ),
        "municipalities": corps.municipalities(session, region_code=region_code),
        "may_record": corps.may_record(principal, region_code),
        "kinds": list(ActivityKind),
        "done": done if done in DONE else None,
        "today": today,
        **_refusal(request, form, refused, values),
    }
    return render(request, "corps/region.html", context, status_code=status_code)


def _refusal(
    request: Request, form: str | None, refused: Invalid | None, values: dict[str, Any] | None
) -> dict[str, Any]:
    """What a page needs to show a refused form again: which form, the message, the
    fields it concerns, and what was typed."""
    fields = {str(params.get("field")) for _, params in refused.parts} if refused else set()
    return {
        "form": form,
        "error": refused.message(request.state.language) if refused else None,
        "error_fields": fields,
        "values": values or {},
    }


def _typed(form: PostedForm, names: tuple[str, ...]) -> dict[str, str]:
    return {name: str(form.get(name) or "")[:2000] for name in names}


def _codes(form: PostedForm) -> list[int]:
    codes = []
    for value in form.getlist("municipalities"):
        text = str(value).strip()
        if text.isdigit() and len(text) <= 4:
            codes.append(int(text))
    return codes


def _back(request: Request, region_code: int, done: str, held_on: date | None = None) -> Response:
    target = request.url_for("corps_region", region_code=region_code).path
    query = f"?done={done}"
    if held_on is not None:
        query += f"&half={corps.Half.of(held_on).key}"
    return RedirectResponse(target + query, status_code=303)


# Activities ---------------------------------------------------------------------------------


@router.post(
    "/corps/regions/{region_code}/activities",
    response_class=HTMLResponse,
    name="corps_activity_new",
)
def new_activity(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    region_code: PathId,
    form: PostedForm,
) -> Response:
    values = _typed(form, ACTIVITY_FIELDS)
    try:
        saved = corps.save_activity(
            session, principal=principal, region_code=region_code, values=values,
            today=today_of(request),
        )  # fmt: skip
    except Invalid as refused:
        half = corps.Half.of(today_of(request))
        return _region(request, session, principal, region_code, half, form="activity",
                       refused=refused, values=values, status_code=422)  # fmt: skip
    return _back(request, region_code, "activity_saved", saved.held_on)


@router.get("/corps/activities/{activity_id}", response_class=HTMLResponse, name="corps_activity")
def activity_page(
    request: Request, session: SessionDep, principal: CurrentPrincipal, activity_id: PathId
) -> Response:
    found = corps.activity(session, principal=principal, activity_id=activity_id)
    values = {
        name: ("" if getattr(found, name) is None else str(getattr(found, name)))
        for name in ACTIVITY_FIELDS
    }
    return _activity_page(request, session, principal, found.id or 0, values)


def _activity_page(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    activity_id: int,
    values: dict[str, str],
    refused: Invalid | None = None,
) -> Response:
    found = corps.activity(session, principal=principal, activity_id=activity_id)
    context = {
        "activity": found,
        "region": corps.region(session, principal=principal, region_code=found.region_code),
        "may_record": corps.may_record(principal, found.region_code),
        "kinds": list(ActivityKind),
        "today": today_of(request),
        **_refusal(request, "activity", refused, values),
    }
    return render(request, "corps/activity.html", context, status_code=422 if refused else 200)


@router.post(
    "/corps/activities/{activity_id}", response_class=HTMLResponse, name="corps_activity_save"
)
def save_activity(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    activity_id: PathId,
    form: PostedForm,
) -> Response:
    found = corps.activity(session, principal=principal, activity_id=activity_id)
    values = _typed(form, ACTIVITY_FIELDS)
    try:
        saved = corps.save_activity(
            session, principal=principal, region_code=found.region_code, values=values,
            today=today_of(request), activity_id=activity_id,
        )  # fmt: skip
    except Invalid as refused:
        session.rollback()
        return _activity_page(request, session, principal, activity_id, values, refused)
    return _back(request, saved.region_code, "activity_saved", saved.held_on)


@router.post(
    "/corps/activities/{activity_id}/delete",
    response_class=HTMLResponse,
    name="corps_activity_delete",
)
def delete_activity(
    request: Request, session: SessionDep, principal: CurrentPrincipal, activity_id: PathId
) -> Response:
    region_code = corps.delete_activity(session, principal=principal, activity_id=activity_id)
    return _back(request, region_code, "activity_deleted")


# Agreements ---------------------------------------------------------------------------------


@router.post(
    "/corps/regions/{region_code}/agreements",
    response_class=HTMLResponse,
    name="corps_agreement_new",
)
def new_agreement(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    region_code: PathId,
    form: PostedForm,
) -> Response:
    values: dict[str, Any] = _typed(form, AGREEMENT_FIELDS)
    codes = _codes(form)
    try:
        corps.save_agreement(
            session, principal=principal, region_code=region_code, values=values,
            municipalities=codes, today=today_of(request),
        )  # fmt: skip
    except Invalid as refused:
        half = corps.Half.of(today_of(request))
        values["municipalities"] = codes
        return _region(request, session, principal, region_code, half, form="agreement",
                       refused=refused, values=values, status_code=422)  # fmt: skip
    return _back(request, region_code, "agreement_saved")


@router.get("/corps/agreements/{agreement_id}", response_class=HTMLResponse, name="corps_agreement")
def agreement_page(
    request: Request, session: SessionDep, principal: CurrentPrincipal, agreement_id: PathId
) -> Response:
    found = corps.agreement(session, principal=principal, agreement_id=agreement_id)
    a = found.agreement
    values: dict[str, Any] = {
        "partner": a.partner,
        "signed_on": a.signed_on.isoformat(),
        "ended_on": a.ended_on.isoformat() if a.ended_on else "",
        "document": a.document or "",
        "note": a.note or "",
        "municipalities": [m.code for m in found.municipalities],
    }
    return _agreement_page(request, session, principal, agreement_id, values)


def _agreement_page(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    agreement_id: int,
    values: dict[str, Any],
    refused: Invalid | None = None,
) -> Response:
    found = corps.agreement(session, principal=principal, agreement_id=agreement_id)
    region_code = found.agreement.region_code
    context = {
        "agreement": found,
        "region": corps.region(session, principal=principal, region_code=region_code),
        "municipalities": corps.municipalities(session, region_code=region_code),
        "may_record": corps.may_record(principal, region_code),
        "today": today_of(request),
        **_refusal(request, "agreement", refused, values),
    }
    return render(request, "corps/agreement.html", context, status_code=422 if refused else 200)


@router.post(
    "/corps/agreements/{agreement_id}", response_class=HTMLResponse, name="corps_agreement_save"
)
def save_agreement(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    agreement_id: PathId,
    form: PostedForm,
) -> Response:
    found = corps.agreement(session, principal=principal, agreement_id=agreement_id)
    values: dict[str, Any] = _typed(form, AGREEMENT_FIELDS)
    codes = _codes(form)
    try:
        corps.save_agreement(
            session, principal=principal, region_code=found.agreement.region_code,
            values=values, municipalities=codes, today=today_of(request),
            agreement_id=agreement_id,
        )  # fmt: skip
    except Invalid as refused:
        session.rollback()
        values["municipalities"] = codes
        return _agreement_page(request, session, principal, agreement_id, values, refused)
    return _back(request, found.agreement.region_code, "agreement_saved")


@router.post(
    "/corps/agreements/{agreement_id}/delete",
    response_class=HTMLResponse,
    name="corps_agreement_delete",
)
def delete_agreement(
    request: Request, session: SessionDep, principal: CurrentPrincipal, agreement_id: PathId
) -> Response:
    region_code = corps.delete_agreement(session, principal=principal, agreement_id=agreement_id)
    return _back(request, region_code, "agreement_deleted")
