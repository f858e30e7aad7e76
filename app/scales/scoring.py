"""The scoring core: pure functions from a scale definition and item scores to totals,
levels and profiles. No database, no HTTP; every rule here is tested with hypothesis.

Conventions:
- a raw figure is rounded (half up) to its banding's precision before it is banded, so
  "20.4 citizens" scores like 20 when the bands are written in whole citizens;
- a per-consultant item scores the mean of the consultants' scores, kept to two decimals,
  so totals can be fractional;
- a level is claimed only when every item has a score. Items not rated (with a reason)
  or not yet scored leave the level empty, and the result says which and why.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from app.scales.schema import (
    FIGURE_LIMIT,
    Banding,
    Checklist,
    LevelBand,
    Levels,
    ScaleDefinition,
    Target,
    Text,
    to_precision,
)


class ScoringError(ValueError):
    """Input the scoring rules cannot accept; the message says what was wrong."""


@dataclass(frozen=True)
class ItemScore:
    """The score an item received, or why it was not rated. Both empty: not scored yet."""

    score: float | None = None
    not_rated_reason: str | None = None


@dataclass(frozen=True)
class GroupScore:
    """A section's or a principle's share of the result."""

    key: str
    title: Text
    item_count: int
    rated_count: int
    total: float
    mean: float | None


Completeness = Literal["complete", "not_rated_items", "unscored_items"]


@dataclass(frozen=True)
class ReviewScore:
    total: float
    minimum: float
    maximum: float
    mean: float | None
    item_count: int
    rated_count: int
    completeness: Completeness
    level: LevelBand | None
    sections: list[GroupScore]
    principles: list[GroupScore]
    not_rated: dict[str, str] = field(default_factory=dict)
    unscored: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """The result as stored on a finalised review (plain JSON)."""
        return {
            "total": self.total,
            "mean": self.mean,
            "minimum": self.minimum,
            "maximum": self.maximum,
            "item_count": self.item_count,
            "rated_count": self.rated_count,
            "completeness": self.completeness,
            "level": self.level.key if self.level else None,
            "not_rated": self.not_rated,
            "sections": [_group_dict(group) for group in self.sections],
            "principles": [_group_dict(group) for group in self.principles],
        }

    def explanation(self, language: str) -> str | None:
        """Why no level is claimed, in the interface language; None when one is."""
        if self.completeness == "complete":
            return None
        if self.completeness == "unscored_items":
            count = len(self.unscored)
            if language == "en":
                return f"No fidelity level yet: {count} of {self.item_count} items are not scored."
            return (
                f"Intet fidelitetsniveau endnu: {count} af {self.item_count} items er ikke scoret."
            )
        count = len(self.not_rated)
        if language == "en":
            return (
                f"No fidelity level: {count} item(s) could not be rated, so the total "
                f"is not comparable with the {self.minimum:g}-{self.maximum:g} scale."
            )
        return (
            f"Intet fidelitetsniveau: {count} item(s) kunne ikke vurderes, så totalen kan "
            f"ikke sammenlignes med skalaen {self.minimum:g}-{self.maximum:g}."
        )


def band_value(banding: Banding, value: float) -> int:
    """The score a raw figure earns under ``banding``."""
    if not math.isfinite(value) or abs(value) > FIGURE_LIMIT:
        raise ScoringError(f"{value!r} is not a usable figure")
    figure = to_precision(value, banding.precision)
    if banding.minimum is not None and figure < to_precision(banding.minimum, banding.precision):
        raise ScoringError(f"{value:g} is below the lowest possible figure {banding.minimum:g}")
    if banding.maximum is not None and figure > to_precision(banding.maximum, banding.precision):
        raise ScoringError(f"{value:g} is above the highest possible figure {banding.maximum:g}")
    for band in banding.bands:
        low = band.min is None or to_precision(band.min, banding.precision) <= figure
        high = band.max is None or figure <= to_precision(band.max, banding.precision)
        if low and high:
            return band.score
    raise ScoringError(f"no band covers {value:g}")  # unreachable for a validated scale


def target_share(*, met: int, cases: int) -> Decimal:
    """The share of ``cases`` that met a target, in per cent (exact)."""
    if cases < 1:
        raise ScoringError("a share needs at least one case")
    if not 0 <= met <= cases:
        raise ScoringError(f"{met} cases cannot have met the target out of {cases}")
    return Decimal(met) * 100 / Decimal(cases)


def target_reached(target: Target, share: Decimal | float) -> Decimal:
    """How much of ``target`` a share (per cent) reached, as a percentage of the target's
    share, rounded half up to the target's precision: 100 is the target met."""
    value = Decimal(str(share))
    if not 0 <= value <= 100:
        raise ScoringError(f"a share of {share}% is not between 0 and 100")
    return to_precision(value * 100 / Decimal(str(target.share)), target.precision)


def target_score(target: Target, share: Decimal | float) -> int:
    """The score a share (per cent of the cases) earns against ``target``."""
    return band_value(target.as_banding(), float(target_reached(target, share)))


def checklist_score(checklist: Checklist, ticked: Collection[str]) -> int:
    """The score for the practices ticked (each entry counted once)."""
    known = {entry.key for entry in checklist.entries}
    unknown = sorted(set(ticked) - known)
    if unknown:
        raise ScoringError(f"unknown checklist entries: {', '.join(unknown)}")
    return checklist.scores[len(set(ticked))]


def consultant_average(scores: Sequence[float]) -> float:
    """A per-consultant item's score: the mean of the consultants' scores, two decimals."""
    if not scores:
        raise ScoringError("a per-consultant item needs at least one consultant's score")
    if any(not 1 <= score <= 5 for score in scores):
        raise ScoringError("each consultant's score must lie between 1 and 5")
    return float(to_precision(sum(Decimal(str(s)) for s in scores) / len(scores), 2))


def level_for(levels: Levels, value: float) -> LevelBand:
    """The level whose band holds ``value``: the highest band whose minimum it reaches."""
    ordered = sorted(levels.bands, key=lambda band: band.min)
    if value < ordered[0].min or value > ordered[-1].max:
        raise ScoringError(
            f"{value:g} lies outside the scale's range {ordered[0].min:g}-{ordered[-1].max:g}"
        )
    reached = [band for band in ordered if band.min <= value]
    return reached[-1]


def score_review(scale: ScaleDefinition, scores: Mapping[str, ItemScore]) -> ReviewScore:
    """Totals, level and profiles for one set of item scores (one rater, or the consensus)."""
    keys = {item.key for item in scale.items}
    unknown = sorted(set(scores) - keys)
    if unknown:
        raise ScoringError(f"items not in {scale.key} {scale.version}: {', '.join(unknown)}")
    rated = {key: value.score for key, value in scores.items() if value.score is not None}
    for key, value in rated.items():
        if not 1 <= value <= 5:
            raise ScoringError(f"item {key}: score {value:g} lies outside 1-5")
    not_rated = {
        key: value.not_rated_reason
        for key, value in scores.items()
        if value.score is None and value.not_rated_reason
    }
    unscored = [
        item.key for item in scale.items if item.key not in rated and item.key not in not_rated
    ]
    total = _sum(rated.values())
    completeness: Completeness = (
        "unscored_items" if unscored else "not_rated_items" if not_rated else "complete"
    )
    mean = float(to_precision(total / len(rated), 2)) if rated else None
    level = None
    if completeness == "complete" and mean is not None:
        level = level_for(scale.levels, total if scale.levels.basis == "total" else mean)
    minimum, maximum = float(len(scale.items)), 5.0 * len(scale.items)
    return ReviewScore(
        total=total,
        minimum=minimum,
        maximum=maximum,
        mean=mean,
        item_count=len(scale.items),
        rated_count=len(rated),
        completeness=completeness,
        level=level,
        sections=[
            _group(
                section.key,
                section.title,
                [i.key for i in scale.items if i.section == section.key],
                rated,
            )
            for section in scale.sections
        ],
        principles=[
            _group(
                principle.key,
                principle.title,
                [i.key for i in scale.items if principle.key in i.principles],
                rated,
            )
            for principle in sorted(scale.principles, key=lambda p: p.number)
        ],
        not_rated=not_rated,
        unscored=unscored,
    )


def _sum(values: Iterable[float]) -> float:
    return float(to_precision(sum((Decimal(str(v)) for v in values), Decimal(0)), 2))


def _group_dict(group: GroupScore) -> dict[str, object]:
    return {
        "key": group.key,
        "item_count": group.item_count,
        "rated_count": group.rated_count,
        "total": group.total,
        "mean": group.mean,
    }


def _group(key: str, title: Text, item_keys: list[str], rated: Mapping[str, float]) -> GroupScore:
    scored = [rated[k] for k in item_keys if k in rated]
    total = _sum(scored)
    return GroupScore(
        key=key,
        title=title,
        item_count=len(item_keys),
        rated_count=len(scored),
        total=total,
        mean=float(to_precision(total / len(scored), 2)) if scored else None,
    )
