"""The scale-file schema: one Pydantic model that every scale version must satisfy.

A scale version (``scales/<key>/<version>.yaml``) is data, not code. Field-level rules
(types, ranges, unknown fields) live on the models; the rules that span several fields
(unique keys, contiguous bands, every principle used) live in :func:`rule_problems`, which
the model runs after it has parsed. Each rule problem carries the location of the field
it concerns, so the file loader can print ``file:line: message`` for every one of them
instead of stopping at the first.
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

Key = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
# A bound or figure: a finite number of sensible size (days, counts, shares, totals).
FIGURE_LIMIT = 1_000_000
Bound = Annotated[float, Field(allow_inf_nan=False, ge=-FIGURE_LIMIT, le=FIGURE_LIMIT)]
Score = Annotated[int, Field(strict=True, ge=1, le=5)]
EvidenceSource = Literal["MIS", "DOC", "INT", "OBS", "ISP"]
ProgramType = Literal["ips", "ips_lignende"]
ItemKind = Literal["anchored", "banded", "checklist", "target"]
Loc = tuple[str | int, ...]

SCORE_LEVELS = (1, 2, 3, 4, 5)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Characters a text is never written with (a tab and line breaks are): a file's reader
# refuses them, and a form's must too, or a page would carry them (a NUL is not HTML and
# PostgreSQL's JSON refuses it).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Text(_Strict):
    """A text in both interface languages."""

    da: str = Field(min_length=1)
    en: str = Field(min_length=1)

    @field_validator("da", "en")
    @classmethod
    def _printable(cls, text: str) -> str:
        found = CONTROL_CHARACTERS.search(text)
        if found:
            raise PydanticCustomError(
                "control_character",
                "the control character {code} cannot stand in a text",
                {"code": f"#x{ord(found.group()):04x}"},
            )
        return text

    def get(self, language: str) -> str:
        return self.en if language == "en" else self.da


TITLE_LIMIT = 300  # characters of a version's title, as the list of versions keeps it


class Title(Text):
    """A version's title in both languages, of a length the list of versions holds."""

    da: str = Field(min_length=1, max_length=TITLE_LIMIT)
    en: str = Field(min_length=1, max_length=TITLE_LIMIT)


class Section(_Strict):
    key: Key
    title: Text


class Principle(_Strict):
    key: Key
    number: int = Field(ge=1)
    title: Text


class LevelBand(_Strict):
    """A fidelity level: the scores from ``min`` to ``max`` (inclusive) earn ``title``."""

    key: Key
    min: Bound
    max: Bound
    title: Text


class Levels(_Strict):
    """How a total (or an item mean) maps to a fidelity level.

    ``precision`` is the number of decimals the bands are written with: 0 for totals
    such as 100-114, 1 for means such as 3.0-3.9. Bands must meet exactly at that
    precision (114 then 115; 3.9 then 4.0). A value that falls between two written
    bands, such as a total of 99.5 made possible by per-consultant averages, belongs
    to the lower band: the next level starts at its written minimum.
    """

    basis: Literal["total", "mean"]
    precision: int = Field(default=0, ge=0, le=2)
    bands: list[LevelBand] = Field(min_length=1)


class ScoreBand(_Strict):
    """Raw figures from ``min`` to ``max`` (inclusive; open where omitted) score ``score``."""

    score: Score
    min: Bound | None = None
    max: Bound | None = None


class Banding(_Strict):
    """How a raw figure (a count, a share, a number of days) maps to a score."""

    label: Text
    unit: Text
    precision: int = Field(default=0, ge=0, le=2)
    minimum: Bound | None = None
    maximum: Bound | None = None
    bands: list[ScoreBand] = Field(min_length=2)


class ChecklistEntry(_Strict):
    key: Key
    text: Text


class Checklist(_Strict):
    """Practices the reviewer ticks; the number ticked maps to a score."""

    entries: list[ChecklistEntry] = Field(min_length=1)
    scores: dict[int, Score]


class Target(_Strict):
    """A process target, as other STAR programmes state fidelity: the share of cases that
    met it (``met`` of ``cases``), against the share aimed for (``share``, in per cent).
    The score is the band of how much of the target was reached: the share reached as a
    percentage of ``share``, rounded (half up) to ``precision`` decimals, so 100 is the
    target met and 90 nine tenths of it. ``bands`` are on that percentage, from 0 up;
    the highest may stay open, as reaching beyond the target is still reaching it."""

    label: Text
    met: Text
    cases: Text
    share: Annotated[float, Field(allow_inf_nan=False, gt=0, le=100)]
    precision: int = Field(default=0, ge=0, le=2)
    bands: list[ScoreBand] = Field(min_length=2)

    def as_banding(self) -> Banding:
        """The bands as a banding of the percentage reached (which starts at 0)."""
        unit = Text(da="% af målet", en="% of the target")
        return Banding(
            label=self.label, unit=unit, precision=self.precision, minimum=0, bands=self.bands
        )


class Item(_Strict):
    key: Key
    number: int = Field(ge=1)
    section: Key
    principles: list[Key] = Field(min_length=1)
    title: Text
    description: Text
    evidence: list[EvidenceSource] = Field(min_length=1)
    kind: ItemKind
    per_consultant: bool = False
    anchors: dict[int, Text] | None = None
    banding: Banding | None = None
    checklist: Checklist | None = None
    target: Target | None = None


class Crosswalk(_Strict):
    """The expert panel's word on which items still measure what they measured in an
    earlier version, ``base``, although their words or bands changed. An item with the
    same key and the same meaning is comparable anyway; an item listed here keeps its key
    across a rewording, and the trend charts go on comparing it. Any other reworded item
    needs a new key."""

    base: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=32)]
    comparable: list[Key] = Field(default_factory=list)


class ScaleDefinition(_Strict):
    """One version of one fidelity scale, exactly as its YAML file states it."""

    key: Key
    version: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=32)]
    title: Title
    program_types: list[ProgramType] = Field(min_length=1)
    source: Text
    recommendation_threshold: Score
    sections: list[Section] = Field(min_length=1)
    principles: list[Principle] = Field(min_length=1)
    levels: Levels
    items: list[Item] = Field(min_length=1)
    crosswalk: Crosswalk | None = None

    @model_validator(mode="after")
    def _check_rules(self, info: ValidationInfo) -> ScaleDefinition:
        # A stored, published version was checked when it was published; reading it back
        # must not apply rules added since, or old reviews would stop opening.
        if info.context and info.context.get("stored"):
            return self
        refuse_broken_rules(rule_problems(self))
        return self

    @property
    def score_range(self) -> tuple[float, float]:
        """The lowest and highest value the level bands must cover."""
        if self.levels.basis == "mean":
            return 1.0, 5.0
        return float(len(self.items)), 5.0 * len(self.items)

    def item(self, key: str) -> Item:
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)


def refuse_broken_rules(problems: list[tuple[Loc, str]]) -> None:
    """Raise the broken cross-field rules as one validation error, each problem with its
    location, which the loader turns into ``file:line`` messages."""
    if problems:
        raise PydanticCustomError(
            "scale_rules",
            "{count} scale rule(s) broken",
            {"count": len(problems), "problems": problems},
        )


def _step(precision: int) -> Decimal:
    return Decimal(1).scaleb(-precision)


def to_precision(value: float | Decimal, precision: int) -> Decimal:
    """``value`` rounded half up to ``precision`` decimals: the one rounding rule for figures,
    bands and averages, shared by validation and scoring."""
    return Decimal(str(value)).quantize(_step(precision), rounding=ROUND_HALF_UP)


def _inexact(value: float | None, precision: int) -> bool:
    """True when ``value`` is written with more decimals than ``precision`` allows."""
    return value is not None and Decimal(str(value)) != to_precision(value, precision)


def _duplicates(values: list[Any]) -> set[Any]:
    return {value for value, count in Counter(values).items() if count > 1}


def rule_problems(scale: ScaleDefinition) -> list[tuple[Loc, str]]:
    """Every cross-field rule the scale breaks, each with the location it concerns."""
    problems: list[tuple[Loc, str]] = []
    problems += _key_problems(scale)
    problems += _reference_problems(scale)
    problems += _level_problems(scale)
    problems += _crosswalk_problems(scale)
    for index, item in enumerate(scale.items):
        problems += [(("items", index, *loc), msg) for loc, msg in _item_problems(item)]
    return problems


def _key_problems(scale: ScaleDefinition) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []
    for field, attr in (
        ("items", "key"),
        ("items", "number"),
        ("sections", "key"),
        ("principles", "key"),
        ("principles", "number"),
    ):
        values = [getattr(entry, attr) for entry in getattr(scale, field)]
        seen: set[Any] = set()
        for index, value in enumerate(values):
            if value in seen:
                problems.append(((field, index, attr), f"duplicate {field[:-1]} {attr} {value!r}"))
            seen.add(value)
    numbers = [item.number for item in scale.items]
    if not _duplicates(numbers) and sorted(numbers) != list(range(1, len(numbers) + 1)):
        problems.append((("items",), "item numbers must run 1, 2, 3 … without gaps"))
    return problems


def _reference_problems(scale: ScaleDefinition) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []
    sections = {section.key for section in scale.sections}
    principles = {principle.key for principle in scale.principles}
    for index, item in enumerate(scale.items):
        if item.section not in sections:
            problems.append(
                (
                    ("items", index, "section"),
                    f"unknown section {item.section!r}; "
                    f"the scale defines {', '.join(sorted(sections))}",
                )
            )
        for p_index, key in enumerate(item.principles):
            if key not in principles:
                problems.append(
                    (("items", index, "principles", p_index), f"unknown principle {key!r}")
                )
    used_sections = {item.section for item in scale.items}
    used_principles = {key for item in scale.items for key in item.principles}
    for index, section in enumerate(scale.sections):
        if section.key not in used_sections:
            problems.append((("sections", index), f"no item belongs to section {section.key!r}"))
    for index, principle in enumerate(scale.principles):
        if principle.key not in used_principles:
            problems.append((("principles", index), f"no item maps to principle {principle.key!r}"))
    return problems


def _crosswalk_problems(scale: ScaleDefinition) -> list[tuple[Loc, str]]:
    crosswalk = scale.crosswalk
    if crosswalk is None:
        return []
    problems: list[tuple[Loc, str]] = []
    if crosswalk.base == scale.version:
        problems.append(
            (("crosswalk", "base"), "the crosswalk's base must be an earlier version, not this one")
        )
    items = {item.key for item in scale.items}
    for index, key in enumerate(crosswalk.comparable):
        if key not in items:
            problems.append(
                (("crosswalk", "comparable", index), f"{key!r} is not an item of this version")
            )
        elif key in crosswalk.comparable[:index]:
            problems.append((("crosswalk", "comparable", index), f"{key!r} is listed twice"))
    return problems


def _level_problems(scale: ScaleDefinition) -> list[tuple[Loc, str]]:
    levels = scale.levels
    low, high = scale.score_range
    loc: Loc = ("levels", "bands")
    problems: list[tuple[Loc, str]] = []
    for index, key in enumerate(band.key for band in levels.bands):
        if key in {band.key for band in levels.bands[:index]}:
            problems.append(((*loc, index, "key"), f"duplicate level key {key!r}"))
    spans = [
        (to_precision(band.min, levels.precision), to_precision(band.max, levels.precision), index)
        for index, band in enumerate(levels.bands)
    ]
    for index, band in enumerate(levels.bands):
        for bound in ("min", "max"):
            if _inexact(getattr(band, bound), levels.precision):
                problems.append(
                    (
                        (*loc, index, bound),
                        f"{bound} {getattr(band, bound):g} has "
                        f"more decimals than precision {levels.precision} allows",
                    )
                )
    for start, end, index in spans:
        if start > end:
            problems.append(((*loc, index), f"level band {start}-{end} has min above max"))
    spans.sort()
    bounds = f"{to_precision(low, levels.precision)}-{to_precision(high, levels.precision)}"
    if spans[0][0] != to_precision(low, levels.precision):
        problems.append(
            (
                (*loc, spans[0][2], "min"),
                f"level bands start at {spans[0][0]} but the {levels.basis} can be as low as "
                f"{to_precision(low, levels.precision)}; the bands must cover {bounds}",
            )
        )
    if spans[-1][1] != to_precision(high, levels.precision):
        problems.append(
            (
                (*loc, spans[-1][2], "max"),
                f"level bands end at {spans[-1][1]} but the {levels.basis} can reach "
                f"{to_precision(high, levels.precision)}; the bands must cover {bounds}",
            )
        )
    step = _step(levels.precision)
    for (_, prev_end, _), (start, _, index) in zip(spans, spans[1:], strict=False):
        if start <= prev_end:
            problems.append(
                (
                    (*loc, index, "min"),
                    f"level band starting at {start} overlaps the band ending at {prev_end}",
                )
            )
        elif start != prev_end + step:
            problems.append(
                (
                    (*loc, index, "min"),
                    f"gap between level bands: nothing covers {prev_end + step}-{start - step}",
                )
            )
    return problems


def _item_problems(item: Item) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []
    required = {
        "anchored": "anchors",
        "banded": "banding",
        "checklist": "checklist",
        "target": "target",
    }[item.kind]
    if getattr(item, required) is None:
        problems.append(((required,), f"a {item.kind} item needs {required}"))
    for other, kind in (("banding", "banded"), ("checklist", "checklist"), ("target", "target")):
        if other != required and getattr(item, other) is not None:
            problems.append(
                ((other,), f"{other} belongs only on {kind} items, not on a {item.kind} item")
            )
    if item.kind == "target" and item.per_consultant:
        problems.append(
            (("per_consultant",), "a target item counts the team's cases; it is not per consultant")
        )
    if item.anchors is not None:
        missing = sorted(set(SCORE_LEVELS) - set(item.anchors))
        extra = sorted(set(item.anchors) - set(SCORE_LEVELS))
        if missing:
            problems.append(
                (
                    ("anchors",),
                    "anchors missing level(s) "
                    + ", ".join(map(str, missing))
                    + "; give all five, 1 to 5",
                )
            )
        if extra:
            problems.append(
                (("anchors",), "anchor level(s) " + ", ".join(map(str, extra)) + " outside 1-5")
            )
    if item.kind == "banded" and item.banding is not None:
        problems += [(("banding", *loc), msg) for loc, msg in banding_problems(item.banding)]
    if item.kind == "checklist" and item.checklist is not None:
        problems += [(("checklist", *loc), msg) for loc, msg in _checklist_problems(item.checklist)]
    if item.kind == "target" and item.target is not None:
        problems += [(("target", *loc), msg) for loc, msg in _target_problems(item.target)]
    return problems


def _target_problems(target: Target) -> list[tuple[Loc, str]]:
    """A target's share written finer than a tenth of a per cent, and its bands checked as
    a banding of the percentage reached (from 0, every value given one score)."""
    problems: list[tuple[Loc, str]] = []
    if _inexact(target.share, 1):
        problems.append((("share",), f"share {target.share:g} has more than one decimal"))
    for loc, message in banding_problems(target.as_banding()):
        problems.append((loc if loc != ("minimum",) else ("bands",), message))
    return problems


def banding_problems(banding: Banding) -> list[tuple[Loc, str]]:
    """What is wrong with a banding: bounds finer than its precision, bands that leave a
    figure without a score or give it two, scores that do not rise or fall steadily."""
    ordered = sorted(
        enumerate(banding.bands),
        key=lambda pair: (
            Decimal("-Infinity")
            if pair[1].min is None
            else to_precision(pair[1].min, banding.precision)
        ),
    )
    return [
        *_precision_problems(banding),
        *_end_problems(banding, ordered),
        *_neighbour_problems(banding.precision, ordered),
        *_score_order_problems([band.score for _, band in ordered]),
    ]


def _precision_problems(banding: Banding) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []
    precision = banding.precision
    for field in ("minimum", "maximum"):
        if _inexact(getattr(banding, field), precision):
            problems.append(
                (
                    (field,),
                    f"{field} {getattr(banding, field):g} has more decimals "
                    f"than precision {precision} allows",
                )
            )
    for index, band in enumerate(banding.bands):
        for bound in ("min", "max"):
            if _inexact(getattr(band, bound), precision):
                problems.append(
                    (
                        ("bands", index, bound),
                        f"{bound} {getattr(band, bound):g} "
                        f"has more decimals than precision {precision} allows",
                    )
                )
        if band.min is not None and band.max is not None and band.min > band.max:
            problems.append((("bands", index), f"band {band.min}-{band.max} has min above max"))
    return problems


def _end_problems(banding: Banding, ordered: list[tuple[int, ScoreBand]]) -> list[tuple[Loc, str]]:
    """The lowest band must reach down to the minimum, the highest up to the maximum."""
    problems: list[tuple[Loc, str]] = []
    precision = banding.precision
    first_index, first = ordered[0]
    last_index, last = ordered[-1]
    if first.min is not None and (
        banding.minimum is None
        or to_precision(first.min, precision) != to_precision(banding.minimum, precision)
    ):
        problems.append(
            (
                ("bands", first_index, "min"),
                f"the lowest band starts at {first.min}: leave its min out, or set "
                "banding.minimum to it, so every figure gets a score",
            )
        )
    if last.max is not None and (
        banding.maximum is None
        or to_precision(last.max, precision) != to_precision(banding.maximum, precision)
    ):
        problems.append(
            (
                ("bands", last_index, "max"),
                f"the highest band ends at {last.max}: leave its max out, or set "
                "banding.maximum to it, so every figure gets a score",
            )
        )
    return problems


def _neighbour_problems(
    precision: int, ordered: list[tuple[int, ScoreBand]]
) -> list[tuple[Loc, str]]:
    """Each band must start one step after the one below it ends: no gap, no overlap."""
    problems: list[tuple[Loc, str]] = []
    step = _step(precision)
    for (_, prev), (index, band) in zip(ordered, ordered[1:], strict=False):
        if prev.max is None or band.min is None:
            problems.append(
                (
                    ("bands", index),
                    "only the lowest band may omit min and only the highest may omit max",
                )
            )
            continue
        prev_end, start = to_precision(prev.max, precision), to_precision(band.min, precision)
        if start <= prev_end:
            problems.append(
                (
                    ("bands", index, "min"),
                    f"band starting at {start} overlaps the band ending at {prev_end}",
                )
            )
        elif start != prev_end + step:
            problems.append(
                (
                    ("bands", index, "min"),
                    f"gap between bands: no score for {prev_end + step}-{start - step} "
                    f"(bands are written with {precision} decimal(s))",
                )
            )
    return problems


def _score_order_problems(scores: list[int]) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []
    if scores != sorted(scores) and scores != sorted(scores, reverse=True):
        problems.append((("bands",), "scores must rise (or fall) steadily as the figure grows"))
    if len(set(scores)) != len(scores):
        problems.append((("bands",), "two bands give the same score; merge them"))
    return problems


def _checklist_problems(checklist: Checklist) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []
    keys = [entry.key for entry in checklist.entries]
    for index, key in enumerate(keys):
        if key in keys[:index]:
            problems.append((("entries", index, "key"), f"duplicate checklist entry {key!r}"))
    counts = range(len(checklist.entries) + 1)
    missing = [count for count in counts if count not in checklist.scores]
    extra = [count for count in checklist.scores if count not in counts]
    if missing:
        problems.append(
            (
                ("scores",),
                "no score for "
                + ", ".join(map(str, missing))
                + f" ticked; map every count from 0 to {len(checklist.entries)}",
            )
        )
    if extra:
        problems.append(
            (("scores",), "score given for impossible count(s) " + ", ".join(map(str, extra)))
        )
    mapped = [checklist.scores[count] for count in counts if count in checklist.scores]
    if mapped != sorted(mapped):
        problems.append((("scores",), "ticking more practices must never lower the score"))
    return problems
