"""/api/v1/rounds: a team's yearly measurement round. Opening it (ambassadors), the team's
part field group by field group (its leader and consultants; idempotent by
``client_id``), submitting it, and the ambassadors' assessment."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Path, Request

from app.api.base import check_outbox_user, v1_router
from app.db import SessionDep
from app.models import ImplementationRater, ImplementationRating
from app.scales.maturity import ImplementationResult
from app.schemas.rounds import (
    DeadlineIn,
    DocumentsIn,
    ElementResultOut,
    FigureIn,
    FigureOut,
    NoteIn,
    PointIn,
    PointOut,
    ReasonIn,
    ResultOut,
    RoundOpenIn,
    RoundOut,
    SavedOut,
)
from app.services import round_view, rounds, self_report
from app.web.auth import CurrentPrincipal
from app.web.params import PathId

router = v1_router()

Key = Annotated[str, Path(max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]


def _today(request: Request) -> date:
    today: date = request.app.state.settings.today()
    return today


def _language(request: Request) -> str:
    return str(getattr(request.state, "language", "en"))


@router.post(
    "/teams/{team_id}/rounds",
    response_model=RoundOut,
    status_code=201,
    summary="Open a team's measurement round of a year for the team to fill in its part",
)
def round_open(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    team_id: PathId,
    body: RoundOpenIn,
) -> RoundOut:
    context = rounds.open_round(
        session,
        principal=principal,
        team_id=team_id,
        year=body.year,
        deadline=body.deadline,
        today=_today(request),
    )
    session.flush()
    return _out(session, principal, context.id, request)


@router.get(
    "/teams/{team_id}/rounds",
    response_model=list[RoundOut],
    summary="A team's measurement rounds, newest year first",
)
def round_list(
    request: Request, session: SessionDep, principal: CurrentPrincipal, team_id: PathId
) -> list[RoundOut]:
    found = rounds.rounds_of_team(session, principal=principal, team_id=team_id)
    return [_out(session, principal, measurement.id or 0, request) for measurement in found]


@router.get("/rounds/{round_id}", response_model=RoundOut, summary="One measurement round")
def round_detail(
    request: Request, session: SessionDep, principal: CurrentPrincipal, round_id: PathId
) -> RoundOut:
    return _out(session, principal, round_id, request)


@router.put(
    "/rounds/{round_id}/deadline",
    response_model=RoundOut,
    summary="Move the team's deadline (the team's ambassadors; not once submitted)",
)
def round_deadline(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    round_id: PathId,
    body: DeadlineIn,
) -> RoundOut:
    rounds.set_deadline(
        session,
        principal=principal,
        round_id=round_id,
        deadline=body.deadline,
        today=_today(request),
    )
    return _out(session, principal, round_id, request)


@router.put(
    "/rounds/{round_id}/points/{item_key}",
    response_model=SavedOut,
    summary="The team's own rating of one implementation point",
)
def round_point(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    round_id: PathId,
    item_key: Key,
    body: PointIn,
) -> SavedOut:
    return _save_point(
        request, session, principal, round_id, item_key, body, ImplementationRater.TEAM
    )


@router.put(
    "/rounds/{round_id}/assessment/{item_key}",
    response_model=SavedOut,
    summary="The ambassadors' rating of one point, with their note in `description`",
)
def round_assessment_point(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    round_id: PathId,
    item_key: Key,
    body: PointIn,
) -> SavedOut:
    rater = ImplementationRater.AMBASSADORS
    return _save_point(request, session, principal, round_id, item_key, body, rater)


@router.put(
    "/rounds/{round_id}/figures/{input_key}",
    response_model=SavedOut,
    summary="One of the team's figures, in its declared unit (null clears it)",
)
def round_figure(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    round_id: PathId,
    input_key: Key,
    body: FigureIn,
) -> SavedOut:
    check_outbox_user(request, principal)
    saved = self_report.save_figure(
        session,
        principal=principal,
        round_id=round_id,
        change=body.change(input_key),
        client_id=str(body.client_id),
        today=_today(request),
        language=_language(request),
        base_revision=body.base_revision,
        channel=principal.channel,
    )
    return SavedOut.of(saved, body.client_id)


@router.put(
    "/rounds/{round_id}/documents",
    response_model=SavedOut,
    summary="The documents the team lets the reviewers see",
)
def round_documents(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    round_id: PathId,
    body: DocumentsIn,
) -> SavedOut:
    check_outbox_user(request, principal)
    saved = self_report.save_documents(
        session,
        principal=principal,
        round_id=round_id,
        change=self_report.DocumentsInput(documents=body.documents, note=body.note),
        client_id=str(body.client_id),
        today=_today(request),
        base_revision=body.base_revision,
        channel=principal.channel,
    )
    return SavedOut.of(saved, body.client_id)


@router.post(
    "/rounds/{round_id}/submit",
    response_model=RoundOut,
    summary="The team leader submits the team's part; it then no longer changes",
)
def round_submit(
    request: Request, session: SessionDep, principal: CurrentPrincipal, round_id: PathId
) -> RoundOut:
    rounds.submit(session, principal=principal, round_id=round_id, today=_today(request))
    return _out(session, principal, round_id, request)


@router.post(
    "/rounds/{round_id}/confirm",
    response_model=RoundOut,
    summary="The ambassadors confirm the implementation status",
)
def round_confirm(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    round_id: PathId,
    body: NoteIn,
) -> RoundOut:
    rounds.confirm_assessment(
        session, principal=principal, round_id=round_id, note=body.note, today=_today(request)
    )
    return _out(session, principal, round_id, request)


@router.post(
    "/rounds/{round_id}/reopen",
    response_model=RoundOut,
    summary="Take back a confirmed implementation status to correct it",
)
def round_reopen(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    round_id: PathId,
    body: ReasonIn,
) -> RoundOut:
    rounds.reopen_assessment(session, principal=principal, round_id=round_id, reason=body.reason)
    return _out(session, principal, round_id, request)


def _save_point(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    round_id: int,
    item_key: str,
    body: PointIn,
    rater: ImplementationRater,
) -> SavedOut:
    """One point saved as the team's rating or the ambassadors'."""
    check_outbox_user(request, principal)
    saved = self_report.save_point(
        session,
        principal=principal,
        round_id=round_id,
        change=body.change(item_key),
        rater=rater,
        client_id=str(body.client_id),
        today=_today(request),
        base_revision=body.base_revision,
        channel=principal.channel,
    )
    return SavedOut.of(saved, body.client_id)


def _out(
    session: SessionDep, principal: CurrentPrincipal, round_id: int, request: Request
) -> RoundOut:
    session.flush()
    view = round_view.round_view(
        session, principal=principal, round_id=round_id, today=_today(request)
    )
    measurement = view.context.round
    return RoundOut(
        id=view.context.id,
        team_id=measurement.team_id,
        year=measurement.year,
        instrument=f"{view.context.instrument.key} {view.context.instrument.version}",
        review_id=measurement.review_id,
        state=view.state,
        deadline=measurement.deadline,
        submitted_at=measurement.submitted_at,
        assessed_at=measurement.assessed_at,
        documents=list(measurement.documents),
        documents_note=measurement.documents_note,
        team_points=[_point(p.team, p) for p in view.points if p.team],
        ambassador_points=[_point(p.ambassadors, p) for p in view.points if p.ambassadors]
        if view.shows_ambassadors
        else None,
        figures=[
            FigureOut(
                input_key=f.entry.key,
                unit=f.entry.unit.en,
                value=f.figure.value if f.figure else None,
                consultants=f.figure.consultants if f.figure else None,
                note=f.figure.note if f.figure else None,
                fidelity_items=list(f.entry.fidelity_items),
            )
            for f in view.figures
        ],
        team_result=_result(view.team_result),
        result=_result(view.result) if view.result else None,
        status=measurement.overall_status,
    )


def _point(row: ImplementationRating | None, point: round_view.PointView) -> PointOut:
    assert row is not None
    return PointOut(
        item_key=row.item_key,
        number=point.item.number,
        element=point.element.key,
        level=row.level,
        description=row.description,
        evidence_date=row.evidence_date,
        evidence_document=row.evidence_document,
        revision=row.revision,
    )


def _result(result: ImplementationResult) -> ResultOut:
    return ResultOut(
        mean=result.mean,
        status=result.status.key if result.status else None,
        item_count=result.item_count,
        rated_count=result.rated_count,
        elements=[
            ElementResultOut(
                key=element.key,
                mean=element.mean,
                status=element.status.key if element.status else None,
                item_count=element.item_count,
                rated_count=element.rated_count,
            )
            for element in result.elements
        ],
    )
