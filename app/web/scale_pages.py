"""The scale versions' pages: the list, two versions compared, one version's items, and the
workshop where the expert panel drafts, discusses and approves a new version and an
administrator publishes it (issue 19).

The workshop's pages are plain forms answered with a redirect back to the page they
came from; a refused form is answered with its page again, the message beside the field
or form it concerns and what was typed still in it. The rules are the workshop
service's and the scale model's; nothing here decides what a valid scale is.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from app.db import SessionDep
from app.errors import DomainError, Invalid, NotFound
from app.models import Approval, ScaleKind, ScaleStatus, ScaleVersion
from app.scales import forms
from app.scales.compare import compare_definitions
from app.scales.loader import ScaleFileError
from app.scales.schema import Item, Principle, ScaleDefinition, Section
from app.services import sandbox, workshop
from app.services import scales as scale_service
from app.services.access import Principal
from app.web.auth import CurrentPrincipal
from app.web.htmx import render
from app.web.params import PathId, PostedForm
from app.web.workshop_forms import (
    count,
    draft_to_edit,
    form_page,
    posted_lists,
    save_or_show,
    version_path,
)

router = APIRouter()

# The list, the comparison and a version's page.


@router.get("/scales", response_class=HTMLResponse, name="scale_list")
def scale_list(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    return _list_page(request, session, principal)


def _list_page(
    request: Request,
    session: SessionDep,
    principal: Principal,
    *,
    error: str | None = None,
    problems: list[str] | None = None,
    values: dict[str, str] | None = None,
    form: str | None = None,
    status_code: int = 200,
) -> Response:
    versions = scale_service.version_uses(session, principal=principal)
    context = {
        "fidelity": [v for v in versions if v.kind == ScaleKind.FIDELITY],
        "instruments": [v for v in versions if v.kind == ScaleKind.IMPLEMENTATION],
        "with_drafts": scale_service.may_see_drafts(principal),
        "with_uses": scale_service.may_see_uses(principal),
        "may_draft": workshop.may_draft(principal),
        "bases": [v for v in versions if v.status != ScaleStatus.DRAFT],
        "changes_from": scale_service.changes_from(versions),
        "error": error,
        "problems": problems or [],
        "values": values or {},
        "form": form,
        "max_upload_kb": workshop.MAX_UPLOAD_BYTES // 1024,
    }
    return render(request, "scales/index.html", context, status_code=status_code)


@router.get("/scales/compare", response_class=HTMLResponse, name="scale_compare")
def scale_compare(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    before: Annotated[str, Query(max_length=100)] = "",
    after: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    versions = scale_service.version_uses(session, principal=principal, counted=False)
    comparison = None
    error = None
    if before and after:
        rows = []
        for value in (before, after):
            key, _, version = value.partition(":")
            rows.append(
                scale_service.readable_version(
                    session, principal=principal, key=key, version=version
                )
            )
        old, new = (workshop.definition_of(row) for row in rows)
        comparison = compare_definitions(old, new)
        if comparison is None:
            error = Invalid.of("err_compare_kinds")
    context = {
        "fidelity": [v for v in versions if v.kind == ScaleKind.FIDELITY],
        "instruments": [v for v in versions if v.kind == ScaleKind.IMPLEMENTATION],
        "before": before,
        "after": after,
        "comparison": comparison,
        "error": error.message(request.state.language) if error else None,
    }
    return render(request, "scales/compare.html", context, status_code=422 if error else 200)


@router.get("/scales/{key}/{version}", response_class=HTMLResponse, name="scale_detail")
def scale_detail(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    key: str,
    version: str,
    group: Literal["section", "principle"] = "section",
) -> Response:
    row = scale_service.readable_version(session, principal=principal, key=key, version=version)
    if row.kind == ScaleKind.IMPLEMENTATION:
        return _instrument_page(request, session, principal, row)
    return _detail_page(request, session, principal, row, group=group)


def _instrument_page(
    request: Request,
    session: SessionDep,
    principal: Principal,
    row: ScaleVersion,
    *,
    error: DomainError | None = None,
    form: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    """An implementation-status instrument's version: its elements and points, and its
    place in the workshop (its forms are app/web/instrument_pages.py)."""
    context = {
        **_workshop_context(request, session, principal, row, error, form, values),
        "instrument": scale_service.instrument_of(row),
        "editable": _editable(principal, row),
    }
    status = error.status_code if error else 200
    return render(request, "scales/instrument.html", context, status_code=status)


def _workshop_context(
    request: Request,
    session: SessionDep,
    principal: Principal,
    row: ScaleVersion,
    error: DomainError | None,
    form: str | None,
    values: dict[str, str] | None,
) -> dict[str, Any]:
    """What the workshop panel of a version's page shows: its steps, its threads, what
    the reader may do, and a refused form's message where it was sent from."""
    in_workshop = scale_service.may_see_drafts(principal)
    threads = workshop.threads(session, row) if in_workshop else []
    items = {item.key for item in workshop.definition_of(row).items}
    # Threads on an item the version no longer has (removed, or renamed by an upload)
    # are listed with the version's own, saying which item they were about.
    gone = {t.item_key for t in threads if t.item_key is not None and t.item_key not in items}
    error_item = None  # the item whose discussion a refused comment was for
    placed = form == "decision"
    if form and form.startswith("new-"):
        error_item = form.removeprefix("new-")
        placed = error_item in items or error_item == "scale"
    elif form and form.startswith("thread-"):
        thread = next((t for t in threads if f"thread-{t.id}" == form), None)
        error_item = thread.item_key if thread else None
        placed = thread is not None
    return {
        "row": row,
        "workshop": in_workshop,
        "may_draft": workshop.may_draft(principal),
        "may_publish": workshop.may_publish(principal),
        "sent_by_me": row.approval == Approval.AWAITING
        and workshop.sent_by(session, row) == principal.user_id,
        "history": workshop.history(session, row) if in_workshop else [],
        "threads": threads,
        "scale_threads": [t for t in threads if t.item_key is None or t.item_key in gone],
        "gone_items": gone,
        "error_unplaced": error is not None and not placed,
        "base": workshop.based_on(session, row),
        "error": error.message(request.state.language) if error else None,
        "error_form": form,
        "error_item": error_item,
        "values": values or {},
        "saved": request.query_params.get("saved"),
    }


def _detail_page(
    request: Request,
    session: SessionDep,
    principal: Principal,
    row: ScaleVersion,
    *,
    group: str = "section",
    error: DomainError | None = None,
    form: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    scale = scale_service.definition_of(row)
    groups: list[tuple[Section | Principle, list[Item]]]
    if group == "principle":
        groups = [
            (principle, [item for item in scale.items if principle.key in item.principles])
            for principle in sorted(scale.principles, key=lambda p: p.number)
        ]
    else:
        groups = [
            (section, [item for item in scale.items if item.section == section.key])
            for section in scale.sections
        ]
    context = {
        **_workshop_context(request, session, principal, row, error, form, values),
        "scale": scale,
        "group": group,
        "groups": groups,
        "editable": _editable(principal, row),
    }
    status = error.status_code if error else 200
    return render(request, "scales/detail.html", context, fragment="items", status_code=status)


def _editable(principal: Principal, row: ScaleVersion) -> bool:
    """Whether the page offers ``principal`` the draft's forms now."""
    return (
        row.status == ScaleStatus.DRAFT
        and row.approval == Approval.EDITING
        and workshop.may_draft(principal)
    )


def _version_page(
    request: Request,
    session: SessionDep,
    principal: Principal,
    row: ScaleVersion,
    **refused: Any,
) -> Response:
    """A version's own page (a scale's or an instrument's), with a refused form's answer."""
    if row.kind == ScaleKind.IMPLEMENTATION:
        return _instrument_page(request, session, principal, row, **refused)
    return _detail_page(request, session, principal, row, **refused)


# Starting a draft: from a stored version, or from a file.


@router.post("/scales/drafts", response_class=HTMLResponse, name="scale_draft_start")
def draft_start(
    request: Request, session: SessionDep, principal: CurrentPrincipal, form: PostedForm
) -> Response:
    base_value, version = _field(form, "base"), _field(form, "version")
    try:
        key, _, base_version = base_value.partition(":")
        base = scale_service.readable_version(
            session, principal=principal, key=key, version=base_version
        )
        row = workshop.start_draft(session, principal=principal, base=base, version=version)
    except DomainError as error:
        if error.status_code not in (404, 409, 422):
            raise
        session.rollback()
        return _list_page(
            request,
            session,
            principal,
            error=error.message(request.state.language),
            values={"base": base_value, "version": version},
            form="start",
            status_code=error.status_code if error.status_code != 404 else 422,
        )
    return _to_version(request, row)


@router.post("/scales/upload", response_class=HTMLResponse, name="scale_upload")
def draft_upload(
    request: Request, session: SessionDep, principal: CurrentPrincipal, form: PostedForm
) -> Response:
    file = form.get("file")
    revision = _field(form, "revision")
    try:
        if not isinstance(file, UploadFile) or not file.filename:
            raise Invalid.of("err_upload_no_file")
        try:
            data = file.file.read(workshop.MAX_UPLOAD_BYTES + 1)
        finally:
            file.file.close()
        row = workshop.upload(
            session,
            principal=principal,
            data=data,
            filename=file.filename,
            revision=count(revision),
        )
    except ScaleFileError as refused:
        session.rollback()
        return _list_page(
            request,
            session,
            principal,
            problems=[str(problem) for problem in refused.problems],
            form="upload",
            status_code=422,
        )
    except DomainError as error:
        if error.status_code not in (409, 422):
            raise
        session.rollback()
        return _list_page(
            request,
            session,
            principal,
            error=error.message(request.state.language),
            form="upload",
            status_code=error.status_code,
        )
    return _to_version(request, row)


@router.get("/scales/{key}/{version}/file", name="scale_file")
def scale_file(
    session: SessionDep, principal: CurrentPrincipal, key: str, version: str
) -> Response:
    """The version as a scale file: the workshop's exchange format, at any time."""
    row = scale_service.readable_version(session, principal=principal, key=key, version=version)
    text = workshop.file_text(row)
    name = f"{row.scale_key}-{row.version}.yaml"
    return Response(
        text,
        media_type="application/yaml; charset=utf-8",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "Cache-Control": "no-store",
        },
    )


# Editing: the scale as a whole, and one item.


@router.get("/scales/{key}/{version}/edit", response_class=HTMLResponse, name="scale_edit")
def scale_edit(
    request: Request, session: SessionDep, principal: CurrentPrincipal, key: str, version: str
) -> Response:
    row, scale = _draft_scale(session, principal, key, version)
    return _scale_form(request, session, row, scale, forms.scale_values(scale))


@router.post("/scales/{key}/{version}/edit", response_class=HTMLResponse)
def scale_edit_save(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    key: str,
    version: str,
    form: PostedForm,
) -> Response:
    row, scale = _draft_scale(session, principal, key, version)
    posted = posted_lists(form)
    data = forms.scale_from_form(posted, scale=scale)
    show = partial(_scale_form, request, session, row, scale)
    done = version_path(request, row) + "?saved=1"
    return save_or_show(session, principal, row, data, posted, show, done=done)


def _scale_form(
    request: Request,
    session: SessionDep,
    row: ScaleVersion,
    scale: ScaleDefinition,
    values: forms.Values,
    *,
    problems: dict[str, list[str]] | None = None,
    error: DomainError | None = None,
) -> Response:
    return form_page(
        request,
        "scales/edit.html",
        row=row,
        values=values,
        problems=problems,
        error=error,
        scale=scale,
        rows=forms.scale_rows(values),
        bases=workshop.crosswalk_bases(session, row),
    )


# Adding and removing an item. When the levels are on the total, the total's range moves
# with the number of items, so these forms show the level bands too: both change in one
# save, checked together.


@router.get("/scales/{key}/{version}/items/new", response_class=HTMLResponse, name="scale_item_new")
def item_new(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    key: str,
    version: str,
    kind: Literal["anchored", "banded", "checklist", "target"] = "anchored",
) -> Response:
    row, scale = _draft_scale(session, principal, key, version)
    values: forms.Values = {
        "kind": kind,
        "section": scale.sections[0].key,
        "number": str(len(scale.items) + 1),
        **_moving_levels(scale),
    }
    return _item_form(request, row, scale, None, values)


@router.post("/scales/{key}/{version}/items/new", response_class=HTMLResponse)
def item_add(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    key: str,
    version: str,
    form: PostedForm,
) -> Response:
    row, scale = _draft_scale(session, principal, key, version)
    posted = posted_lists(form)
    item = forms.item_from_form(posted)
    data = forms.with_item_added(scale, item)
    if "levels-basis" in posted:
        data["levels"] = forms.levels_from_form(posted)
    return _save_item_change(
        request, session, principal, row, scale, None, data, posted, index=len(scale.items)
    )


@router.get(
    "/scales/{key}/{version}/items/{item_key}/remove",
    response_class=HTMLResponse,
    name="scale_item_remove",
)
def item_remove_page(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    key: str,
    version: str,
    item_key: str,
) -> Response:
    row, scale, item = _draft_item(session, principal, key, version, item_key)
    values = _moving_levels(scale)
    return _remove_form(request, row, scale, item, values)


@router.post("/scales/{key}/{version}/items/{item_key}/remove", response_class=HTMLResponse)
def item_remove(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    key: str,
    version: str,
    item_key: str,
    form: PostedForm,
) -> Response:
    row, scale, item = _draft_item(session, principal, key, version, item_key)
    posted = posted_lists(form)
    data = forms.with_item_removed(scale, item.key)
    if "levels-basis" in posted:
        data["levels"] = forms.levels_from_form(posted)
    show = partial(_remove_form, request, row, scale, item)
    done = version_path(request, row) + "?saved=1"
    return save_or_show(session, principal, row, data, posted, show, done=done)


def _moving_levels(scale: ScaleDefinition) -> forms.Values:
    """The level fields, when the levels are on the total (whose range an added or removed
    item moves); none when they are on the mean."""
    return forms.levels_values(scale) if scale.levels.basis == "total" else {}


def _remove_form(
    request: Request,
    row: ScaleVersion,
    scale: ScaleDefinition,
    item: Item,
    values: forms.Values,
    *,
    problems: dict[str, list[str]] | None = None,
    error: DomainError | None = None,
) -> Response:
    return form_page(
        request,
        "scales/item_remove.html",
        row=row,
        values=values,
        problems=problems,
        error=error,
        scale=scale,
        item=item,
        rows={"levels": len(scale.levels.bands) + 1},
        range_after=_total_range(len(scale.items) - 1),
    )


def _total_range(items: int) -> tuple[int, int]:
    return items, 5 * items


@router.get(
    "/scales/{key}/{version}/items/{item_key}",
    response_class=HTMLResponse,
    name="scale_item_edit",
)
def item_edit(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    key: str,
    version: str,
    item_key: str,
) -> Response:
    row, scale, item = _draft_item(session, principal, key, version, item_key)
    return _item_form(request, row, scale, item, forms.item_values(item))


@router.post("/scales/{key}/{version}/items/{item_key}", response_class=HTMLResponse)
def item_save(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    key: str,
    version: str,
    item_key: str,
    form: PostedForm,
) -> Response:
    row, scale, item = _draft_item(session, principal, key, version, item_key)
    posted = posted_lists(form)
    posted["key"], posted["number"] = [item.key], [str(item.number)]
    changed = forms.item_from_form(posted, before=item)
    data = scale.model_dump(mode="json", exclude_none=True)
    index = next(i for i, found in enumerate(scale.items) if found.key == item.key)
    data["items"][index] = changed
    return _save_item_change(request, session, principal, row, scale, item, data, posted, index)


def _save_item_change(
    request: Request,
    session: SessionDep,
    principal: Principal,
    row: ScaleVersion,
    scale: ScaleDefinition,
    item: Item | None,
    data: dict[str, Any],
    posted: dict[str, list[str]],
    index: int,
) -> Response:
    """Store a draft with one item changed or added (``item`` None), or show the form
    again: the item's problems beside its fields, the levels' beside theirs."""
    show = partial(_item_form, request, row, scale, item)
    key = quote(str(data["items"][index]["key"]))
    done = version_path(request, row) + f"?saved=1#workshop-{key}"
    return save_or_show(
        session, principal, row, data, posted, show, done=done, within=("items", index)
    )


def _item_form(
    request: Request,
    row: ScaleVersion,
    scale: ScaleDefinition,
    item: Item | None,
    values: forms.Values,
    *,
    problems: dict[str, list[str]] | None = None,
    error: DomainError | None = None,
) -> Response:
    return form_page(
        request,
        "scales/item_edit.html",
        row=row,
        values=values,
        problems=problems,
        error=error,
        scale=scale,
        item=item,
        rows=forms.item_rows(values),
        evidence_sources=["MIS", "DOC", "INT", "OBS", "ISP"],
        kinds=["anchored", "banded", "checklist", "target"],
        range_after=_total_range(len(scale.items) + 1),
    )


# Preview: the version as the reviewers would meet it, scored in a sandbox.


@router.get("/scales/{key}/{version}/preview", response_class=HTMLResponse, name="scale_preview")
def preview(
    request: Request, session: SessionDep, principal: CurrentPrincipal, key: str, version: str
) -> Response:
    row = scale_service.readable_version(
        session, principal=principal, key=key, version=version, kind=ScaleKind.FIDELITY
    )
    return _preview_page(request, row, scale_service.definition_of(row), None, {})


@router.post("/scales/{key}/{version}/preview", response_class=HTMLResponse)
def preview_score(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    key: str,
    version: str,
    form: PostedForm,
) -> Response:
    """Score the sandbox review: nothing is stored, whoever may read the version may try."""
    row = scale_service.readable_version(
        session, principal=principal, key=key, version=version, kind=ScaleKind.FIDELITY
    )
    scale = scale_service.definition_of(row)
    result = sandbox.score(scale, form)
    posted = posted_lists(form)
    return _preview_page(request, row, scale, result, posted)


def _preview_page(
    request: Request,
    row: ScaleVersion,
    scale: ScaleDefinition,
    result: sandbox.Sandbox | None,
    posted: dict[str, list[str]],
) -> Response:
    language = request.state.language
    context = {
        "row": row,
        "scale": scale,
        "sandbox": result,
        "posted": posted,
        "refused": {key: error.message(language) for key, error in result.refused.items()}
        if result
        else {},
    }
    status = 422 if result and result.refused else 200
    return render(request, "scales/preview.html", context, status_code=status)


# The way to publication, and the discussion.


Action = Literal["send", "withdraw", "approve", "changes", "publish", "retire"]


@router.post("/scales/{key}/{version}/decision", response_class=HTMLResponse, name="scale_decide")
def decide(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    key: str,
    version: str,
    form: PostedForm,
) -> Response:
    row = scale_service.readable_version(session, principal=principal, key=key, version=version)
    action, note = _field(form, "action"), _field(form, "note", exact=True)
    revision = _revision(form)
    steps = {
        "send": lambda: workshop.send_for_approval(
            session, principal=principal, row=row, revision=revision, note=note
        ),
        "withdraw": lambda: workshop.withdraw(session, principal=principal, row=row),
        "approve": lambda: workshop.approve(
            session, principal=principal, row=row, revision=revision, note=note
        ),
        "changes": lambda: workshop.request_changes(
            session, principal=principal, row=row, note=note
        ),
        "publish": lambda: workshop.publish(
            session, principal=principal, row=row, revision=revision
        ),
        "retire": lambda: workshop.retire(session, principal=principal, row=row),
    }
    try:
        if action not in steps:
            raise Invalid.of("err_unknown_step")
        steps[action]()
    except DomainError as error:
        if error.status_code not in (409, 422):
            raise
        session.rollback()
        session.refresh(row)
        return _version_page(
            request, session, principal, row, error=error, form="decision", values={"note": note}
        )
    return RedirectResponse(version_path(request, row) + "#workshop", status_code=303)


@router.post("/scales/{key}/{version}/comments", response_class=HTMLResponse, name="scale_comment")
def comment(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    key: str,
    version: str,
    form: PostedForm,
) -> Response:
    row = scale_service.readable_version(session, principal=principal, key=key, version=version)
    body, item_key, thread = (
        _field(form, "body", exact=True),
        _field(form, "item_key"),
        _field(form, "thread_id"),
    )
    where = f"thread-{thread}" if thread else f"new-{item_key or 'scale'}"
    try:
        added = workshop.add_comment(
            session,
            principal=principal,
            row=row,
            body=body,
            item_key=item_key or None,
            thread_id=_thread_id(thread),
        )
    except DomainError as error:
        if error.status_code not in (404, 409, 422):
            raise
        session.rollback()
        return _version_page(
            request, session, principal, row, error=error, form=where, values={"body": body}
        )
    anchor = f"thread-{added.parent_id or added.id}"
    return RedirectResponse(version_path(request, row) + f"#{anchor}", status_code=303)


@router.post(
    "/scales/{key}/{version}/comments/{thread_id}/resolve",
    response_class=HTMLResponse,
    name="scale_thread_resolve",
)
def resolve(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    key: str,
    version: str,
    thread_id: PathId,
    form: PostedForm,
) -> Response:
    row = scale_service.readable_version(session, principal=principal, key=key, version=version)
    workshop.resolve(
        session,
        principal=principal,
        row=row,
        thread_id=thread_id,
        resolved=_field(form, "resolved") != "0",
    )
    return RedirectResponse(version_path(request, row) + f"#thread-{thread_id}", status_code=303)


# Helpers.


def _draft_to_edit(
    session: SessionDep, principal: Principal, key: str, version: str
) -> ScaleVersion:
    """The fidelity scale's draft, if ``principal`` may edit it now."""
    return draft_to_edit(session, principal, key=key, version=version, kind=ScaleKind.FIDELITY)


def _draft_scale(
    session: SessionDep, principal: Principal, key: str, version: str
) -> tuple[ScaleVersion, ScaleDefinition]:
    """The draft ``principal`` may edit now, and its definition."""
    row = _draft_to_edit(session, principal, key, version)
    return row, scale_service.definition_of(row)


def _draft_item(
    session: SessionDep, principal: Principal, key: str, version: str, item_key: str
) -> tuple[ScaleVersion, ScaleDefinition, Item]:
    """The draft ``principal`` may edit now, its definition and its item ``item_key``."""
    row, scale = _draft_scale(session, principal, key, version)
    return row, scale, _item(scale, item_key)


def _item(scale: ScaleDefinition, item_key: str) -> Item:
    try:
        return scale.item(item_key)
    except KeyError:
        raise NotFound.of("err_comment_no_item", item=item_key) from None


def _field(form: FormData, name: str, *, exact: bool = False) -> str:
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    return value.replace("\r\n", "\n") if exact else value.strip()


def _thread_id(text: str) -> int | None:
    """The thread a comment answers (none: a new thread); one that is no thread's id is
    answered as a thread that does not exist."""
    if not text:
        return None
    found = count(text)
    if found is None:
        raise Invalid.of("err_no_thread", id=text[:20])
    return found


def _revision(form: FormData) -> int:
    found = count(_field(form, "revision"))
    return -1 if found is None else found


def _to_version(request: Request, row: ScaleVersion) -> Response:
    return RedirectResponse(version_path(request, row), status_code=303)
