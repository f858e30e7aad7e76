"""What the workshop's form pages share (app/web/scale_pages.py for fidelity scales,
app/web/instrument_pages.py for implementation-status instruments): reading a posted form,
and storing a draft's change or showing its form again with each problem beside its field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from app.errors import DomainError, Forbidden
from app.models import ScaleKind, ScaleVersion
from app.scales import forms
from app.scales.schema import CONTROL_CHARACTERS
from app.services import scales as scale_service
from app.services import workshop
from app.services.access import Principal
from app.web.htmx import render


def draft_to_edit(
    session: Session, principal: Principal, *, key: str, version: str, kind: ScaleKind
) -> ScaleVersion:
    """The draft of ``kind``, if ``principal`` may edit it now; a version they may read but
    not edit is a 403 (drafting right) or 409 (published, or in approval) with the reason,
    and one of the other kind is not found here."""
    row = scale_service.readable_version(
        session, principal=principal, key=key, version=version, kind=kind
    )
    if not workshop.may_draft(principal):
        raise Forbidden.of("err_workshop_forbidden")
    workshop.ensure_editable(row)
    return row


def save_or_show(
    session: Session,
    principal: Principal,
    row: ScaleVersion,
    data: dict[str, Any],
    posted: dict[str, list[str]],
    show: Callable[..., Response],
    *,
    done: str,
    within: tuple[str | int, ...] = (),
) -> Response:
    """Store ``data`` as the draft's whole definition and go to ``done``; or, with nothing
    stored, ``show`` the form again with what was typed: a conflict's message above it, or
    each problem beside its field (those within the form's part of the scale placed
    relative to it)."""
    values = shown_values(posted)
    try:
        saved = workshop.save(
            session, principal=principal, row=row, data=data, revision=revision_of(posted)
        )
    except DomainError as error:
        if error.status_code != 409:
            raise
        session.rollback()
        return show(values, error=error)
    if isinstance(saved, workshop.Refused):
        session.rollback()
        fields = field_names(values)
        size = len(within)
        inside = [(loc, m) for loc, m in saved.problems if size and loc[:size] == within]
        others = [(loc, m) for loc, m in saved.problems if not size or loc[:size] != within]
        placed = forms.place_problems(inside, fields, within=within) if size else {}
        for name, messages in forms.place_problems(others, fields).items():
            placed.setdefault(name, []).extend(messages)
        return show(values, problems=placed)
    return RedirectResponse(done, status_code=303)


def posted_lists(form: FormData) -> dict[str, list[str]]:
    """Every text value posted, by name."""
    posted: dict[str, list[str]] = {}
    for name, value in form.multi_items():
        if isinstance(value, str) and name != "csrf_token":
            posted.setdefault(name, []).append(value)
    return posted


def shown_values(posted: dict[str, list[str]]) -> forms.Values:
    """The posted values as the form shows them again (several for a multiple choice)."""
    multiple = {"principles", "evidence", "program_types", "crosswalk-comparable"}
    return {
        name: [_visible(v) for v in values] if name in multiple else _visible(values[-1])
        for name, values in posted.items()
    }


def _visible(text: str) -> str:
    """A typed value as a page can show it again: a control character (which the scale
    model refuses, and a page cannot carry) shown as the replacement character where it
    stood."""
    return CONTROL_CHARACTERS.sub("\ufffd", text)


def field_names(values: forms.Values) -> list[str]:
    """The names a problem can be placed beside: every field, and each group of them
    (a band's row, the bands, the banding, the anchors)."""
    names: set[str] = set()
    for name in values:
        parts = name.split("-")
        for end in range(1, len(parts) + 1):
            names.add("-".join(parts[:end]))
    return sorted(names)


def count(text: str) -> int | None:
    """A revision or an id as a form carries it: plain digits of a size the database
    holds; anything else is None."""
    return int(text) if _DIGITS.fullmatch(text) else None


def posted_value(posted: dict[str, list[str]], name: str) -> str:
    """The last value posted under ``name``, without the spaces around it ("" if none)."""
    return (posted.get(name) or [""])[-1].strip()


def revision_of(posted: dict[str, list[str]]) -> int:
    """The draft's revision the form was loaded at (-1, matching none, if it is not one)."""
    found = count(posted_value(posted, "revision"))
    return -1 if found is None else found


def form_page(
    request: Request,
    template: str,
    *,
    row: ScaleVersion,
    values: forms.Values,
    problems: dict[str, list[str]] | None,
    error: DomainError | None,
    **context: Any,
) -> Response:
    """A workshop form's page: ``context`` with what every such form shows (what was
    typed, each problem beside its field, a conflict's message above, the revision the
    form carries); answered 409 for a conflict and 422 for problems."""
    page = {
        "row": row,
        "values": values,
        "problems": problems or {},
        "error": error.message(request.state.language) if error else None,
        "revision": form_revision(row, values),
        **context,
    }
    status = 409 if error else (422 if problems else 200)
    return render(request, template, page, status_code=status)


def form_revision(row: ScaleVersion, values: forms.Values) -> str | int:
    """The revision a form carries: when it comes back refused, the one it was loaded at
    (a form refused for a conflict must not quietly take the newer revision, or saving it
    again would undo the colleague's change unseen); else the draft's own."""
    posted = values.get("revision")
    return posted if isinstance(posted, str) and posted else row.revision


def version_path(request: Request, row: ScaleVersion) -> str:
    """The address of a version's own page, which the workshop's forms return to."""
    return str(request.url_for("scale_detail", key=row.scale_key, version=row.version).path)


_DIGITS = re.compile(r"[0-9]{1,9}")
