"""Two versions of a fidelity scale side by side: which items were added and removed, and
for each item both have (by key) whether it was reworded, re-banded, re-mapped to the
principles or moved, with the words that changed marked. Two versions of the
implementation-status instrument compare the same way, point by point: reworded (its own
words for the ladder's steps included), moved to another element, limited to other
programme types; and whether the status bands or the ladder differ. Plain functions over
the parsed definitions: no database, nothing stored.

An item is the same item in both versions when it has the same key; that is the promise
a key makes (README, *Scales*). Whether a reworded item still measures the same thing is
the expert panel's call, not this module's: it says what changed, in words.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from app.scales.implementation import ImplementationDefinition, ImplementationItem
from app.scales.schema import Item, ScaleDefinition, Text

Language = Literal["da", "en"]
Mark = Literal["same", "removed", "added"]
ItemState = Literal["added", "removed", "changed", "same"]
_WORDS = re.compile(r"\s+|[^\s]+")


@dataclass(frozen=True)
class Reworded:
    """One text of an item that reads differently: which (``title``, ``description``,
    ``anchor 3``, ``checklist nurse``, ``banding label``, a point's ``step 3``), in which
    language, and its words marked as kept, removed or added."""

    what: str
    language: Language
    before: str
    after: str

    def marked(self) -> list[tuple[Mark, str]]:
        """The text as runs of words kept, removed and added, in reading order."""
        old, new = _WORDS.findall(self.before), _WORDS.findall(self.after)
        runs: list[tuple[Mark, str]] = []
        matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                runs.append(("same", "".join(old[i1:i2])))
                continue
            if i2 > i1:
                runs.append(("removed", "".join(old[i1:i2])))
            if j2 > j1:
                runs.append(("added", "".join(new[j1:j2])))
        return runs


@dataclass(frozen=True)
class ItemChange:
    """What became of one item key from one version to the other."""

    key: str
    before: Item | ImplementationItem | None
    after: Item | ImplementationItem | None
    reworded: list[Reworded] = field(default_factory=list)
    rebanded: bool = False  # how its score is worked out: kind, levels' bands, ticks' scores
    principles: tuple[list[str], list[str]] | None = None  # before, after; None: the same
    section: tuple[str, str] | None = None  # a point's element
    evidence: tuple[list[str], list[str]] | None = None  # the sources a reviewer uses
    number: tuple[int, int] | None = None  # said, but alone not a change of the item
    program_types: tuple[list[str], list[str]] | None = None  # a point's; [] is every type

    @property
    def meaning_changed(self) -> bool:
        """Whether what the item measures may have changed: its words or how it is scored
        (principles, section and sources aside)."""
        return bool(self.reworded or self.rebanded)

    @property
    def state(self) -> ItemState:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        changed = (
            self.reworded
            or self.rebanded
            or self.principles
            or self.section
            or self.evidence
            or self.program_types
        )
        return "changed" if changed else "same"


@dataclass(frozen=True)
class Comparison:
    """Two versions compared, item by item (the newer version's order, then what it no
    longer has), with what changed about the scale as a whole."""

    before: ScaleDefinition | ImplementationDefinition
    after: ScaleDefinition | ImplementationDefinition
    items: list[ItemChange]
    levels_changed: bool  # an instrument's: its status bands
    threshold: tuple[int, int] | None
    ladder_changed: bool = False  # an instrument's shared words for the steps
    # the version's other parts that differ, each with the keys of its entries that were
    # added, removed or changed (none for a text): ("source", []), ("team_inputs", [...])
    parts: list[tuple[str, list[str]]] = field(default_factory=list)

    @property
    def instrument(self) -> bool:
        """Whether two versions of the implementation-status instrument are compared."""
        return isinstance(self.after, ImplementationDefinition)

    def count(self, state: ItemState) -> int:
        return sum(1 for item in self.items if item.state == state)

    @property
    def reworded(self) -> int:
        return sum(1 for item in self.items if item.reworded)

    @property
    def rebanded(self) -> int:
        return sum(1 for item in self.items if item.rebanded)

    @property
    def remapped(self) -> int:
        return sum(1 for item in self.items if item.principles)

    def principle_names(self, keys: list[str], language: Language) -> str:
        """Principles by number and title ("3. Integration …"), as either version names
        them; a key neither knows, as it is."""
        titles = {
            p.key: f"{p.number}. {p.title.get(language)}"
            for version in (self.before, self.after)
            if isinstance(version, ScaleDefinition)
            for p in version.principles
        }
        return "; ".join(titles.get(key, key) for key in keys)

    def section_name(self, key: str, language: Language) -> str:
        """A section's title (a point's element's, by number and title)."""
        titles: dict[str, str] = {}
        for version in (self.before, self.after):
            if isinstance(version, ScaleDefinition):
                titles |= {s.key: s.title.get(language) for s in version.sections}
            else:
                titles |= {e.key: f"{e.number}. {e.title.get(language)}" for e in version.elements}
        return titles.get(key, key)

    def other_language_only(self, item: ItemChange, language: Language) -> bool:
        """Whether an item's words changed only in the other language."""
        return bool(item.reworded) and all(r.language != language for r in item.reworded)


def compare(before: ScaleDefinition, after: ScaleDefinition) -> Comparison:
    """``before`` and ``after`` compared by item key."""
    old = {item.key: item for item in before.items}
    new = {item.key: item for item in after.items}
    items = [_item(old.get(item.key), item) for item in after.items]
    items += [ItemChange(key, item, None) for key, item in old.items() if key not in new]
    threshold = before.recommendation_threshold, after.recommendation_threshold
    return Comparison(
        before=before,
        after=after,
        items=items,
        levels_changed=_bands(before) != _bands(after),
        threshold=threshold if threshold[0] != threshold[1] else None,
        parts=_parts(before, after, ("sections", "principles")),
    )


def compare_instruments(
    before: ImplementationDefinition, after: ImplementationDefinition
) -> Comparison:
    """Two versions of the implementation-status instrument compared by point key."""
    old = {point.key: point for point in before.items}
    new = {point.key: point for point in after.items}
    items = [_point(before, old.get(point.key), after, point) for point in after.items]
    items += [ItemChange(key, point, None) for key, point in old.items() if key not in new]
    return Comparison(
        before=before,
        after=after,
        items=items,
        levels_changed=_status_bands(before) != _status_bands(after),
        threshold=None,
        ladder_changed=before.ladder != after.ladder,
        parts=_parts(before, after, ("elements", "team_inputs", "documents"))
        + ([("status_names", [])] if _status_names(before) != _status_names(after) else []),
    )


def compare_definitions(
    before: ScaleDefinition | ImplementationDefinition,
    after: ScaleDefinition | ImplementationDefinition,
) -> Comparison | None:
    """Two versions of one kind compared (two scales, or two instruments); None for a
    scale beside an instrument, which have nothing to compare."""
    if isinstance(before, ScaleDefinition) and isinstance(after, ScaleDefinition):
        return compare(before, after)
    if isinstance(before, ImplementationDefinition) and isinstance(after, ImplementationDefinition):
        return compare_instruments(before, after)
    return None


def comparable_keys(one: ScaleDefinition, other: ScaleDefinition) -> frozenset[str]:
    """The items whose scores in ``one`` and ``other`` may be compared (the trend charts'
    question): within a version, all; across versions, those with the same key whose words
    and scoring are the same, and those the panel marked comparable in the newer version's
    crosswalk over the older."""
    if one is other or (one.key == other.key and one.version == other.version):
        return frozenset(item.key for item in one.items)
    marked: set[str] = set()
    for newer, older in ((one, other), (other, one)):
        crosswalk = newer.crosswalk
        if crosswalk is not None and newer.key == older.key and crosswalk.base == older.version:
            marked.update(crosswalk.comparable)
    theirs = {item.key: item for item in other.items}
    return frozenset(
        item.key
        for item in one.items
        if item.key in theirs
        and (item.key in marked or not _item(theirs[item.key], item).meaning_changed)
    )


def _item(before: Item | None, after: Item) -> ItemChange:
    if before is None:
        return ItemChange(after.key, None, after)
    principles = (list(before.principles), list(after.principles))
    return ItemChange(
        key=after.key,
        before=before,
        after=after,
        reworded=_reworded(before, after),
        rebanded=_scoring(before) != _scoring(after),
        principles=principles if set(principles[0]) != set(principles[1]) else None,
        section=(before.section, after.section) if before.section != after.section else None,
        evidence=(list(before.evidence), list(after.evidence))
        if set(before.evidence) != set(after.evidence)
        else None,
        number=(before.number, after.number) if before.number != after.number else None,
    )


def _point(
    old: ImplementationDefinition,
    before: ImplementationItem | None,
    new: ImplementationDefinition,
    after: ImplementationItem,
) -> ItemChange:
    if before is None:
        return ItemChange(after.key, None, after)
    # The elements keep their place: a point is moved when its element's number changes
    # (an element given a new key is not a move).
    was, now = old.element_of(before.key), new.element_of(after.key)
    elements = (was.key, now.key) if was.number != now.number else None
    types: tuple[list[str], list[str]] = (
        list(before.program_types or []),
        list(after.program_types or []),
    )
    return ItemChange(
        key=after.key,
        before=before,
        after=after,
        reworded=_reworded_texts(_point_texts(before), _point_texts(after)),
        section=elements,
        program_types=types if set(types[0]) != set(types[1]) else None,
        number=(before.number, after.number) if before.number != after.number else None,
    )


def _parts(
    before: ScaleDefinition | ImplementationDefinition,
    after: ScaleDefinition | ImplementationDefinition,
    keyed: tuple[str, ...],
) -> list[tuple[str, list[str]]]:
    """The version's own parts that differ: its title, source and programme types, and
    each list of ``keyed`` entries (sections, elements, the team's figures …) with the
    keys of those added, removed or changed (an element's points aside: they are
    compared one by one)."""
    found: list[tuple[str, list[str]]] = [
        (name, [])
        for name in ("title", "source", "program_types")
        if getattr(before, name) != getattr(after, name)
    ]
    for name in keyed:
        old = {entry.key: _without_items(entry) for entry in getattr(before, name)}
        new = {entry.key: _without_items(entry) for entry in getattr(after, name)}
        keys = [key for key in new if old.get(key) != new[key]]
        keys += [key for key in old if key not in new]
        if keys:
            found.append((name, keys))
    return found


def _status_names(instrument: ImplementationDefinition) -> object:
    return [(band.key, band.title) for band in instrument.status.bands]


def _without_items(entry: Any) -> object:
    return entry.model_dump(exclude={"items"})


def _point_texts(point: ImplementationItem) -> dict[str, Text]:
    """Every text of a point a team and its reviewers read: its own words for steps too."""
    texts = {"title": point.title, "description": point.description}
    for step, words in sorted((point.levels or {}).items()):
        texts[f"step {step}"] = words
    return texts


def _status_bands(instrument: ImplementationDefinition) -> object:
    """How a mean of maturity ratings becomes a status, the statuses' names aside."""
    status = instrument.status
    return status.precision, sorted((band.key, band.min, band.max) for band in status.bands)


def _bands(scale: ScaleDefinition) -> object:
    """How a total or mean becomes a level, the levels' names aside."""
    levels = scale.levels
    return (
        levels.basis,
        levels.precision,
        sorted((band.key, band.min, band.max) for band in levels.bands),
    )


def _texts(item: Item) -> dict[str, Text]:
    """Every text of an item that a reviewer reads, by what it is."""
    texts = {"title": item.title, "description": item.description}
    for level, anchor in sorted((item.anchors or {}).items()):
        texts[f"anchor {level}"] = anchor
    if item.banding is not None:
        texts["banding label"] = item.banding.label
        texts["banding unit"] = item.banding.unit
    if item.checklist is not None:
        for entry in item.checklist.entries:
            texts[f"checklist {entry.key}"] = entry.text
    if item.target is not None:
        texts["target"] = item.target.label
        texts["target met"] = item.target.met
        texts["target cases"] = item.target.cases
    return texts


def _reworded(before: Item, after: Item) -> list[Reworded]:
    return _reworded_texts(_texts(before), _texts(after))


def _reworded_texts(old: dict[str, Text], new: dict[str, Text]) -> list[Reworded]:
    found = []
    for what in [*new, *(w for w in old if w not in new)]:
        for language in ("da", "en"):
            was = getattr(old[what], language) if what in old else ""
            now = getattr(new[what], language) if what in new else ""
            if was != now:
                found.append(Reworded(what, language, was, now))
    return found


def _scoring(item: Item) -> object:
    """What an item's score is worked out from, its wording aside."""
    banding = item.banding
    checklist = item.checklist
    return (
        item.kind,
        item.per_consultant,
        sorted(item.anchors or {}),
        None
        if banding is None
        else (banding.precision, banding.minimum, banding.maximum, banding.bands),
        None
        if checklist is None
        else ([entry.key for entry in checklist.entries], sorted(checklist.scores.items())),
        None
        if item.target is None
        else (item.target.share, item.target.precision, item.target.bands),
    )
