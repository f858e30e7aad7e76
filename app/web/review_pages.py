"""A review's pages: the review as the caller may see it (its timeline, reviewers and
result), taking a reviewer off it, and a finalised review's report as a page, a PDF and a
score sheet."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from app.config import PROJECT_ROOT
from app.db import SessionDep
from app.errors import Conflict, Invalid
from app.i18n import translator
from app.models import ReviewStatus
from app.scales import rules
from app.services import (
    access,
    feedback,
    planning,
    reports,
    review_view,
    reviewers,
    users,
)
from app.services.access import Principal
from app.web import downloads
from app.web.auth import CurrentPrincipal, record_view
from app.web.htmx import render
from app.web.params import PathId

router = APIRouter()


@router.get("/reviews/{review_id}", response_class=HTMLResponse, name="review_detail")
def review_detail(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    background: BackgroundTasks,
    review_id: PathId,
) -> Response:
    context = _review_context(session, principal, review_id)
    record_view(request, background, principal, "review", review_id)
    return render(request, "reviews/detail.html", context)


def _review_context(
    session: SessionDep, principal: Principal, review_id: int, **extra: object
) -> dict[str, object]:
    view = review_view.scoring_view(session, principal=principal, review_id=review_id)
    may_change = view.review.status != ReviewStatus.FINALISED and reviewers.may_change(
        principal, leads=view.is_lead
    )
    on_it = {user.id for user, _ in view.reviewers} | {user.id for user, _ in view.removed}
    removers = {link.removed_by_id for _, link in view.removed if link.removed_by_id}
    return {
        "view": view,
        "definition": view.definition,
        "history": review_view.history(session, review_id=review_id),
        "my_result": view.score_of(view.my_ratings) if view.me else None,
        "consensus": review_view.consensus_items(view) if view.consensus is not None else [],
        "team_feedback": feedback.counts(session, review_id=review_id),
        "can_change_reviewers": may_change,
        "replacements": [
            user for user in planning.eligible_reviewers(session) if user.id not in on_it
        ]
        if may_change
        else [],
        "removers": users.display_names(session, user_ids=sorted(removers)),
        **extra,
    }


@router.post("/reviews/{review_id}/reviewers/{user_id}", name="reviewer_take_off")
def reviewer_take_off(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    review_id: PathId,
    user_id: PathId,
    reason: Annotated[str, Form(max_length=rules.TAKE_OFF_REASON_MAX * 2)] = "",
    replacement: Annotated[str, Form(max_length=64)] = "",
    new_lead: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Replace or remove a reviewer who cannot go on (the lead or an administrator)."""
    try:
        reviewers.take_off(
            session,
            principal=principal,
            review_id=review_id,
            user_id=user_id,
            reason=reason,
            replacement=replacement or None,
            new_lead=new_lead or None,
        )
    except (Invalid, Conflict) as refused:
        session.rollback()
        context = _review_context(
            session,
            principal,
            review_id,
            reviewer_error=refused.message(request.state.language),
            reviewer_form={  # what was asked, kept for the person to correct
                "user_id": user_id,
                "reason": reason,
                "replacement": replacement,
                "new_lead": new_lead,
            },
        )
        return render(request, "reviews/detail.html", context, status_code=refused.status_code)
    if not access.sees_review(session, principal=principal, review_id=review_id):
        # they took themselves off
        return RedirectResponse(request.url_for("home").path, status_code=303)
    target = request.url_for("review_detail", review_id=review_id)
    return RedirectResponse(f"{target.path}#reviewers-heading", status_code=303)


@router.get("/reviews/{review_id}/report", response_class=HTMLResponse, name="review_report")
def review_report(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    background: BackgroundTasks,
    review_id: PathId,
) -> Response:
    """The finalised review as a printable report."""
    report = _viewed_report(request, session, principal, background, review_id)
    return render(request, "reviews/report.html", _report_context(request, report, pdf=False))


@router.get("/reviews/{review_id}/report.pdf", name="review_report_pdf")
def review_report_pdf(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    background: BackgroundTasks,
    review_id: PathId,
) -> Response:
    """The same report as a PDF, laid out on the server."""
    report = _viewed_report(request, session, principal, background, review_id)
    page = render(request, "reviews/report.html", _report_context(request, report, pdf=True))
    document = reports.pdf(bytes(page.body).decode(), static_dir=PROJECT_ROOT / "app" / "static")
    return Response(
        document,
        media_type="application/pdf",
        headers={"Content-Disposition": downloads.attachment(_report_name(request, report), "pdf")},
    )


@router.get("/reviews/{review_id}/scoresheet.xlsx", name="review_scoresheet")
def review_scoresheet(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    background: BackgroundTasks,
    review_id: PathId,
) -> Response:
    """The finalised review's score sheet as an Excel workbook."""
    report = _viewed_report(request, session, principal, background, review_id)
    language = request.state.language
    return Response(
        reports.scoresheet(report, language=language, t=translator(language)),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={
            "Content-Disposition": downloads.attachment(_report_name(request, report), "xlsx")
        },
    )


def _report_name(request: Request, report: reports.Report) -> list[str]:
    """A report's file name: the team, the visit date and what it is."""
    t = translator(request.state.language)
    return [report.team.name, report.result.visit_date.isoformat(), t("report_file")]


def _viewed_report(
    request: Request,
    session: SessionDep,
    principal: Principal,
    background: BackgroundTasks,
    review_id: int,
) -> reports.Report:
    """The report the caller asked for, its viewing noted in the audit trail."""
    report = reports.report_for(session, principal=principal, review_id=review_id)
    record_view(request, background, principal, "review", review_id)
    return report


def _report_context(request: Request, report: reports.Report, *, pdf: bool) -> dict[str, object]:
    return {
        "report": report,
        "for_pdf": pdf,
        "static_base": "" if pdf else "/static/",
        "today": request.app.state.settings.today(),
    }
