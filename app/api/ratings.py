"""/api/v1/reviews/{id}/ratings and /consensus: one item's rating, saved on every tap of a
tablet. Idempotent by ``client_id``; a change based on an older ``revision`` is a 409 whose
``current`` member holds the stored value."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any
from uuid import UUID

from fastapi import Path, Request, Response

from app.api.base import check_outbox_user, v1_router
from app.db import in_unit_of_work
from app.models import Rating
from app.schemas.ratings import ConsensusIn, RatingIn, RatingOut, RatingSaved
from app.services import ratings
from app.services.access import Principal
from app.services.rating_rows import StoredRating
from app.web.auth import CurrentPrincipal
from app.web.params import PathId

router = v1_router()

Key = Annotated[str, Path(max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]


def _saved(result: ratings.SaveResult, client_id: UUID, names: dict[int, str]) -> Response:
    """The saved rating as JSON, serialised once: the answer to every tap on a tablet, so
    it skips FastAPI's second validation of a model built right here (the route keeps
    ``response_model`` for the schema)."""
    rating = result.rating
    saved = RatingSaved(
        **rating_fields(rating, names),
        client_id=str(client_id),
        outcome=result.outcome,
        suggested_score=result.suggested_score,
    )
    return Response(saved.model_dump_json(), media_type="application/json")


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
    check_outbox_user(request, principal)
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


def rating_fields(rating: Rating | StoredRating, names: dict[int, str]) -> dict[str, Any]:
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


def rating_out(rating: Rating | StoredRating, names: dict[int, str]) -> RatingOut:
    """A stored rating as answered; ``names`` gives each reviewer's username."""
    return RatingOut(**rating_fields(rating, names))
