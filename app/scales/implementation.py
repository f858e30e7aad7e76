"""The implementation-status instrument: a scale file of its own kind.

The yearly measurement asks how far a municipality has come with the five
implementation elements (the IPS principles in practice, leadership and cooperation,
the team's organisation, training and supervision, data and evaluation). Each element
holds items, the strategy points a municipality must have, and each item is rated on a
maturity ladder (1 not started … 5 in place and followed up). An element's status, and
the overall one, is a band the file declares on the mean of its ratings.

The same file declares the team's own part of the measurement: the figures a team
reports for a stated period (each with its unit, precision and range, and the banded
fidelity items it is the figure of), and the documents the team may show the reviewers.
A file of this kind says ``kind: implementation``; fidelity scales have no ``kind``.

Like a fidelity scale, the file is data: field rules on the models, cross-field rules in
:func:`rule_problems`, reported per location so the loader prints ``file:line``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, model_validator

from app.scales.schema import (
    SCORE_LEVELS,
    Bound,
    Key,
    LevelBand,
    Loc,
    ProgramType,
    Text,
    Title,
    _duplicates,
    _inexact,
    _step,
    _Strict,
    refuse_broken_rules,
    to_precision,
)

MATURITY_LEVELS = SCORE_LEVELS


class StatusBands(_Strict):
    """How the mean of maturity ratings maps to a status ("not started" … "sustained").

    ``precision`` is the number of decimals the bands are written with and the mean is
    rounded to (half up) before it is placed; the bands must cover 1 to 5 without gaps.
    """

    precision: int = Field(default=1, ge=0, le=2)
    bands: list[LevelBand] = Field(min_length=2)


class ImplementationItem(_Strict):
    """One strategy point, rated on the maturity ladder.

    ``levels`` describes the ladder's steps in this item's own words where the shared
    ladder's words are too general; steps it leaves out read as the shared ladder."""

    key: Key
    number: int = Field(ge=1)
    title: Text
    description: Text
    program_types: list[ProgramType] | None = None
    levels: dict[int, Text] | None = None


class Element(_Strict):
    """One of the five implementation elements, with its strategy points."""

    key: Key
    number: int = Field(ge=1)
    title: Text
    description: Text
    items: list[ImplementationItem] = Field(min_length=1)


class TeamInput(_Strict):
    """A figure the team reports before the visit, for a stated period.

    ``fidelity_items`` names the banded fidelity items whose raw figure this is (by item
    key, so it holds for every scale version that has the item); the reviewers see the
    figure, and the score it would give, on those items. ``per_consultant`` asks for one
    figure per consultant, as per-consultant items are scored."""

    key: Key
    label: Text
    unit: Text
    period: Text
    precision: int = Field(default=0, ge=0, le=2)
    minimum: Bound
    maximum: Bound
    per_consultant: bool = False
    fidelity_items: list[Key] = Field(default_factory=list)


class Document(_Strict):
    """A kind of document the team may let the reviewers see."""

    key: Key
    title: Text


class ImplementationDefinition(_Strict):
    """One version of the implementation-status instrument, exactly as its file states it."""

    kind: Literal["implementation"]
    key: Key
    version: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=32)]
    title: Title
    program_types: list[ProgramType] = Field(min_length=1)
    source: Text
    ladder: dict[int, Text]
    status: StatusBands
    elements: list[Element] = Field(min_length=1)
    team_inputs: list[TeamInput] = Field(default_factory=list)
    documents: list[Document] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_rules(self, info: ValidationInfo) -> ImplementationDefinition:
        # As for fidelity scales: a stored version is read back without rules added since.
        if info.context and info.context.get("stored"):
            return self
        refuse_broken_rules(rule_problems(self))
        return self

    @property
    def items(self) -> list[ImplementationItem]:
        """Every item, element by element."""
        return [item for element in self.elements for item in element.items]

    def items_for(self, program_type: str) -> list[ImplementationItem]:
        """The items a team of ``program_type`` is rated on."""
        return [item for item in self.items if applies(item, program_type)]

    def item(self, key: str) -> ImplementationItem:
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)

    def element_of(self, item_key: str) -> Element:
        for element in self.elements:
            if any(item.key == item_key for item in element.items):
                return element
        raise KeyError(item_key)

    def team_input(self, key: str) -> TeamInput:
        for entry in self.team_inputs:
            if entry.key == key:
                return entry
        raise KeyError(key)

    def input_for_item(self, fidelity_item: str) -> TeamInput | None:
        """The team's figure that feeds the fidelity item ``fidelity_item``, if any."""
        for entry in self.team_inputs:
            if fidelity_item in entry.fidelity_items:
                return entry
        return None

    def step_text(self, item: ImplementationItem, level: int) -> Text:
        """What ``level`` means for ``item``: its own words, else the shared ladder's."""
        if item.levels and level in item.levels:
            return item.levels[level]
        return self.ladder[level]


def applies(item: ImplementationItem, program_type: str) -> bool:
    """Whether a team of ``program_type`` is rated on ``item``."""
    return item.program_types is None or program_type in item.program_types


def rule_problems(instrument: ImplementationDefinition) -> list[tuple[Loc, str]]:
    """Every cross-field rule the instrument breaks, each with the location it concerns."""
    return [
        *_ladder_problems(instrument.ladder, ("ladder",), complete=True),
        *_status_problems(instrument.status),
        *_key_problems(instrument),
        *_item_problems(instrument),
        *_input_problems(instrument),
    ]


def _ladder_problems(ladder: dict[int, Text], loc: Loc, *, complete: bool) -> list[tuple[Loc, str]]:
    """Steps outside 1-5; and, for the shared ladder (``complete``), steps left out."""
    problems: list[tuple[Loc, str]] = []
    missing = sorted(set(MATURITY_LEVELS) - set(ladder))
    extra = sorted(set(ladder) - set(MATURITY_LEVELS))
    if missing and complete:
        problems.append(
            (loc, "the ladder misses step(s) " + ", ".join(map(str, missing)) + "; give 1 to 5")
        )
    if extra:
        problems.append((loc, "step(s) " + ", ".join(map(str, extra)) + " outside 1-5"))
    return problems


def _status_problems(status: StatusBands) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []
    loc: Loc = ("status", "bands")
    precision = status.precision
    for key in _duplicates([band.key for band in status.bands]):
        index = [band.key for band in status.bands].index(key)
        problems.append(((*loc, index, "key"), f"duplicate status key {key!r}"))
    for index, band in enumerate(status.bands):
        for bound in ("min", "max"):
            if _inexact(getattr(band, bound), precision):
                problems.append(
                    (
                        (*loc, index, bound),
                        f"{bound} {getattr(band, bound):g} has more decimals "
                        f"than precision {precision} allows",
                    )
                )
        if band.min > band.max:
            problems.append(((*loc, index), f"status band {band.min}-{band.max} has min above max"))
    spans = sorted(
        (to_precision(band.min, precision), to_precision(band.max, precision), index)
        for index, band in enumerate(status.bands)
    )
    low, high = to_precision(1, precision), to_precision(5, precision)
    if spans[0][0] != low:
        problems.append(
            ((*loc, spans[0][2], "min"), f"status bands start at {spans[0][0]}, not at {low}")
        )
    if spans[-1][1] != high:
        problems.append(
            ((*loc, spans[-1][2], "max"), f"status bands end at {spans[-1][1]}, not at {high}")
        )
    for (_, prev_end, _), (start, _, index) in zip(spans, spans[1:], strict=False):
        if start <= prev_end:
            problems.append(
                ((*loc, index, "min"), f"status band at {start} overlaps the one ending {prev_end}")
            )
        elif start != prev_end + _step(precision):
            problems.append(
                (
                    (*loc, index, "min"),
                    f"gap between status bands: nothing covers "
                    f"{prev_end + _step(precision)}-{start - _step(precision)}",
                )
            )
    return problems


def _key_problems(instrument: ImplementationDefinition) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []
    seen_keys: set[str] = set()
    seen_numbers: set[int] = set()
    for e_index, element in enumerate(instrument.elements):
        for i_index, item in enumerate(element.items):
            loc: Loc = ("elements", e_index, "items", i_index)
            if item.key in seen_keys:
                problems.append(((*loc, "key"), f"duplicate item key {item.key!r}"))
            if item.number in seen_numbers:
                problems.append(((*loc, "number"), f"duplicate item number {item.number}"))
            seen_keys.add(item.key)
            seen_numbers.add(item.number)
    numbers = [item.number for item in instrument.items]
    if len(set(numbers)) == len(numbers) and numbers != list(range(1, len(numbers) + 1)):
        problems.append((("elements",), "item numbers must run 1, 2, 3 … in the file's order"))
    for field in ("elements", "team_inputs", "documents"):
        keys = [entry.key for entry in getattr(instrument, field)]
        for index, key in enumerate(keys):
            if key in keys[:index]:
                problems.append(((field, index, "key"), f"duplicate {field[:-1]} key {key!r}"))
    element_numbers = [element.number for element in instrument.elements]
    if element_numbers != list(range(1, len(element_numbers) + 1)):
        problems.append((("elements",), "element numbers must run 1, 2, 3 … in the file's order"))
    return problems


def _item_problems(instrument: ImplementationDefinition) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []
    allowed = set(instrument.program_types)
    for e_index, element in enumerate(instrument.elements):
        for i_index, item in enumerate(element.items):
            loc: Loc = ("elements", e_index, "items", i_index)
            if item.levels is not None:
                problems += _ladder_problems(item.levels, (*loc, "levels"), complete=False)
            for p_index, program_type in enumerate(item.program_types or []):
                if program_type not in allowed:
                    problems.append(
                        (
                            (*loc, "program_types", p_index),
                            f"{program_type!r} is not among the instrument's program types",
                        )
                    )
        for program_type in instrument.program_types:
            if not any(applies(item, program_type) for item in element.items):
                problems.append(
                    (("elements", e_index), f"no item of this element applies to {program_type!r}")
                )
    return problems


def _input_problems(instrument: ImplementationDefinition) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []
    claimed: dict[str, str] = {}
    for index, entry in enumerate(instrument.team_inputs):
        loc: Loc = ("team_inputs", index)
        for bound in ("minimum", "maximum"):
            if _inexact(getattr(entry, bound), entry.precision):
                problems.append(
                    (
                        (*loc, bound),
                        f"{bound} {getattr(entry, bound):g} has more decimals "
                        f"than precision {entry.precision} allows",
                    )
                )
        if entry.minimum >= entry.maximum:
            problems.append(((*loc, "maximum"), "maximum must lie above minimum"))
        for f_index, item_key in enumerate(entry.fidelity_items):
            if item_key in claimed:
                problems.append(
                    (
                        (*loc, "fidelity_items", f_index),
                        f"fidelity item {item_key!r} already takes its figure "
                        f"from team input {claimed[item_key]!r}",
                    )
                )
            claimed[item_key] = entry.key
    return problems
