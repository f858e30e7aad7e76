"""A sandbox review: a scale version scored on one form, nothing stored (issue 19).

The panel opens a draft as the reviewers would meet it and scores it to see its totals,
level and profiles work. Each item's part of the form is read exactly as the scoring
screen's form is (``schemas.ratings.from_form``) and checked by the same rating rules, so
what a reviewer could enter, and what it scores, is what the sandbox shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi.exceptions import RequestValidationError
from starlette.datastructures import FormData, UploadFile

from app.errors import DomainError, Invalid
from app.scales import rules
from app.scales.schema import ScaleDefinition
from app.scales.scoring import ItemScore, ReviewScore, score_review
from app.schemas.ratings import from_form

SEPARATOR = ":"  # a field of item "caseload-size" is posted as "caseload-size:figure"


@dataclass
class Sandbox:
    """What the form gave: each item's score (or why not), the refusals by item, and the
    review's result."""

    scores: dict[str, ItemScore] = field(default_factory=dict)
    refused: dict[str, DomainError] = field(default_factory=dict)
    result: ReviewScore | None = None


def score(scale: ScaleDefinition, form: FormData) -> Sandbox:
    """The sandbox review ``form`` describes (fields named ``<item key>:<field>``)."""
    by_item: dict[str, list[tuple[str, str | UploadFile]]] = {}
    for name, value in form.multi_items():
        key, _, part = name.partition(SEPARATOR)
        if part and isinstance(value, str):
            by_item.setdefault(key, []).append((part, value))
    sandbox = Sandbox()
    for item in scale.items:
        fields = FormData(by_item.get(item.key, []))
        try:
            body = from_form(item, fields, consensus=False)
            content = rules.rating_content(item=item, change=body.change())
        except DomainError as refused:
            sandbox.refused[item.key] = refused
            continue
        except RequestValidationError:
            sandbox.refused[item.key] = Invalid.of("err_sandbox_value", number=item.number)
            continue
        if content["score"] is not None or content["not_rated_reason"]:
            sandbox.scores[item.key] = ItemScore(content["score"], content["not_rated_reason"])
    sandbox.result = score_review(scale, sandbox.scores)
    return sandbox
