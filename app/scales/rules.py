"""What a rating may say: the input rules every change to a rating passes, whichever
way it arrives (a tap through the API, a form posted without JavaScript, a tablet's
outbox file). Pure functions over a scale's item and the change, no database and no
HTTP: the ratings service stores what ``rating_content`` returns, nothing else.

A change is put in canonical form here (texts trimmed, evidence sorted, a banded figure
checked against its bands, a checklist's ticks or the consultants' scores turned into the
score they give), so two copies of one change compare equal byte for byte.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.errors import Invalid
from app.scales.schema import FIGURE_LIMIT, Item, to_precision
from app.scales.scoring import (
    ScoringError,
    band_value,
    checklist_score,
    consultant_average,
    target_score,
    target_share,
)

EVIDENCE_SOURCES = ("MIS", "DOC", "INT", "OBS", "ISP")
NOTE_MAX = 5000
REASON_MAX = 1000
RATIONALE_MAX = 2000
RECOMMENDATION_MAX = 5000
MAX_CONSULTANTS = 40
# The review's own texts: the lead's summary, why it was reopened, why a reviewer left.
SUMMARY_MAX = 10000
REOPEN_REASON_MAX = 1000
TAKE_OFF_REASON_MAX = 1000


@dataclass(frozen=True)
class RatingInput:
    """One change to a rating, as a reviewer (or the lead, for the consensus) made it.

    ``not_rated`` says the rater chose "not rated"; it then needs ``not_rated_reason``.
    ``inputs`` hold what the score was worked out from: ``figure`` for a banded item,
    ``ticked`` for a checklist, ``consultants`` (each ``{"score": …}`` or ``{"figure": …}``)
    for a per-consultant item.
    """

    score: int | None = None
    not_rated: bool = False
    not_rated_reason: str | None = None
    note: str | None = None
    evidence: Sequence[str] = ()
    inputs: Mapping[str, Any] | None = None
    rationale: str | None = None
    recommendation: str | None = None
    kept_score: float | None = None  # the consensus's current average, when no level is chosen


def clean_text(value: str | None, *, limit: int, key: str) -> str | None:
    """A typed text trimmed, with Windows line ends made plain; ``key`` names the refusal
    when it is longer than ``limit``, and an empty text is None."""
    if value is None:
        return None
    text = value.replace("\r\n", "\n").strip()
    if "\x00" in text:
        raise Invalid.of("field_nul")
    if len(text) > limit:
        raise Invalid.of(key, max=limit, length=len(text))
    return text or None


def rating_content(*, item: Item, change: RatingInput, consensus: bool = False) -> dict[str, Any]:
    """The rating a change asks for, checked against the item and in canonical form."""
    note = clean_text(change.note, limit=NOTE_MAX, key="err_note_long")
    reason = clean_text(change.not_rated_reason, limit=REASON_MAX, key="err_reason_long")
    evidence = sorted(set(change.evidence))
    unknown = [source for source in evidence if source not in EVIDENCE_SOURCES]
    if unknown:
        raise Invalid.of(
            "err_evidence", value=", ".join(unknown), allowed=", ".join(EVIDENCE_SOURCES)
        )
    level = _level(change)
    inputs, derived = _inputs(item, change.inputs)
    not_rated = change.not_rated or reason is not None
    score = _score(item, change, level, derived, consensus=consensus, not_rated=not_rated)
    if not_rated and reason is None:
        raise Invalid.of("err_reason_required", number=item.number)
    content: dict[str, Any] = {
        "score": score,
        "not_rated_reason": reason if not_rated else None,
        "note": note,
        "evidence": evidence,
        "inputs": inputs,
    }
    if consensus:
        content["rationale"] = clean_text(
            change.rationale, limit=RATIONALE_MAX, key="err_rationale_long"
        )
        content["recommendation"] = clean_text(
            change.recommendation, limit=RECOMMENDATION_MAX, key="err_recommendation_long"
        )
    return content


def _level(change: RatingInput) -> float | None:
    """The level the rater chose, if any: a whole number from 1 to 5."""
    if change.score is None:
        return None
    if isinstance(change.score, bool) or not isinstance(change.score, int):
        raise Invalid.of("err_score_type")
    if not 1 <= change.score <= 5:
        raise Invalid.of("err_score_range", value=change.score)
    return float(change.score)


def _score(
    item: Item,
    change: RatingInput,
    score: float | None,
    derived: float | None,
    *,
    consensus: bool,
    not_rated: bool,
) -> float | None:
    """The score a change gives: the level chosen, the consensus's kept average, or what
    its inputs give (a checklist's or the consultants' must agree with a chosen level; a
    banded figure only suggests one the reviewer may overrule)."""
    if consensus and score is None and change.kept_score is not None:
        if not 1 <= change.kept_score <= 5:
            raise Invalid.of("err_score_range", value=change.kept_score)
        score = float(to_precision(change.kept_score, 2))
    if not_rated:
        if score is not None:
            raise Invalid.of("err_score_and_not_rated", number=item.number)
        return None
    if derived is None:
        return score
    if item.kind in ("checklist", "target") or item.per_consultant:
        if score is not None and score != derived:
            raise Invalid.of("err_derived_score", number=item.number, derived=_plain(derived))
        return derived
    return derived if score is None else score


def _plain(value: float) -> str:
    return f"{value:g}"


def _inputs(
    item: Item, raw: Mapping[str, Any] | None
) -> tuple[dict[str, Any] | None, float | None]:
    """The inputs in canonical form and the score they give (None when they give none)."""
    if not raw:
        return None, None
    if not isinstance(raw, Mapping):
        raise Invalid.of("err_inputs_shape", number=item.number)
    allowed = (
        {"consultants"}
        if item.per_consultant
        else {"figure"}
        if item.kind == "banded"
        else {"ticked"}
        if item.kind == "checklist"
        else {"met", "cases", "share"}
        if item.kind == "target"
        else set()
    )
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise Invalid.of(
            "err_inputs_unknown",
            number=item.number,
            fields=", ".join(unknown),
            allowed=", ".join(sorted(allowed)) or "—",
        )
    try:
        if item.per_consultant:
            return _consultants(item, raw.get("consultants"))
        if item.kind == "banded":
            figure = raw.get("figure")
            if figure is None:
                return None, None
            value = _figure(item, figure)
            assert item.banding is not None
            return {"figure": value}, float(band_value(item.banding, value))
        if item.kind == "checklist":
            ticked = raw.get("ticked")
            if ticked is None:
                return None, None
            if not isinstance(ticked, list) or not all(isinstance(t, str) for t in ticked):
                raise Invalid.of("err_ticked_shape", number=item.number)
            assert item.checklist is not None
            keys = sorted(set(ticked))
            return {"ticked": keys}, float(checklist_score(item.checklist, keys))
        if item.kind == "target":
            return _target(item, raw)
    except ScoringError as error:
        raise Invalid(
            f"item {item.number}: {error}",
            key="err_item_input",
            number=item.number,
            reason=str(error),
        ) from None
    return None, None


def _target(item: Item, raw: Mapping[str, Any]) -> tuple[dict[str, Any] | None, float | None]:
    """A target item's cases: how many met the target of how many (both whole numbers),
    or the share that did, in per cent; and the score that share earns."""
    assert item.target is not None
    met, cases, share = raw.get("met"), raw.get("cases"), raw.get("share")
    if met is None and cases is None and share is None:
        return None, None
    if share is not None and (met is not None or cases is not None):
        raise Invalid.of("err_target_both", number=item.number)
    if share is None:
        if not isinstance(met, int) or not isinstance(cases, int) or not _whole(met, cases):
            raise Invalid.of("err_target_counts", number=item.number)
        if cases < 1 or not 0 <= met <= cases or cases > FIGURE_LIMIT:
            raise Invalid.of("err_target_counts", number=item.number)
        reached = target_share(met=met, cases=cases)
        return {"met": met, "cases": cases}, float(target_score(item.target, reached))
    if isinstance(share, bool) or not isinstance(share, int | float) or not math.isfinite(share):
        raise Invalid.of("err_target_share", number=item.number)
    if not 0 <= share <= 100 or to_precision(share, 1) != to_precision(share, 6):
        raise Invalid.of("err_target_share", number=item.number)
    return {"share": float(share)}, float(target_score(item.target, share))


def _whole(*values: Any) -> bool:
    return all(isinstance(value, int) and not isinstance(value, bool) for value in values)


def _figure(item: Item, raw: Any) -> float:
    """A banded item's figure, within the range its bands cover."""
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise Invalid.of("err_figure", number=item.number)
    value = float(raw)
    banding = item.banding
    if banding is None or abs(value) > FIGURE_LIMIT:
        raise Invalid.of("err_figure", number=item.number)
    rounded = to_precision(value, banding.precision)
    lowest, highest = banding.minimum, banding.maximum
    if lowest is not None and rounded < to_precision(lowest, banding.precision):
        raise Invalid.of(
            "err_figure_below", number=item.number, value=f"{value:g}", limit=f"{lowest:g}"
        )
    if highest is not None and rounded > to_precision(highest, banding.precision):
        raise Invalid.of(
            "err_figure_above", number=item.number, value=f"{value:g}", limit=f"{highest:g}"
        )
    return value


def _consultants(item: Item, raw: Any) -> tuple[dict[str, Any] | None, float | None]:
    if raw is None or raw == []:
        return None, None
    if not isinstance(raw, list) or len(raw) > MAX_CONSULTANTS:
        raise Invalid.of("err_consultants_shape", number=item.number, max=MAX_CONSULTANTS)
    entries: list[dict[str, Any]] = []
    scores: list[float] = []
    for entry in raw:
        if not isinstance(entry, Mapping) or set(entry) - {"score", "figure"}:
            raise Invalid.of("err_consultants_shape", number=item.number, max=MAX_CONSULTANTS)
        figure, score = entry.get("figure"), entry.get("score")
        if figure is not None:
            if item.banding is None:
                raise Invalid.of("err_consultants_shape", number=item.number, max=MAX_CONSULTANTS)
            value = _figure(item, figure)
            banded = band_value(item.banding, value)
            if score is not None and score != banded:
                raise Invalid.of("err_derived_score", number=item.number, derived=banded)
            entries.append({"figure": value, "score": banded})
            scores.append(banded)
        elif score is not None:
            if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
                raise Invalid.of("err_score_range", value=score)
            entries.append({"score": score})
            scores.append(score)
        else:
            raise Invalid.of("err_consultant_empty", number=item.number)
    return {"consultants": entries}, consultant_average(scores)


def suggested_score(item: Item, inputs: Mapping[str, Any] | None) -> float | None:
    """The score a banded item's figure suggests, to show beside the reviewer's choice."""
    if item.kind != "banded" or item.per_consultant or not inputs:
        return None
    figure = inputs.get("figure")
    if figure is None or item.banding is None:
        return None
    try:
        return float(band_value(item.banding, float(figure)))
    except (ScoringError, TypeError, ValueError):
        return None
