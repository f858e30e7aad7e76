"""The signed-in pages: the front page, teams, reviews, scales and one's own account.

Every route takes the caller (``CurrentPrincipal``) and asks the services, which filter
by the caller's scope; a team or review outside it is a 404 like a missing one.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from app.config import PROJECT_ROOT
from app.db import SessionDep
from app.errors import Conflict, Invalid, TooManyAttempts
from app.i18n import translator
from app.models import ActionStatus, ReviewStatus, Role
from app.scales import rules
from app.scales.schema import Item, Principle, Section
from app.services import (
    access,
    action_plan,
    comparison,
    feedback,
    follow_up,
    paging,
    passwords,
    planning,
    profiles,
    reports,
    review_view,
    reviewers,
    reviews,
    sessions,
    signin,
    teams,
    users,
)
from app.services import scales as scale_service
from app.services.access import Principal
from app.web import charts, downloads
from app.web.auth import CurrentPrincipal, record_view
from app.web.htmx import render
from app.web.params import PageParam, PathId, SearchParam

router = APIRouter()


HOME_TEAMS = 20
HOME_RECENT = 8
HOME_IN_PROGRESS = 20


@router.get("/", response_class=HTMLResponse, name="home")
def home(request: Request, session: SessionDep, principal: CurrentPrincipal) -> Response:
    """What the caller should see first: reviews under way, teams due, their teams and
    the newest reviews; every list bounded, with a link to the whole of it."""
    versions = scale_service.list_scale_versions(session, published_only=True)
    cards = [(row, scale_service.definition_of(row)) for row in versions]
    settings = request.app.state.settings
    today = settings.today()
    due = (
        follow_up.due_teams(
            session,
            principal=principal,
            today=today,
            months_below_good=settings.follow_up_months_below_good,
            months=settings.follow_up_months,
        )
        if principal.role in (Role.AMBASSADOR, Role.ADMIN)
        else None
    )
    team_page = teams.team_page(
        session, principal, teams.TeamQuery(), paging.PageRequest(1, HOME_TEAMS)
    )
    plans = (
        action_plan.open_actions(
            session,
            principal=principal,
            team_ids=[s.team.id for s in team_page.items if s.team.id],
            today=today,
        )
        if principal.role == Role.TEAM_LEADER
        else {}
    )
    in_progress, in_progress_total = reviews.in_progress(session, principal, limit=HOME_IN_PROGRESS)
    context = {
        "scales": cards,
        "teams": team_page,
        "plans": plans,
        "recent_reviews": reviews.list_reviews(session, principal, limit=HOME_RECENT),
        "in_progress": in_progress,
        "in_progress_total": in_progress_total,
        "due_teams": due,
        "due_days": follow_up.DUE_SOON_DAYS,
        "today": today,
    }
    return render(request, "home/index.html", context)


@router.get("/teams", response_class=HTMLResponse, name="teams")
def team_list(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    q: SearchParam = None,
    page: PageParam = None,
) -> Response:
    """The teams the caller may see, a page at a time, searchable by team or municipality."""
    query = teams.TeamQuery(search=paging.search_text(q))
    found = teams.team_page(session, principal, query, paging.page_request(page))
    return render(request, "teams/list.html", {"page": found, "search": query.search})


@router.get("/teams/{team_id}", response_class=HTMLResponse, name="team_detail")
def team_detail(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    background: BackgroundTasks,
    team_id: PathId,
) -> Response:
    summary = teams.team_summary(session, principal, team_id)
    record_view(request, background, principal, "team", team_id)
    team_reviews = reviews.list_reviews(session, principal, team_id=team_id)  # one a year
    profile = profiles.team_profile(session, principal=principal, team_id=team_id)
    settings = request.app.state.settings
    language = request.state.language
    latest = profile.latest
    due = profile.next_due(settings)
    plan = action_plan.team_actions(session, principal=principal, team_id=team_id)
    context = {
        "summary": summary,
        "reviews": team_reviews,
        "can_plan": summary.team.is_active
        and access.can_create_review(session, principal, summary.team),
        "profile": profile,
        "latest": latest,
        "change": profile.change(),
        "due": due,
        "today": settings.today(),
        "under_way": any(review.status != "finalised" for review, _team, _scale in team_reviews),
        "charts": charts.team_charts(profile, language, translator(language)),
        "national_minimum": comparison.NATIONAL_MINIMUM_TEAMS,
        "open_actions": [p for p in plan if p.action.status != ActionStatus.DONE],
        "done_actions": [p for p in plan if p.action.status == ActionStatus.DONE],
        "statuses": list(ActionStatus),
        "can_write_feedback": access.can_write_team_feedback(principal, summary.team),
    }
    return render(request, "teams/detail.html", context)


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
    if not access.sees_review(session, principal, review_id):  # they took themselves off
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
    document = reports.pdf(bytes(page.body).decode(), PROJECT_ROOT / "app" / "static")
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
        reports.scoresheet(report, language, translator(language)),
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
    report = reports.report_for(session, principal, review_id)
    record_view(request, background, principal, "review", review_id)
    return report


def _report_context(request: Request, report: reports.Report, *, pdf: bool) -> dict[str, object]:
    return {
        "report": report,
        "for_pdf": pdf,
        "static_base": "" if pdf else "/static/",
        "today": request.app.state.settings.today(),
    }


@router.get("/scales/{key}/{version}", response_class=HTMLResponse, name="scale_detail")
def scale_detail(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    key: str,
    version: str,
    group: Literal["section", "principle"] = "section",
) -> Response:
    row = scale_service.get_scale_version(session, key=key, version=version, visible_only=True)
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
    context = {"row": row, "scale": scale, "group": group, "groups": groups}
    return render(request, "scales/detail.html", context, fragment="items")


@router.get("/account", response_class=HTMLResponse, name="account")
def account(
    request: Request, session: SessionDep, principal: CurrentPrincipal, changed: bool = False
) -> Response:
    return _account_page(request, session, principal, changed=changed)


def _account_page(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    *,
    changed: bool = False,
    message: str | None = None,
    retry_after: int = 0,
    status_code: int = 200,
    said: str | None = None,
) -> Response:
    """The account page; ``message`` a key of a refusal made here, ``said`` the words of
    one a service made, with its values in place."""
    assert principal.user_id is not None
    context = {
        "retry_after": retry_after,
        "sessions": sessions.live_sessions(
            session, user_id=principal.user_id, settings=request.app.state.settings
        ),
        "changed": changed,
        "message": message,
        "said": said,
        "min_password": passwords.MIN_PASSWORD,
        "role_names": {role: f"role_{role.value}" for role in Role},
    }
    return render(request, "account/index.html", context, status_code=status_code)


@router.post("/account/password", response_class=HTMLResponse, name="account_password")
def change_password(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    current_password: Annotated[str, Form()] = "",
    new_password: Annotated[str, Form()] = "",
    repeat_password: Annotated[str, Form()] = "",
) -> Response:
    """One's own password: the current one first; other devices are signed out."""
    assert principal.user_id is not None
    user = users.get_user(session, user_id=principal.user_id)
    try:
        current_ok = signin.check_own_password(session, by=principal, password=current_password)
    except TooManyAttempts as error:
        return _account_page(
            request,
            session,
            principal,
            message="too_many_attempts",
            retry_after=error.retry_after,
            status_code=429,
        )
    if not current_ok:
        return _account_page(
            request, session, principal, message="current_password_wrong", status_code=422
        )
    if len(new_password) > passwords.MAX_PASSWORD:
        return _account_page(
            request, session, principal, message="password_too_long", status_code=422
        )
    if new_password == current_password:
        return _account_page(
            request, session, principal, message="err_password_unchanged", status_code=422
        )
    if new_password != repeat_password:
        return _account_page(
            request, session, principal, message="passwords_differ", status_code=422
        )
    try:
        passwords.set_password(session, by=principal, user=user, password=new_password)
    except Invalid as refused:  # too short, too common, or made of one's own name
        return _account_page(
            request,
            session,
            principal,
            said=refused.message(request.state.language),
            status_code=422,
        )
    return RedirectResponse("/account?changed=1", status_code=303)
