"""The scoring pages: the tablet scoring screen, the consensus screen, finalising and
reopening (planning a review is ``planning_pages``).

Each item on a scoring screen is its own form that htmx sends on every change (no save
button). The answer replaces only the item's save state, its revision and the progress
panel, never the controls the reviewer is touching, so a quick second tap is not undone
by the answer to the first. Every write goes through the same service as the JSON API's
(``app.services.ratings``), read by the same model (``app.schemas.ratings.RatingIn``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.responses import Response

from app.db import SessionDep, in_unit_of_work
from app.errors import Conflict, DomainError, Forbidden, NotFound
from app.models import ReviewStatus
from app.scales import rules
from app.schemas.ratings import from_form
from app.services import access, action_plan, consensus, ratings, round_view
from app.services import scales as scale_service
from app.services.review_view import ScoringView, consensus_items, scoring_view
from app.web.auth import CurrentPrincipal
from app.web.htmx import is_htmx, render
from app.web.params import PathId, PostedForm

router = APIRouter()

Grouping = Literal["section", "principle"]


# The scoring screen ------------------------------------------------------------------------


@router.get("/reviews/{review_id}/score", response_class=HTMLResponse, name="review_score")
def score_page(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    review_id: PathId,
    group: Annotated[Grouping, Query()] = "section",
) -> Response:
    view = scoring_view(session, principal=principal, review_id=review_id)
    if view.me is None:
        raise Forbidden.of("err_not_reviewer")
    context = _score_context(view, group) | _earlier(request, session, view)
    return render(request, "reviews/score.html", context)


def _earlier(request: Request, session: Session, view: ScoringView) -> dict[str, Any]:
    """What the team set out to do after its earlier reviews, and the figures it reported
    for this year's measurement, shown beside each item."""
    return {
        "earlier": action_plan.earlier_actions(session, review=view.review),
        "today": request.app.state.settings.today(),
        "team_figures": round_view.team_figures_for_review(
            session, review_id=view.review.id or 0, definition=view.definition
        ),
    }


def _score_context(view: ScoringView, group: Grouping) -> dict[str, Any]:
    definition = view.definition
    if group == "principle":
        groups = [
            (principle.title, [i for i in definition.items if i.principles[0] == principle.key])
            for principle in sorted(definition.principles, key=lambda p: p.number)
        ]
    else:
        groups = [
            (section.title, [i for i in definition.items if i.section == section.key])
            for section in definition.sections
        ]
    mine = view.my_ratings
    return {
        "view": view,
        "definition": definition,
        "groups": [(title, items) for title, items in groups if items],
        "group": group,
        "ratings": view.my_ratings,
        "progress": _progress(view),
        "evidence_sources": rules.EVIDENCE_SOURCES,
        "suggested": {
            item.key: rules.suggested_score(
                item, mine[item.key].inputs if item.key in mine else None
            )
            for item in definition.items
        },
    }


def _progress(view: ScoringView, *, consensus: bool = False) -> dict[str, Any]:
    ratings = (view.consensus or {}) if consensus else view.my_ratings
    result = view.score_of(ratings)
    done = {key for key in ratings if key not in result.unscored}
    unscored = [item for item in view.definition.items if item.key in result.unscored]
    return {
        "result": result,
        "done": len(done),
        "count": result.item_count,
        "unscored": unscored,
        "scored_keys": done,
    }


@router.get(
    "/reviews/{review_id}/{mode}/panels", response_class=HTMLResponse, name="scoring_panels"
)
def scoring_panels(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    review_id: PathId,
    mode: Literal["score", "consensus"],
    items: Annotated[str, Query(max_length=2000)] = "",
) -> Response:
    """What a screen shows around its items, after the tablet's outbox has sent changes:
    the progress panel and, on the consensus screen, the open points of the ``items``
    sent and the finalise panel. Swapped in out of band; the items' own save states are
    drawn by the outbox from the API's answers."""
    view = scoring_view(session, principal=principal, review_id=review_id)
    consensus = mode == "consensus"
    if view.me is None or (consensus and view.consensus is None):
        raise Forbidden.of("err_not_reviewer")
    if not is_htmx(request):  # only a fragment: a person following the address gets the screen
        screen = "review_consensus" if consensus else "review_score"
        return RedirectResponse(str(request.url_for(screen, review_id=review_id)), status_code=303)
    context = _consensus_context(view) if consensus else _score_context(view, "section")
    keys = set(items.split(",")) if items else set()
    context["sent_rows"] = [row for row in context.get("rows", []) if row.item.key in keys]
    context["panel_consensus"] = consensus
    return render(request, "reviews/fragments.html", context, fragment="panels")


@router.post(
    "/reviews/{review_id}/score/{item_key}", response_class=HTMLResponse, name="rating_save"
)
async def rating_save(
    request: Request,
    principal: CurrentPrincipal,
    review_id: PathId,
    item_key: str,
    form: PostedForm,
) -> Response:
    return await _save(request, principal, review_id, item_key, form, consensus=False)


async def _save(
    request: Request,
    principal: Any,
    review_id: int,
    item_key: str,
    form: FormData,
    *,
    consensus: bool,
) -> Response:
    """Save one item's form posted without JavaScript, then go back to the item on its
    screen; a refusal is answered with its message by the error handler, nothing stored.

    With JavaScript the screens send their changes through the outbox and the JSON API
    instead (``app/static/js/outbox.js``). The save commits on its own
    (``in_unit_of_work``), as the API's does.
    """

    def save(session: Session) -> None:
        review = access.visible_review(session, principal=principal, review_id=review_id)
        try:
            item = scale_service.definition_for(
                session, scale_version_id=review.scale_version_id
            ).item(item_key)
        except KeyError:
            raise NotFound.of("err_no_item", item=item_key) from None
        body = from_form(item, form, consensus=consensus)
        ratings.save_rating(
            session,
            principal=principal,
            review_id=review_id,
            item_key=item_key,
            change=body.change(),
            client_id=str(body.client_id),
            base_revision=body.base_revision,
            consensus=consensus,
        )

    await in_unit_of_work(request, save)
    page = "review_consensus" if consensus else "review_score"
    target = request.url_for(page, review_id=review_id)
    return RedirectResponse(f"{target.path}#item-{item_key}", status_code=303)


@router.post("/reviews/{review_id}/submit", response_class=HTMLResponse, name="review_submit")
def review_submit(
    request: Request, session: SessionDep, principal: CurrentPrincipal, review_id: PathId
) -> Response:
    try:
        consensus.submit(session, principal=principal, review_id=review_id)
    except Conflict as refused:  # items left: the scoring screen again, saying which
        session.rollback()
        view = scoring_view(session, principal=principal, review_id=review_id)
        context = _score_context(view, "section") | _earlier(request, session, view)
        context["submit_error"] = refused.message(request.state.language)
        return render(request, "reviews/score.html", context, status_code=409)
    return RedirectResponse(
        str(request.url_for("review_detail", review_id=review_id)), status_code=303
    )


# Consensus --------------------------------------------------------------------------------


def _consensus_context(view: ScoringView) -> dict[str, Any]:
    rows = consensus_items(view)
    return {
        "view": view,
        "definition": view.definition,
        "rows": rows,
        "open_rows": [row for row in rows if row.open_points],
        "agreement": view.agreement(),
        "progress": _progress(view, consensus=True),
        "reviewer_names": view.reviewer_names(),
        "threshold": view.definition.recommendation_threshold,
    }


@router.get("/reviews/{review_id}/consensus", response_class=HTMLResponse, name="review_consensus")
def consensus_page(
    request: Request, session: SessionDep, principal: CurrentPrincipal, review_id: PathId
) -> Response:
    view = scoring_view(session, principal=principal, review_id=review_id)
    if view.review.status == ReviewStatus.SCORING:
        raise Conflict.of("err_consensus_before_submit")
    if view.consensus is None or len(view.ratings) < len(view.reviewers):
        raise Forbidden.of("err_not_reviewer")
    context = _consensus_context(view) | _earlier(request, session, view)
    return render(request, "reviews/consensus.html", context)


@router.post(
    "/reviews/{review_id}/consensus/{item_key}",
    response_class=HTMLResponse,
    name="consensus_save",
)
async def consensus_save(
    request: Request,
    principal: CurrentPrincipal,
    review_id: PathId,
    item_key: str,
    form: PostedForm,
) -> Response:
    return await _save(request, principal, review_id, item_key, form, consensus=True)


@router.post("/reviews/{review_id}/summary", response_class=HTMLResponse, name="summary_save")
def summary_save(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    review_id: PathId,
    strengths: Annotated[str, Form()] = "",
    summary: Annotated[str, Form()] = "",
) -> Response:
    status, error = 200, None
    try:
        consensus.save_summary(
            session,
            principal=principal,
            review_id=review_id,
            strengths=strengths,
            summary=summary,
        )
    except DomainError as refused:
        if refused.status_code not in (409, 422):
            raise
        session.rollback()
        status, error = refused.status_code, refused.message(request.state.language)
    if not is_htmx(request):  # a plain form post, without JavaScript
        if error is not None:
            context = {"status": status, "detail": error}
            return render(request, "errors/error.html", context, status_code=status)
        target = request.url_for("review_detail", review_id=review_id)
        return RedirectResponse(str(target), status_code=303)
    view = scoring_view(session, principal=principal, review_id=review_id)
    context = _consensus_context(view) | {"error": error}
    return render(
        request, "reviews/fragments.html", context, fragment="summary_saved", status_code=status
    )


@router.post("/reviews/{review_id}/finalize", response_class=HTMLResponse, name="review_finalize")
def review_finalize(
    request: Request, session: SessionDep, principal: CurrentPrincipal, review_id: PathId
) -> Response:
    try:
        consensus.finalise(session, principal=principal, review_id=review_id)
    except Conflict as refused:  # points left open: the consensus screen again, saying which
        session.rollback()
        view = scoring_view(session, principal=principal, review_id=review_id)
        context = _consensus_context(view) | _earlier(request, session, view)
        context["finalise_error"] = refused.message(request.state.language)
        return render(request, "reviews/consensus.html", context, status_code=409)
    return RedirectResponse(
        str(request.url_for("review_detail", review_id=review_id)), status_code=303
    )


@router.post("/reviews/{review_id}/reopen", response_class=HTMLResponse, name="review_reopen")
def review_reopen(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    review_id: PathId,
    reason: Annotated[str, Form(max_length=rules.REOPEN_REASON_MAX)] = "",
) -> Response:
    consensus.reopen(session, principal=principal, review_id=review_id, reason=reason)
    return RedirectResponse(
        str(request.url_for("review_detail", review_id=review_id)), status_code=303
    )
