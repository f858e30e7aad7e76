"""The JSON API, version 1: scales, teams and reviews in the caller's scope, and scoring.

Scripts authenticate with ``Authorization: Bearer <token>``; the browser's own session
cookie works too (with the CSRF header for anything that changes state). Errors are
``application/problem+json`` with a ``detail`` a person can act on.

Every route calls the same service functions as the pages. Rating writes are idempotent
by ``client_id``: sending the same change again returns the stored result; sending a
different change under a used id is a 409. A change based on an older ``revision`` than
the stored one is a 409 whose ``current`` member holds the stored value.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from functools import partial
from typing import Annotated, Any, Literal
from urllib.parse import unquote
from uuid import UUID

from fastapi import APIRouter, BackgroundTasks, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from app.db import SessionDep, in_unit_of_work
from app.errors import Conflict
from app.models import ActionStatus, Rating
from app.scales import rules
from app.scales.schema import ScaleDefinition
from app.scales.scoring import ReviewScore
from app.services import (
    access,
    consensus,
    exports,
    feedback,
    national,
    paging,
    planning,
    profiles,
    ratings,
    review_view,
    reviewers,
    reviews,
    teams,
)
from app.services import scales as scale_service
from app.services.access import Principal
from app.services.rating_rows import StoredRating
from app.web import downloads
from app.web.auth import CurrentPrincipal, record_view
from app.web.params import LimitParam, PathId, QueryId, SearchParam

router = APIRouter(prefix="/api/v1", tags=["v1"])


class Me(BaseModel):
    username: str
    display_name: str
    role: str
    regions: list[int]
    teams: list[int]
    channel: str
    csrf_token: str | None = Field(
        None,
        description="A browser session's token for the X-CSRF-Token header of its changes "
        "(what a tablet's outbox sends them with); none for an API token",
    )


class MunicipalityOut(BaseModel):
    code: int
    name: str
    region_code: int


class TeamOut(BaseModel):
    id: int
    name: str
    program_type: str
    is_active: bool
    municipalities: list[MunicipalityOut]
    review_count: int


class ReviewOut(BaseModel):
    id: int
    team_id: int
    team_name: str
    scale: str
    scale_version: str
    visit_date: date
    visit_end_date: date | None
    status: str
    finalised_at: datetime | None
    total_score: float | None
    level: str | None
    result: dict[str, Any] | None


@router.get("/me", response_model=Me, summary="The signed-in user or token holder")
def me(principal: CurrentPrincipal) -> Me:
    return Me(
        username=principal.username,
        display_name=principal.display_name,
        role=principal.role.value,
        regions=sorted(principal.regions),
        teams=sorted(principal.teams),
        channel=principal.channel,
        csrf_token=principal.csrf_token,
    )


def _team(summary: teams.TeamSummary) -> TeamOut:
    team = summary.team
    return TeamOut(
        id=team.id or 0,
        name=team.name,
        program_type=team.program_type,
        is_active=team.is_active,
        municipalities=[
            MunicipalityOut(code=m.code, name=m.name, region_code=m.region_code)
            for m in summary.municipalities
        ],
        review_count=summary.review_count,
    )


class TeamPage(BaseModel):
    items: list[TeamOut] = Field(description="This page's teams, by name")
    limit: int
    next: str | None = Field(
        description="The address of the next page (also in the Link header); null on the last"
    )


class ReviewPage(BaseModel):
    items: list[ReviewOut] = Field(description="This page's reviews, newest visit first")
    limit: int
    next: str | None = Field(
        description="The address of the next page (also in the Link header); null on the last"
    )


CursorParam = Annotated[
    str | None,
    Query(max_length=400, description="Where the page starts: the `next` link's cursor"),
]


def _next_link(request: Request, response: Response, cursor: list[Any] | None) -> str | None:
    """The next page's address (this one's query, the new cursor), also as a Link header."""
    if cursor is None:
        return None
    url = request.url.include_query_params(cursor=paging.Cursor.encode(cursor))
    link = f"{url.path}?{url.query}"
    response.headers["Link"] = f'<{link}>; rel="next"'
    return link


@router.get(
    "/teams",
    response_model=TeamPage,
    summary="Teams in the caller's scope, a page at a time",
    description='Follow `next` (or the `Link: rel="next"` header) until it is null. '
    "`q` finds teams by part of the team's or a municipality's name.",
)
def team_list(
    request: Request,
    response: Response,
    session: SessionDep,
    principal: CurrentPrincipal,
    limit: LimitParam = None,
    cursor: CursorParam = None,
    q: SearchParam = None,
) -> TeamPage:
    size = paging.page_request(1, limit).size
    after = paging.Cursor.decode(cursor, (str, int))
    query = teams.TeamQuery(search=paging.search_text(q))
    found, following = teams.team_slice(
        session, principal, query, after=(after[0], after[1]) if after else None, limit=size
    )
    return TeamPage(
        items=[_team(summary) for summary in found],
        limit=size,
        next=_next_link(request, response, list(following) if following else None),
    )


@router.get("/teams/{team_id}", response_model=TeamOut, summary="One team (404 outside scope)")
def team_detail(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    background: BackgroundTasks,
    team_id: PathId,
) -> TeamOut:
    summary = teams.team_summary(session, principal, team_id)
    record_view(request, background, principal, "team", team_id)
    return _team(teams.summaries(session, principal, [summary.team])[0])


class GroupScoreOut(BaseModel):
    key: str
    title: str
    item_count: int
    rated_count: int = Field(description="Items behind the mean (not-rated items are left out)")
    total: float
    mean: float | None


class ItemScoreOut(BaseModel):
    key: str
    number: int
    score: float | None
    not_rated_reason: str | None


class ProfileReviewOut(BaseModel):
    review_id: int
    visit_date: date
    scale: str
    scale_version: str
    total: float
    maximum: float
    level: str | None = Field(description="The level's key; null when none was given")
    level_title: str | None
    sections: list[GroupScoreOut]
    principles: list[GroupScoreOut]
    items: list[ItemScoreOut]


class ProfileOut(BaseModel):
    team_id: int
    reviews: list[ProfileReviewOut] = Field(description="Every finalised review, oldest first")
    next_review_due: date | None


@router.get(
    "/teams/{team_id}/profile",
    response_model=ProfileOut,
    summary="A team's finalised reviews with their totals, levels, section, principle and "
    "item scores",
)
def team_profile(
    request: Request, session: SessionDep, principal: CurrentPrincipal, team_id: PathId
) -> ProfileOut:
    profile = profiles.team_profile(session, principal, team_id)
    language = request.state.language
    return ProfileOut(
        team_id=team_id,
        reviews=[_profile_review(result, language) for result in profile.reviews],
        next_review_due=profile.next_due(request.app.state.settings),
    )


class ActionOut(BaseModel):
    id: int
    review_id: int = Field(description="The finalised review whose recommendation it answers")
    review_visit_date: date
    item_key: str
    item_number: int | None
    what: str
    who: str
    due_date: date
    status: ActionStatus
    overdue: bool = Field(description="Not done, and its due date has passed")
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None


@router.get(
    "/teams/{team_id}/actions",
    response_model=list[ActionOut],
    summary="A team's action plan: every action, soonest due first and the done ones last",
)
def team_actions(
    request: Request, session: SessionDep, principal: CurrentPrincipal, team_id: PathId
) -> list[ActionOut]:
    today = request.app.state.settings.today()
    return [
        ActionOut(
            id=planned.action.id or 0,
            review_id=planned.action.review_id,
            review_visit_date=planned.review_visit_date,
            item_key=planned.action.item_key,
            item_number=planned.item.number if planned.item else None,
            what=planned.action.what,
            who=planned.action.who,
            due_date=planned.action.due_date,
            status=ActionStatus(planned.action.status),
            overdue=planned.overdue(today),
            created_at=planned.action.created_at,
            updated_at=planned.action.updated_at,
            completed_at=planned.action.completed_at,
        )
        for planned in feedback.team_actions(session, principal, team_id)
    ]


def _profile_review(result: profiles.ReviewResult, language: str) -> ProfileReviewOut:
    def groups(found: list[profiles.GroupResult]) -> list[GroupScoreOut]:
        return [
            GroupScoreOut(
                key=group.key,
                title=group.title.get(language, group.key),
                item_count=group.item_count,
                rated_count=group.rated_count,
                total=group.total,
                mean=group.mean,
            )
            for group in found
        ]

    return ProfileReviewOut(
        review_id=result.review_id,
        visit_date=result.visit_date,
        scale=result.scale_key,
        scale_version=result.scale_version,
        total=result.total,
        maximum=result.maximum,
        level=result.level.key if result.level else None,
        level_title=result.level.title.get(language) if result.level else None,
        sections=groups(result.sections),
        principles=groups(result.principles),
        items=[
            ItemScoreOut(
                key=item.key,
                number=item.number,
                score=result.items[item.key].score if item.key in result.items else None,
                not_rated_reason=result.items[item.key].not_rated_reason
                if item.key in result.items
                else None,
            )
            for item in result.definition.items
        ],
    )


def _review(review: Any, team: Any, scale: Any) -> ReviewOut:
    finalised = review.status == "finalised"
    return ReviewOut(
        id=review.id,
        team_id=team.id,
        team_name=team.name,
        scale=scale.scale_key,
        scale_version=scale.version,
        visit_date=review.visit_date,
        visit_end_date=review.visit_end_date,
        status=review.status,
        finalised_at=review.finalised_at,
        total_score=review.total_score if finalised else None,
        level=review.level_key if finalised else None,
        result=review.result if finalised else None,
    )


# Exports ------------------------------------------------------------------------------


def _export(
    request: Request,
    session: SessionDep,
    principal: Principal,
    kind: downloads.Kind,
    filters: downloads.FilterQuery,
    fmt: downloads.Format,
    sep: downloads.Separator,
    labels: downloads.Labels,
) -> Response:
    downloads.require_export(principal)
    chosen = national.parse_filters(session, **filters.model_dump())
    scope = exports.Scope.of(
        national.chosen_versions(session, chosen),
        chosen,
        timezone=request.app.state.settings.timezone,
    )
    return downloads.export_response(
        request, principal, kind, scope, fmt=fmt, sep=sep, labels=labels
    )


@router.get(
    "/exports/reviews",
    summary="Finalised reviews, one row each: totals, levels, section and principle scores "
    "and one column per item (every item of every scale version the filters allow)",
    response_description="JSON ({export, filters, columns, rows}) in machine keys; CSV "
    "(UTF-8 with BOM) or an Excel workbook in the caller's language (`labels=keys`: in "
    "machine keys too), streamed",
)
def export_reviews(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    filters: downloads.Filtered,
    format: downloads.Format = "json",  # noqa: A002 (the query parameter's name)
    sep: downloads.Separator = ";",
    labels: downloads.LabelsParam = "words",
) -> Response:
    return _export(request, session, principal, "reviews", filters, format, sep, labels)


@router.get(
    "/exports/ratings",
    summary="Every rating of the finalised reviews in long form: review, item, rater "
    "(a reviewer or the consensus), score or not-rated reason",
    response_description="JSON in machine keys; CSV (UTF-8 with BOM) or an Excel workbook "
    "in the caller's language (`labels=keys`: in machine keys too), streamed",
)
def export_ratings(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    filters: downloads.Filtered,
    format: downloads.Format = "json",  # noqa: A002
    sep: downloads.Separator = ";",
    labels: downloads.LabelsParam = "words",
) -> Response:
    return _export(request, session, principal, "ratings", filters, format, sep, labels)


@router.get(
    "/reviews",
    response_model=ReviewPage,
    summary="Reviews in the caller's scope, newest visit first, a page at a time",
    description='Follow `next` (or the `Link: rel="next"` header) until it is null.',
)
def review_list(
    request: Request,
    response: Response,
    session: SessionDep,
    principal: CurrentPrincipal,
    team_id: QueryId = None,
    limit: LimitParam = None,
    cursor: CursorParam = None,
) -> ReviewPage:
    size = paging.page_request(1, limit).size
    after = paging.Cursor.decode(cursor, (date.fromisoformat, int))
    rows, following = reviews.review_slice(
        session,
        principal,
        team_id=team_id,
        after=(after[0], after[1]) if after else None,
        limit=size,
    )
    return ReviewPage(
        items=[_review(*row) for row in rows],
        limit=size,
        next=_next_link(request, response, list(following) if following else None),
    )


Score = Annotated[int, Field(strict=True, ge=1, le=5)]
Evidence = Literal["MIS", "DOC", "INT", "OBS", "ISP"]
Key = Annotated[str, Path(max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScaleSummaryOut(BaseModel):
    key: str
    version: str
    status: str
    title: dict[str, str]
    item_count: int
    program_types: list[str]
    published_at: datetime | None


class ConsultantIn(_Body):
    score: Score | None = Field(None, description="This consultant's score, 1-5")
    figure: float | None = Field(None, description="Or this consultant's raw figure (banded items)")


class InputsIn(_Body):
    """What a score was worked out from; which member applies depends on the item's kind."""

    figure: float | None = Field(None, description="A banded item's raw figure")
    ticked: list[Annotated[str, Field(max_length=64)]] | None = Field(
        None, max_length=50, description="A checklist item's practices present (entry keys)"
    )
    consultants: list[ConsultantIn] | None = Field(
        None, max_length=rules.MAX_CONSULTANTS, description="A per-consultant item's ratings"
    )


class RatingIn(_Body):
    score: Score | None = Field(None, description="1-5; leave out to derive it from inputs")
    not_rated_reason: str | None = Field(
        None,
        max_length=rules.REASON_MAX,
        description="Why the item cannot be rated; sending it (non-empty) means not rated",
    )
    note: str | None = Field(None, max_length=rules.NOTE_MAX)
    evidence: list[Evidence] = Field(default_factory=list, max_length=5)
    inputs: InputsIn | None = None
    client_id: UUID = Field(description="A new UUID for each change, reused only to resend it")
    base_revision: Annotated[int, Field(strict=True, ge=0)] | None = Field(
        None,
        description="The revision this change was based on (0: no rating yet); "
        "leave out to skip the check",
    )

    def change(self) -> rules.RatingInput:
        return rules.RatingInput(
            score=self.score,
            not_rated=self.not_rated_reason is not None,
            not_rated_reason=self.not_rated_reason,
            note=self.note,
            evidence=self.evidence,
            inputs=self.inputs.model_dump(exclude_none=True) if self.inputs else None,
            rationale=self._consensus_fields()[0],
            recommendation=self._consensus_fields()[1],
        )

    def _consensus_fields(self) -> tuple[str | None, str | None]:
        return None, None


class ConsensusIn(RatingIn):
    rationale: str | None = Field(None, max_length=rules.RATIONALE_MAX)
    recommendation: str | None = Field(None, max_length=rules.RECOMMENDATION_MAX)
    kept_score: float | None = Field(
        None,
        ge=1,
        le=5,
        description="The consensus's current score when it is an average (2.5) that no level "
        "stands for: sent with no score, it keeps that score",
    )

    def change(self) -> rules.RatingInput:
        return replace(super().change(), kept_score=self.kept_score)

    def _consensus_fields(self) -> tuple[str | None, str | None]:
        return self.rationale, self.recommendation


class RatingOut(BaseModel):
    item_key: str
    rater: str = Field(description="The reviewer's username, or 'consensus'")
    score: float | None
    not_rated_reason: str | None
    note: str | None
    evidence: list[str]
    inputs: dict[str, Any] | None
    rationale: str | None = None
    recommendation: str | None = None
    revision: int
    updated_at: datetime


class RatingSaved(RatingOut):
    client_id: str
    outcome: Literal["saved", "unchanged", "replayed"] = Field(
        description="saved: a new revision; unchanged: the stored value already was this; "
        "replayed: this client_id was already applied"
    )
    suggested_score: float | None = Field(description="The score a banded item's figure gives")


class TotalsOut(BaseModel):
    total: float
    mean: float | None
    rated: int
    items: int
    not_rated: int
    completeness: str
    level: str | None


class ReviewerOut(BaseModel):
    username: str
    display_name: str
    is_lead: bool
    submitted_at: datetime | None
    account_active: bool = Field(description="False: the account is disabled")


class RemovedReviewerOut(BaseModel):
    username: str
    display_name: str
    removed_at: datetime
    reason: str | None


class ItemOut(BaseModel):
    key: str
    number: int
    kind: str
    section: str
    per_consultant: bool
    title: dict[str, str]


class ReviewCreate(_Body):
    team_id: Annotated[int, Field(strict=True, ge=1)]
    scale_key: str | None = Field(
        None, max_length=64, description="Default: the newest for the team"
    )
    scale_version: str | None = Field(None, max_length=32)
    visit_date: date
    visit_end_date: date | None = None
    reviewer_usernames: list[Annotated[str, Field(max_length=64)]] = Field(
        min_length=2, max_length=10
    )
    lead_username: str = Field(max_length=64)


class ReviewDetailOut(ReviewOut):
    reviewers: list[ReviewerOut]
    removed_reviewers: list[RemovedReviewerOut] = Field(
        description="Reviewers taken off the review, and why: their ratings no longer count"
    )
    items: list[ItemOut]
    my_ratings: dict[str, RatingOut] = Field(description="The caller's own ratings, by item key")
    other_ratings: dict[str, dict[str, RatingOut]] = Field(
        description="Other reviewers' ratings the caller may see, by username and item key; "
        "empty while the caller's own scoring is blind"
    )
    consensus: dict[str, RatingOut] | None = Field(
        description="The consensus, once every reviewer has submitted"
    )
    my_totals: TotalsOut | None
    consensus_totals: TotalsOut | None
    agreement: dict[str, Any] | None
    strengths: str | None
    summary: str | None


class SummaryIn(_Body):
    strengths: str | None = Field(None, max_length=consensus.SUMMARY_MAX)
    summary: str | None = Field(None, max_length=consensus.SUMMARY_MAX)


class ReopenIn(_Body):
    reason: str = Field(min_length=1, max_length=consensus.REOPEN_REASON_MAX)


@router.get("/scales", response_model=list[ScaleSummaryOut], summary="Published scale versions")
def scale_list(session: SessionDep, principal: CurrentPrincipal) -> list[ScaleSummaryOut]:
    rows = scale_service.list_scale_versions(session, published_only=True)
    return [
        ScaleSummaryOut(
            key=row.scale_key,
            version=row.version,
            status=row.status,
            title={"da": row.title_da, "en": row.title_en},
            item_count=row.item_count,
            program_types=list(scale_service.definition_of(row).program_types),
            published_at=row.published_at,
        )
        for row in rows
    ]


@router.get(
    "/scales/{key}/{version}",
    response_model=ScaleDefinition,
    summary="One scale version's whole definition (published or retired)",
)
def scale_definition(
    session: SessionDep,
    principal: CurrentPrincipal,
    key: Annotated[str, Path(max_length=64)],
    version: Annotated[str, Path(max_length=32)],
) -> ScaleDefinition:
    row = scale_service.get_scale_version(session, key=key, version=version, visible_only=True)
    return scale_service.definition_of(row)


def _rating(rating: Rating | StoredRating, names: dict[int, str]) -> RatingOut:
    return RatingOut(**_rating_fields(rating, names))


def _rating_fields(rating: Rating | StoredRating, names: dict[int, str]) -> dict[str, Any]:
    """A rating as the API shows it, for ``RatingOut`` and ``RatingSaved`` alike."""
    return {
        "item_key": rating.item_key,
        "rater": "consensus" if rating.rater_id is None else names.get(rating.rater_id, "?"),
        "score": rating.score,
        "not_rated_reason": rating.not_rated_reason,
        "note": rating.note,
        "evidence": list(rating.evidence or []),
        "inputs": rating.inputs,
        "rationale": rating.rationale,
        "recommendation": rating.recommendation,
        "revision": rating.revision,
        "updated_at": rating.updated_at,
    }


def _totals(result: ReviewScore) -> TotalsOut:
    return TotalsOut(
        total=result.total,
        mean=result.mean,
        rated=result.rated_count,
        items=result.item_count,
        not_rated=len(result.not_rated),
        completeness=result.completeness,
        level=result.level.key if result.level else None,
    )


def _review_detail(session: SessionDep, principal: Principal, review_id: int) -> ReviewDetailOut:
    view = review_view.scoring_view(session, principal=principal, review_id=review_id)
    usernames = {user.id: user.username for user, _ in view.reviewers if user.id is not None}
    me = principal.user_id
    others = {
        usernames[rater]: {key: _rating(r, usernames) for key, r in ratings.items()}
        for rater, ratings in view.ratings.items()
        if rater != me
    }
    all_visible = len(view.ratings) == len(view.reviewers) and view.all_submitted
    base = _review(view.review, view.team, view.scale)
    return ReviewDetailOut(
        **base.model_dump(),
        reviewers=[
            ReviewerOut(
                username=user.username,
                display_name=user.display_name,
                is_lead=link.is_lead,
                submitted_at=link.submitted_at,
                account_active=user.is_active,
            )
            for user, link in view.reviewers
        ],
        removed_reviewers=[
            RemovedReviewerOut(
                username=user.username,
                display_name=user.display_name,
                removed_at=link.removed_at,
                reason=link.removed_reason,
            )
            for user, link in view.removed
            if link.removed_at is not None
        ],
        items=[
            ItemOut(
                key=item.key,
                number=item.number,
                kind=item.kind,
                section=item.section,
                per_consultant=item.per_consultant,
                title=item.title.model_dump(),
            )
            for item in view.definition.items
        ],
        my_ratings={key: _rating(r, usernames) for key, r in view.my_ratings.items()},
        other_ratings=others,
        consensus=None
        if view.consensus is None
        else {key: _rating(r, usernames) for key, r in view.consensus.items()},
        my_totals=_totals(view.score_of(view.my_ratings)) if view.me else None,
        consensus_totals=None if view.consensus is None else _totals(view.score_of(view.consensus)),
        agreement=view.agreement().to_dict() if all_visible else None,
        strengths=view.review.strengths,
        summary=view.review.summary,
    )


@router.get(
    "/reviews/{review_id}",
    response_model=ReviewDetailOut,
    summary="One review with its items and the ratings the caller may see (404 outside scope)",
)
def review_detail(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    background: BackgroundTasks,
    review_id: PathId,
) -> ReviewDetailOut:
    detail = _review_detail(session, principal, review_id)
    record_view(request, background, principal, "review", review_id)
    return detail


@router.post(
    "/reviews",
    response_model=ReviewDetailOut,
    status_code=201,
    summary="Plan a review: team, scale version, visit date, reviewers and lead",
)
def review_create(
    session: SessionDep, principal: CurrentPrincipal, body: ReviewCreate
) -> ReviewDetailOut:
    review = planning.plan_review(
        session,
        principal=principal,
        team_id=body.team_id,
        scale_key=body.scale_key,
        scale_version=body.scale_version,
        visit_date=body.visit_date,
        visit_end_date=body.visit_end_date,
        reviewer_usernames=body.reviewer_usernames,
        lead_username=body.lead_username,
    )
    assert review.id is not None
    return _review_detail(session, principal, review.id)


def _saved(result: ratings.SaveResult, client_id: UUID, names: dict[int, str]) -> Response:
    """The saved rating as JSON, serialised once: the answer to every tap on a tablet, so
    it skips FastAPI's second validation of a model built right here (the route keeps
    ``response_model`` for the schema)."""
    rating = result.rating
    saved = RatingSaved(
        **_rating_fields(rating, names),
        client_id=str(client_id),
        outcome=result.outcome,
        suggested_score=result.suggested_score,
    )
    return Response(saved.model_dump_json(), media_type="application/json")


OUTBOX_USER_HEADER = "X-Outbox-User"


@router.put(
    "/reviews/{review_id}/ratings/{item_key}",
    response_model=RatingSaved,
    summary="Save the caller's own independent rating of one item (idempotent by client_id)",
)
async def rating_put(
    request: Request,
    principal: CurrentPrincipal,
    review_id: PathId,
    item_key: Key,
    body: RatingIn,
) -> Response:
    return await _save_rating(request, principal, review_id, item_key, body, consensus=False)


@router.put(
    "/reviews/{review_id}/consensus/{item_key}",
    response_model=RatingSaved,
    summary="Save the consensus rating of one item (lead only; idempotent by client_id)",
)
async def consensus_put(
    request: Request,
    principal: CurrentPrincipal,
    review_id: PathId,
    item_key: Key,
    body: ConsensusIn,
) -> Response:
    return await _save_rating(request, principal, review_id, item_key, body, consensus=True)


async def _save_rating(
    request: Request,
    principal: Principal,
    review_id: int,
    item_key: str,
    body: RatingIn,
    *,
    consensus: bool,
) -> Response:
    # A tablet's outbox names who made the change it replays: it must never be stored under
    # someone else who has since signed in on the same device.
    # (percent-encoded, as a header carries only Latin-1)
    maker = request.headers.get(OUTBOX_USER_HEADER)
    if maker is not None and unquote(maker) != principal.username:
        raise Conflict.of(
            "err_outbox_other_user", user=unquote(maker)[:64], current=principal.username
        )
    # The save and its commit run as one step (db.in_unit_of_work: on the event loop for a
    # SQLite file when it can write at once, else in one worker thread): this is the
    # request a tablet makes on every tap.
    result = await in_unit_of_work(
        request,
        partial(
            ratings.save_rating,
            principal=principal,
            review_id=review_id,
            item_key=item_key,
            change=body.change(),
            client_id=str(body.client_id),
            base_revision=body.base_revision,
            consensus=consensus,
        ),
    )
    names = {} if consensus else {principal.user_id or 0: principal.username}
    return _saved(result, body.client_id, names)


@router.put(
    "/reviews/{review_id}/summary",
    response_model=ReviewDetailOut,
    summary="The lead's strengths and overall summary",
)
def summary_put(
    session: SessionDep, principal: CurrentPrincipal, review_id: PathId, body: SummaryIn
) -> ReviewDetailOut:
    consensus.save_summary(
        session,
        principal=principal,
        review_id=review_id,
        strengths=body.strengths,
        summary=body.summary,
    )
    return _review_detail(session, principal, review_id)


@router.post(
    "/reviews/{review_id}/submit",
    response_model=ReviewDetailOut,
    summary="Mark the caller's own scoring as done (every item scored or not rated)",
)
def review_submit(
    session: SessionDep, principal: CurrentPrincipal, review_id: PathId
) -> ReviewDetailOut:
    consensus.submit(session, principal=principal, review_id=review_id)
    return _review_detail(session, principal, review_id)


@router.post(
    "/reviews/{review_id}/finalize",
    response_model=ReviewDetailOut,
    summary="Finalise and lock the review (lead; every item settled)",
)
def review_finalize(
    session: SessionDep, principal: CurrentPrincipal, review_id: PathId
) -> ReviewDetailOut:
    consensus.finalise(session, principal=principal, review_id=review_id)
    return _review_detail(session, principal, review_id)


@router.post(
    "/reviews/{review_id}/reopen",
    response_model=ReviewDetailOut,
    summary="Reopen a finalised review (administrators; with a reason)",
)
def review_reopen(
    session: SessionDep, principal: CurrentPrincipal, review_id: PathId, body: ReopenIn
) -> ReviewDetailOut:
    consensus.reopen(session, principal=principal, review_id=review_id, reason=body.reason)
    return _review_detail(session, principal, review_id)


class TakeOffIn(_Body):
    reason: str = Field(max_length=reviewers.REASON_MAX * 2, description="Why, shown on the review")
    replacement_username: str | None = Field(
        None, max_length=64, description="Who takes their place (an ambassador or admin)"
    )
    lead_username: str | None = Field(
        None, max_length=64, description="Who leads, when the lead is the one taken off"
    )


@router.post(
    "/reviews/{review_id}/reviewers/{username}/remove",
    response_model=ReviewDetailOut,
    summary="Take a reviewer off a review in progress, with a reason, optionally putting "
    "someone in their place (the lead or administrators)",
    description="Their ratings are kept for the record but no longer count: the consensus "
    "no longer waits for them. A review being scored keeps at least two reviewers. "
    "Answers with the review as it is now, or 204 when callers took themselves off and "
    "may no longer see it.",
    responses={204: {"description": "Done; the caller no longer sees the review"}},
)
def reviewer_remove(
    session: SessionDep,
    principal: CurrentPrincipal,
    review_id: PathId,
    username: Annotated[str, Path(max_length=64)],
    body: TakeOffIn,
) -> Any:
    reviewers.take_off(
        session,
        principal,
        review_id,
        username=username,
        reason=body.reason,
        replacement=body.replacement_username,
        new_lead=body.lead_username,
    )
    if not access.sees_review(session, principal, review_id):
        return Response(status_code=204)
    return _review_detail(session, principal, review_id)


# The pages' routes have the same function names (team_detail, review_detail…), and
# ``url_for`` takes the first route of a name: the API's are named apart.
for _route in router.routes:
    _route.name = f"api_{_route.name}"  # type: ignore[attr-defined]
