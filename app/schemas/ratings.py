"""A rating as it arrives and as it is answered.

``RatingIn`` (and ``ConsensusIn`` for the lead's consensus) is the one reading of a
change to a rating: the API's body, each entry of a tablet's outbox file, and a form
posted without JavaScript (``from_form`` spells the form's fields as that body first).
What a change may say about its item is checked after that, by ``app.scales.rules``.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import FormData

from app.errors import Invalid
from app.scales import rules
from app.scales.schema import Item

Score = Annotated[int, Field(strict=True, ge=1, le=5)]
Evidence = Literal["MIS", "DOC", "INT", "OBS", "ISP"]


class Body(BaseModel):
    """A request body: a member it does not know is refused, never ignored."""

    model_config = ConfigDict(extra="forbid")


class ConsultantIn(Body):
    score: Score | None = Field(None, description="This consultant's score, 1-5")
    figure: float | None = Field(None, description="Or this consultant's raw figure (banded items)")


class InputsIn(Body):
    """What a score was worked out from; which member applies depends on the item's kind."""

    figure: float | None = Field(None, description="A banded item's raw figure")
    ticked: list[Annotated[str, Field(max_length=64)]] | None = Field(
        None, max_length=50, description="A checklist item's practices present (entry keys)"
    )
    consultants: list[ConsultantIn] | None = Field(
        None, max_length=rules.MAX_CONSULTANTS, description="A per-consultant item's ratings"
    )
    met: Annotated[int, Field(strict=True)] | None = Field(
        None, description="A target item's cases that met the target"
    )
    cases: Annotated[int, Field(strict=True)] | None = Field(
        None, description="A target item's cases in all (with met)"
    )
    share: float | None = Field(
        None, description="Or a target item's share of cases that met it, in per cent"
    )


class RatingIn(Body):
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
        """The change as the input rules read it."""
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


# A form posted without JavaScript --------------------------------------------------------

_FIGURE = re.compile(r"-?[0-9]{1,9}(\.[0-9]{1,6})?")


def from_form(item: Item, form: FormData, *, consensus: bool) -> RatingIn:
    """An item's form, read as the body the API takes (``ConsensusIn`` on the consensus
    screen). The form's own spellings are read here: a level as a radio button's text,
    a figure with a decimal comma, a consultant per field, "none present" for an empty
    checklist, the consensus's average it keeps. A refused value is a 422 that names it."""
    not_rated = form.get("not_rated") == "1"
    score: int | None = None
    raw_score = str(form.get("score") or "").strip()
    if raw_score and not not_rated:
        if raw_score not in {"1", "2", "3", "4", "5"}:
            raise Invalid.of("err_score_range", value=raw_score)
        score = int(raw_score)
    inputs = {} if not_rated or consensus else _inputs(item, form)
    body: dict[str, Any] = {
        "score": score if not inputs or item.kind == "banded" else None,
        "not_rated_reason": str(form.get("not_rated_reason") or "") if not_rated else None,
        "note": str(form.get("note") or ""),
        "evidence": [str(v) for v in form.getlist("evidence")],
        "inputs": inputs or None,
        "client_id": str(form.get("client_id") or "").strip() or str(uuid.uuid4()),
        "base_revision": form_revision(form.get("base_revision")),
    }
    if consensus:
        body["rationale"] = str(form.get("rationale") or "")
        body["recommendation"] = str(form.get("recommendation") or "")
        if score is None and not not_rated:
            # An average (e.g. 2.5 from per-consultant items) has no level button; the form
            # carries it so that writing a rationale or recommendation does not erase it.
            body["kept_score"] = _kept_score(form.get("current_score"))
    try:
        return (ConsensusIn if consensus else RatingIn).model_validate(body)
    except ValidationError as refused:
        raise RequestValidationError(refused.errors()) from None


def form_revision(raw: object) -> int | None:
    """The revision a change was based on (0 when the item had no rating yet); None when
    the form sent none."""
    text = str(raw or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) < 10):
        raise Invalid.of("err_base_revision")
    return int(text)


def _kept_score(raw: object) -> float | None:
    try:
        value = float(str(raw or "").replace(",", "."))
    except ValueError:
        return None
    return value if 1 <= value <= 5 else None


def _inputs(item: Item, form: FormData) -> dict[str, Any]:
    if item.per_consultant:
        field = "consultant_figure" if item.kind == "banded" else "consultant_score"
        entries = []
        for raw in form.getlist(field):
            text = str(raw).strip().replace(",", ".")
            if not text:
                continue
            number = _number(item, text)
            entries.append({"figure": number} if item.kind == "banded" else {"score": int(number)})
        return {"consultants": entries} if entries else {}
    if item.kind == "banded":
        text = str(form.get("figure") or "").strip().replace(",", ".")
        return {"figure": _number(item, text)} if text else {}
    if item.kind == "target":
        counts = {name: str(form.get(name) or "").strip() for name in ("met", "cases")}
        share = str(form.get("share") or "").strip().replace(",", ".")
        if any(counts.values()):
            if not all(_COUNT.fullmatch(text) for text in counts.values()):
                raise Invalid.of("err_target_counts", number=item.number)
            return {name: int(text) for name, text in counts.items()}
        return {"share": _number(item, share)} if share else {}
    if item.kind == "checklist":
        ticked = [str(v) for v in form.getlist("ticked")]
        # Nothing ticked is a score only when the reviewer says none of them is present.
        return {"ticked": ticked} if ticked or form.get("none_present") == "1" else {}
    return {}


_COUNT = re.compile(r"[0-9]{1,9}")  # a count of cases, in plain digits


def _number(item: Item, text: str) -> float:
    """A figure as people write it: digits with at most one decimal point or comma (the
    comma is already a point here). Not 1e3, not inf."""
    if not _FIGURE.fullmatch(text):
        raise Invalid.of("err_figure", number=item.number)
    return float(text)
