"""The workshop's forms for an implementation-status instrument's draft (issue 19): the
instrument as a whole (texts, programme types, the maturity ladder, the status bands, the
elements' texts, the team's figures and the documents) and each point (texts, element,
programme types, its own words for the ladder's steps), added, changed or removed.

They work as the fidelity scale's forms do (app/web/scale_pages.py): a refused form is
answered with its page again, each problem beside its field and what was typed still in
it; a change made on an older revision is a conflict, never an overwrite. The rules are
the instrument model's and the workshop service's.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from app.db import SessionDep
from app.errors import DomainError, NotFound
from app.i18n import translator
from app.models import ScaleKind, ScaleVersion
from app.scales import forms, instrument_forms
from app.scales.implementation import ImplementationDefinition, ImplementationItem
from app.services import scales as scale_service
from app.services.access import Principal
from app.web.auth import CurrentPrincipal
from app.web.params import PostedForm
from app.web.workshop_forms import (
    draft_to_edit,
    form_page,
    posted_lists,
    posted_value,
    save_or_show,
    shown_values,
    version_path,
)

router = APIRouter()

Problems = dict[str, list[str]]


# The instrument as a whole.


@router.get(
    "/scales/{key}/{version}/instrument", response_class=HTMLResponse, name="instrument_edit"
)
def instrument_edit(
    request: Request, session: SessionDep, principal: CurrentPrincipal, key: str, version: str
) -> Response:
    row, instrument = _draft(session, principal, key, version)
    values = instrument_forms.instrument_values(instrument)
    return _instrument_form(request, row, instrument, values)


@router.post("/scales/{key}/{version}/instrument", response_class=HTMLResponse)
def instrument_save(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    key: str,
    version: str,
    form: PostedForm,
) -> Response:
    row, instrument = _draft(session, principal, key, version)
    posted = posted_lists(form)
    data = instrument_forms.instrument_from_form(posted, instrument=instrument)
    show = partial(_instrument_form, request, row, instrument)
    done = version_path(request, row) + "?saved=1"
    return save_or_show(session, principal, row, data, posted, show, done=done)


def _instrument_form(
    request: Request,
    row: ScaleVersion,
    instrument: ImplementationDefinition,
    values: forms.Values,
    *,
    problems: Problems | None = None,
    error: DomainError | None = None,
) -> Response:
    return form_page(
        request,
        "scales/instrument_edit.html",
        row=row,
        values=values,
        problems=problems,
        error=error,
        instrument=instrument,
        rows=instrument_forms.instrument_rows(values, instrument),
    )


# One point: added, changed, removed.


@router.get(
    "/scales/{key}/{version}/points/new", response_class=HTMLResponse, name="instrument_point_new"
)
def point_new(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    key: str,
    version: str,
    element: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    row, instrument = _draft(session, principal, key, version)
    keys = [entry.key for entry in instrument.elements]
    values: forms.Values = {"element": element if element in keys else keys[0]}
    return _point_form(request, row, instrument, None, values)


@router.post("/scales/{key}/{version}/points/new", response_class=HTMLResponse)
def point_add(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    key: str,
    version: str,
    form: PostedForm,
) -> Response:
    row, instrument = _draft(session, principal, key, version)
    return _save_point(request, session, principal, row, instrument, None, posted_lists(form))


@router.get(
    "/scales/{key}/{version}/points/{point_key}",
    response_class=HTMLResponse,
    name="instrument_point_edit",
)
def point_edit(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    key: str,
    version: str,
    point_key: str,
) -> Response:
    row, instrument, point = _draft_point(session, principal, key, version, point_key)
    values = instrument_forms.point_values(instrument, point)
    return _point_form(request, row, instrument, point, values)


@router.post("/scales/{key}/{version}/points/{point_key}", response_class=HTMLResponse)
def point_save(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    key: str,
    version: str,
    point_key: str,
    form: PostedForm,
) -> Response:
    row, instrument, point = _draft_point(session, principal, key, version, point_key)
    posted = posted_lists(form)
    posted["key"] = [point.key]  # a point's key is not changed: it is how it is known
    return _save_point(request, session, principal, row, instrument, point, posted)


def _save_point(
    request: Request,
    session: SessionDep,
    principal: Principal,
    row: ScaleVersion,
    instrument: ImplementationDefinition,
    point: ImplementationItem | None,
    posted: dict[str, list[str]],
) -> Response:
    """Store the draft with the posted point in place of ``point`` (or added, for None),
    or show the form again: the point's problems beside its fields."""
    show = partial(_point_form, request, row, instrument, point)
    t = translator(request.state.language)
    element = posted_value(posted, "element")
    if element not in {entry.key for entry in instrument.elements}:
        return show(shown_values(posted), problems={"element": [t("err_point_element")]})
    key = posted_value(posted, "key")
    taken = next((other for other in instrument.items if other.key == key), None)
    if point is None and taken is not None:
        # The rules would name the other point, which may stand after the new one's place.
        problem = t("err_point_key_taken").format(key=key, number=taken.number)
        return show(shown_values(posted), problems={"key": [problem]})
    data, where = instrument_forms.with_point(
        instrument,
        instrument_forms.point_from_form(posted, before=point),
        element=element,
        replacing=point.key if point else None,
    )
    done = version_path(request, row) + f"?saved=1#workshop-{quote(key)}"
    return save_or_show(session, principal, row, data, posted, show, done=done, within=where)


def _point_form(
    request: Request,
    row: ScaleVersion,
    instrument: ImplementationDefinition,
    point: ImplementationItem | None,
    values: forms.Values,
    *,
    problems: Problems | None = None,
    error: DomainError | None = None,
) -> Response:
    return form_page(
        request,
        "scales/point_edit.html",
        row=row,
        values=values,
        problems=problems,
        error=error,
        instrument=instrument,
        point=point,
    )


@router.get(
    "/scales/{key}/{version}/points/{point_key}/remove",
    response_class=HTMLResponse,
    name="instrument_point_remove",
)
def point_remove_page(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    key: str,
    version: str,
    point_key: str,
) -> Response:
    row, instrument, point = _draft_point(session, principal, key, version, point_key)
    return _remove_form(request, row, instrument, point, {})


@router.post("/scales/{key}/{version}/points/{point_key}/remove", response_class=HTMLResponse)
def point_remove(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    key: str,
    version: str,
    point_key: str,
    form: PostedForm,
) -> Response:
    row, instrument, point = _draft_point(session, principal, key, version, point_key)
    data = instrument_forms.without_point(instrument, point.key)
    show = partial(_remove_form, request, row, instrument, point)
    done = version_path(request, row) + "?saved=1"
    return save_or_show(session, principal, row, data, posted_lists(form), show, done=done)


def _remove_form(
    request: Request,
    row: ScaleVersion,
    instrument: ImplementationDefinition,
    point: ImplementationItem,
    values: forms.Values,
    *,
    problems: Problems | None = None,
    error: DomainError | None = None,
) -> Response:
    return form_page(
        request,
        "scales/point_remove.html",
        row=row,
        values=values,
        problems=problems,
        error=error,
        instrument=instrument,
        point=point,
    )


# Helpers.


def _draft(
    session: SessionDep, principal: Principal, key: str, version: str
) -> tuple[ScaleVersion, ImplementationDefinition]:
    """The instrument's draft ``principal`` may edit now, and its definition."""
    row = draft_to_edit(session, principal, key=key, version=version, kind=ScaleKind.IMPLEMENTATION)
    return row, scale_service.instrument_of(row)


def _draft_point(
    session: SessionDep, principal: Principal, key: str, version: str, point_key: str
) -> tuple[ScaleVersion, ImplementationDefinition, ImplementationItem]:
    """The draft ``principal`` may edit now, its definition and its point ``point_key``."""
    row, instrument = _draft(session, principal, key, version)
    try:
        return row, instrument, instrument.item(point_key)
    except KeyError:
        raise NotFound.of("err_no_point", point=point_key) from None
