"""The half-yearly status report: worked out for a region or the country and a half
year, as a page, a PDF and a workbook; a region's report marked sent (a frozen edition),
and each sent edition read as it was sent.

The live routes (``/reports/status/pdf``) come before ``/reports/status/{report_id}``,
which would otherwise take "pdf" for an id.
"""

from __future__ import annotations

import io
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from openpyxl import Workbook
from openpyxl.styles import Font
from starlette.responses import Response

from app.config import PROJECT_ROOT
from app.db import SessionDep
from app.errors import Invalid
from app.i18n import translator
from app.services import corps, reports, status_reports
from app.services.corps import Half
from app.web import downloads
from app.web.auth import CurrentPrincipal
from app.web.htmx import render
from app.web.params import PathId, PostedForm, today_of

router = APIRouter()

RegionParam = Annotated[
    str | None, Query(max_length=10, description="a region's code; none: the country")
]
HalfParam = Annotated[str | None, Query(max_length=20, description="a half year: 2026H2")]


def _region_code(text: str | None) -> int | None:
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= 6):
        raise Invalid.of("err_corps_unknown_region", region=text[:10])
    return int(text)  # a code that names no region is answered by corps.region: 404


def _chosen(request: Request, region: str | None, half: str | None) -> tuple[int | None, Half]:
    return _region_code(region), Half.parse(half, today=today_of(request))


def _live(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    region: str | None,
    half: str | None,
) -> dict[str, Any]:
    """The report of the region (or country) and half year a query names, worked out now."""
    region_code, chosen = _chosen(request, region, half)
    return status_reports.compute(
        session, principal=principal, region_code=region_code, half=chosen, today=today_of(request)
    )


@router.get("/reports/status", response_class=HTMLResponse, name="status_reports")
def status_page(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    region: RegionParam = None,
    half: HalfParam = None,
) -> Response:
    region_code, chosen = _chosen(request, region, half)
    today = today_of(request)
    content = status_reports.compute(
        session, principal=principal, region_code=region_code, half=chosen, today=today
    )
    context = {
        "content": content,
        "regions": corps.regions_of(session, principal=principal),
        "region_code": region_code,
        "half": chosen,
        "halves": Half.choices(today, chosen=chosen),
        "sent": status_reports.sent_reports(
            session, principal=principal, half=chosen, region_code=region_code
        )
        if region_code is not None
        else [],
        "roll_up": status_reports.roll_up(session, principal=principal, half=chosen)
        if region_code is None
        else None,
        "may_send": region_code is not None and corps.may_record(principal, region_code),
        "query": {"region": region_code or "", "half": chosen.key},
    }
    return render(request, "status/index.html", context)


@router.get("/reports/status/pdf", name="status_report_live_pdf")
def live_pdf(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    region: RegionParam = None,
    half: HalfParam = None,
) -> Response:
    return _pdf(request, _live(request, session, principal, region, half), sent=None)


@router.get("/reports/status/xlsx", name="status_report_live_xlsx")
def live_workbook(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    region: RegionParam = None,
    half: HalfParam = None,
) -> Response:
    return _workbook(request, _live(request, session, principal, region, half))


@router.post("/reports/status/send", response_class=HTMLResponse, name="status_report_send")
def send_report(
    request: Request, session: SessionDep, principal: CurrentPrincipal, form: PostedForm
) -> Response:
    region_code = _region_code(str(form.get("region") or "")[:10])
    if region_code is None:
        raise Invalid.of("err_report_region_needed")
    chosen = Half.parse(str(form.get("half") or "")[:20] or None, today=today_of(request))
    sent = status_reports.send(
        session, principal=principal, region_code=region_code, half=chosen, today=today_of(request)
    )
    target = request.url_for("status_report", report_id=sent.id).path
    return RedirectResponse(target + "?done=sent", status_code=303)


@router.get("/reports/status/{report_id}", response_class=HTMLResponse, name="status_report")
def sent_page(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    report_id: PathId,
    done: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    sent = status_reports.sent_report(session, principal=principal, report_id=report_id)
    context = {"content": sent.report.content, "sent": sent, "done": done == "sent"}
    return render(request, "status/sent.html", context)


@router.get("/reports/status/{report_id}/pdf", name="status_report_pdf")
def sent_pdf(
    request: Request, session: SessionDep, principal: CurrentPrincipal, report_id: PathId
) -> Response:
    sent = status_reports.sent_report(session, principal=principal, report_id=report_id)
    return _pdf(request, sent.report.content, sent=sent)


@router.get("/reports/status/{report_id}/xlsx", name="status_report_xlsx")
def sent_workbook(
    request: Request, session: SessionDep, principal: CurrentPrincipal, report_id: PathId
) -> Response:
    sent = status_reports.sent_report(session, principal=principal, report_id=report_id)
    return _workbook(request, sent.report.content, sent=sent)


def _name(request: Request, content: dict[str, Any]) -> list[str]:
    t = translator(request.state.language)
    where = content["region"]["name"] if content["region"] else t("status_country")
    return [t("status_title_short"), where, content["half"]]


def _pdf(
    request: Request, content: dict[str, Any], *, sent: status_reports.SentReport | None
) -> Response:
    page = render(
        request, "status/document.html", {"content": content, "sent": sent, "static_base": ""}
    )
    document = reports.pdf(bytes(page.body).decode(), static_dir=PROJECT_ROOT / "app" / "static")
    return Response(
        document,
        media_type="application/pdf",
        headers={"Content-Disposition": downloads.attachment(_name(request, content), "pdf")},
    )


def _workbook(
    request: Request, content: dict[str, Any], *, sent: status_reports.SentReport | None = None
) -> Response:
    t = translator(request.state.language)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = t("status_sheet")
    bold = Font(bold=True)
    for row in status_rows(content, t, sent=sent):
        sheet.append([reports.cell_text(value) for value in row])
        if len(row) == 1:
            sheet.cell(row=sheet.max_row, column=1).font = bold
    sheet.column_dimensions["A"].width = 48
    sheet.column_dimensions["B"].width = 18
    out = io.BytesIO()
    book.save(out)
    return Response(
        out.getvalue(),
        media_type=downloads.MEDIA_TYPES["xlsx"],
        headers={"Content-Disposition": downloads.attachment(_name(request, content), "xlsx")},
    )


def status_rows(
    content: dict[str, Any], t: Any, *, sent: status_reports.SentReport | None = None
) -> list[list[Any]]:
    """The report as rows: a heading (one cell), then label and figure."""
    a, m, f = content["agreements"], content["measurements"], content["fidelity"]
    where = content["region"]["name"] if content["region"] else t("status_country")
    rows: list[list[Any]] = [
        [t("status_title").format(where=where, half=content["half"])],
        [t("status_period"), f"{content['first_day']} – {content['last_day']}"],
        [t("status_as_of"), content["as_of"]],
    ]
    if sent is not None:
        rows.append([t("status_sent_edition"), sent.report.edition])
        rows.append([t("status_sent_at"), sent.report.sent_at.date().isoformat()])
    rows += [
        [t("status_agreements")],
        [t("status_agreements_in_force"), a["in_force"]],
        [t("status_agreements_new"), a["new"]],
        [t("status_agreements_ended"), a["ended"]],
        [t("status_covered"), f"{a['covered']} / {a['municipalities']}"],
        [t("status_covered_goal"), a["goal"]],
        [t("status_country_covered"), f"{a['country_covered']} / {a['country_municipalities']}"],
        [t("status_measurements")],
        [t("status_teams_active"), m["teams_active"]],
        [t("status_reviews_finalised"), m["reviews_finalised"]],
        [t("status_rounds_confirmed"), m["rounds_confirmed"]],
        [t("status_teams_due"), m["teams_due"]],
        [t("status_activities")],
    ]
    for kind in status_reports.KINDS:
        found = content["activities"][kind]
        rows.append([t(f"corps_kind_{kind}"), found["count"]])
        if kind == "course":
            for name in ("consultants", "leaders", "psychiatry_staff"):
                rows.append([f"  {t(f'corps_count_{name}')}", found[name]])
        elif kind == "supervision":
            rows.append([f"  {t('corps_count_sessions')}", found["sessions"]])
        if kind != "material":
            rows.append([f"  {t('corps_count_attendees')}", found["attendees"]])
    rows.append([t("status_fidelity")])
    rows.append([t("status_reviews_finalised"), f["reviews"]])
    for scale, mean in f["mean_total"].items():
        rows.append([t("status_mean_total").format(scale=scale), mean])
    rows.append([t("status_outcomes")])
    for quarter in content["outcomes"]:
        share = quarter["shares"].get("work_or_education")
        rows.append([f"{quarter['quarter']}: {t('outcome_work_or_education')} (%)", share])
        rows.append([f"{quarter['quarter']}: {t('outcome_participants')}", quarter["participants"]])
    return rows
