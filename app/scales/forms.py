"""A scale version's parts as the fields of a form, and a form's fields back as scale data.

The workshop edits a draft in two forms: one for the scale as a whole (its texts, the
recommendation threshold, the level bands, the sections and principles and the
crosswalk) and one per item (its texts, anchors, banding or checklist, principles and
sources). A field is named by where its value lies, the parts of its location joined
with ``-``: ``title-da``, ``anchors-3-en``, ``banding-bands-1-min``. That makes a
problem the scale rules report at a location (``items.4.banding.bands.1.min``) land
beside the field it concerns (:func:`place_problems`).

Reading a form gives plain data for the one scale model to check, as a file's is
checked: no rule lives here. What cannot be read as a number is passed on as typed, so
the model says what is wrong with it where it stands. Rows left empty (a blank band,
checklist entry, level, section or principle: the form offers a spare one of each) are
left out. The form of an item read back gives the item again (tests/scales/test_forms.py
checks every item of every shipped scale).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from app.scales.schema import SCORE_LEVELS, Item, LevelBand, Loc, ScaleDefinition, ScoreBand

Values = dict[str, str | list[str]]
Form = Mapping[str, Sequence[str]]  # every value posted under each name
SPARE_ROWS = 2  # empty rows a form offers to add a band, an entry, a level, …
LANGUAGES = ("da", "en")
_TITLES = ("title-da", "title-en")
# Numbers as people type them, of a sensible length (anything longer goes to the model as
# typed, which refuses it where it stands).
_INT = re.compile(r"^[+-]?[0-9]{1,15}$")
_DECIMAL = re.compile(r"^[+-]?([0-9]{1,15}([.,][0-9]{0,15})?|[.,][0-9]{1,15})$")


def number_text(value: float | int | None) -> str:
    """A number as a form shows it: 20 not 20.0; nothing for none."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def text_values(prefix: str, text: Mapping[str, str] | None) -> Values:
    return {f"{prefix}-{lang}": (text or {}).get(lang, "") for lang in LANGUAGES}


# An item.


def item_values(item: Item) -> Values:
    """The fields of an item's form, filled with the item."""
    data = item.model_dump(mode="python", exclude_none=True)
    values: Values = {
        "key": item.key,
        "number": str(item.number),
        "section": item.section,
        "principles": list(item.principles),
        "evidence": list(item.evidence),
        "kind": item.kind,
        "per_consultant": "1" if item.per_consultant else "",
    }
    values |= text_values("title", data["title"])
    values |= text_values("description", data["description"])
    anchors = data.get("anchors", {})
    for level in SCORE_LEVELS:
        values |= text_values(f"anchors-{level}", anchors.get(level))
    banding = item.banding
    if banding is not None:
        values |= text_values("banding-label", data["banding"]["label"])
        values |= text_values("banding-unit", data["banding"]["unit"])
        values["banding-precision"] = str(banding.precision)
        values["banding-minimum"] = number_text(banding.minimum)
        values["banding-maximum"] = number_text(banding.maximum)
        values |= _band_values("banding-bands", banding.bands)
    target = item.target
    if target is not None:
        for part in ("label", "met", "cases"):
            values |= text_values(f"target-{part}", data["target"][part])
        values["target-share"] = number_text(target.share)
        values["target-precision"] = str(target.precision)
        values |= _band_values("target-bands", target.bands)
    checklist = item.checklist
    if checklist is not None:
        for index, entry in enumerate(checklist.entries):
            values[f"checklist-entries-{index}-key"] = entry.key
            values |= text_values(f"checklist-entries-{index}-text", entry.text.model_dump())
        for count, score in checklist.scores.items():
            values[f"checklist-scores-{count}"] = str(score)
    return values


def _band_values(prefix: str, bands: Sequence[ScoreBand]) -> Values:
    values: Values = {}
    for index, band in enumerate(bands):
        values[f"{prefix}-{index}-score"] = str(band.score)
        values[f"{prefix}-{index}-min"] = number_text(band.min)
        values[f"{prefix}-{index}-max"] = number_text(band.max)
    return values


def item_rows(values: Values) -> dict[str, int]:
    """How many rows of bands and checklist entries the form shows (those filled, and
    spare ones), and how many checklist counts it offers a score for."""
    bands = len(row_indexes(values, "banding-bands"))
    entries = len(row_indexes(values, "checklist-entries"))
    return {
        "bands": bands + SPARE_ROWS,
        "target_bands": len(row_indexes(values, "target-bands")) + SPARE_ROWS,
        "levels": len(row_indexes(values, "levels-bands")) + 1,  # on the add and remove forms
        "entries": entries + SPARE_ROWS,
        "counts": entries + SPARE_ROWS + 1,
    }


def item_from_form(form: Form, *, before: Item | None = None) -> dict[str, Any]:
    """The item a form describes, as plain data (unchecked). ``before`` keeps the order
    of the principles and sources the item already had."""
    get = getter(form)
    data: dict[str, Any] = {
        "key": get("key"),
        "number": number_of(get("number"), whole=True),
        "section": get("section"),
        "principles": ordered(form.get("principles", []), before.principles if before else []),
        "evidence": ordered(form.get("evidence", []), before.evidence if before else []),
        "title": text_of(get, "title"),
        "description": text_of(get, "description"),
        "kind": get("kind"),
        "per_consultant": bool(get("per_consultant")),
    }
    anchors = {
        level: text_of(get, f"anchors-{level}")
        for level in SCORE_LEVELS
        if any(get(f"anchors-{level}-{lang}") for lang in LANGUAGES)
    }
    if anchors:
        data["anchors"] = anchors
    # Only the posted kind's part: fields of the kind it had before (still on the page
    # when the kind was changed) are left behind.
    if data["kind"] == "banded":
        data["banding"] = _banding(form, get)
    if data["kind"] == "checklist":
        data["checklist"] = _checklist(form, get)
    if data["kind"] == "target":
        data["target"] = _target(form, get)
    return data


def _target(form: Form, get: Any) -> dict[str, Any]:
    target: dict[str, Any] = {
        part: text_of(get, f"target-{part}") for part in ("label", "met", "cases")
    }
    target["share"] = number_of(get("target-share"))
    target["precision"] = number_of(get("target-precision"), whole=True, blank=0)
    target["bands"] = _bands(form, get, "target-bands")
    return target


def _banding(form: Form, get: Any) -> dict[str, Any]:
    banding: dict[str, Any] = {
        "label": text_of(get, "banding-label"),
        "unit": text_of(get, "banding-unit"),
        "precision": number_of(get("banding-precision"), whole=True, blank=0),
    }
    for name in ("minimum", "maximum"):
        if get(f"banding-{name}"):
            banding[name] = number_of(get(f"banding-{name}"))
    banding["bands"] = _bands(form, get, "banding-bands")
    return banding


def _bands(form: Form, get: Any, prefix: str) -> list[dict[str, Any]]:
    """The score bands of a banding or a target; a row left empty is left out."""
    bands = []
    for index in row_indexes(form, prefix):
        row = {part: get(f"{prefix}-{index}-{part}") for part in ("score", "min", "max")}
        if not any(row.values()):
            continue
        band: dict[str, Any] = {"score": number_of(row["score"], whole=True)}
        for bound in ("min", "max"):
            if row[bound]:
                band[bound] = number_of(row[bound])
        bands.append(band)
    return bands


def _checklist(form: Form, get: Any) -> dict[str, Any]:
    entries = []
    for index in row_indexes(form, "checklist-entries"):
        prefix = f"checklist-entries-{index}"
        if not any(get(f"{prefix}-{part}") for part in ("key", "text-da", "text-en")):
            continue
        entries.append({"key": get(f"{prefix}-key"), "text": text_of(get, f"{prefix}-text")})
    scores = {
        int(name.rsplit("-", 1)[1]): number_of(get(name), whole=True)
        for name in form
        if re.fullmatch(r"checklist-scores-[0-9]{1,4}", name) and get(name)
    }
    return {"entries": entries, "scores": dict(sorted(scores.items()))}


# The scale as a whole.


def scale_values(scale: ScaleDefinition) -> Values:
    """The fields of the scale-wide form, filled with the scale."""
    data = scale.model_dump(mode="python", exclude_none=True)
    values: Values = {
        "program_types": list(scale.program_types),
        "recommendation_threshold": str(scale.recommendation_threshold),
        "levels-basis": scale.levels.basis,
        "levels-precision": str(scale.levels.precision),
        "crosswalk-base": scale.crosswalk.base if scale.crosswalk else "",
        "crosswalk-comparable": list(scale.crosswalk.comparable) if scale.crosswalk else [],
    }
    values |= text_values("title", data["title"])
    values |= text_values("source", data["source"])
    values |= named_band_values("levels-bands", scale.levels.bands)
    for index, section in enumerate(scale.sections):
        values[f"sections-{index}-key"] = section.key
        values |= text_values(f"sections-{index}-title", section.title.model_dump())
    for index, principle in enumerate(scale.principles):
        values[f"principles-{index}-key"] = principle.key
        values[f"principles-{index}-number"] = str(principle.number)
        values |= text_values(f"principles-{index}-title", principle.title.model_dump())
    return values


def scale_rows(values: Values) -> dict[str, int]:
    """How many rows of level bands, sections and principles the form shows."""
    return {
        "levels": len(row_indexes(values, "levels-bands")) + 1,
        "sections": len(row_indexes(values, "sections")) + 1,
        "principles": len(row_indexes(values, "principles")) + 1,
    }


def scale_from_form(form: Form, *, scale: ScaleDefinition) -> dict[str, Any]:
    """The whole scale as plain data: ``scale`` (the stored draft: key, version and items)
    with what the scale-wide form says in place of the rest."""
    get = getter(form)
    data = scale.model_dump(mode="json", exclude_none=True)
    data |= {
        "title": text_of(get, "title"),
        "source": text_of(get, "source"),
        "program_types": ordered(form.get("program_types", []), scale.program_types),
        "recommendation_threshold": number_of(get("recommendation_threshold"), whole=True),
        "levels": levels_from_form(form),
        "sections": [
            {"key": get(f"sections-{i}-key"), "title": text_of(get, f"sections-{i}-title")}
            for i in row_indexes(form, "sections")
            if row_filled(get, f"sections-{i}", ("key", "title-da", "title-en"))
        ],
        "principles": [
            {
                "key": get(f"principles-{i}-key"),
                "number": number_of(get(f"principles-{i}-number"), whole=True),
                "title": text_of(get, f"principles-{i}-title"),
            }
            for i in row_indexes(form, "principles")
            if row_filled(get, f"principles-{i}", ("key", "number", "title-da", "title-en"))
        ],
    }
    base = get("crosswalk-base")
    if base:
        data["crosswalk"] = {
            "base": base,
            "comparable": ordered(
                form.get("crosswalk-comparable", []),
                scale.crosswalk.comparable if scale.crosswalk else [],
            ),
        }
    else:
        data.pop("crosswalk", None)
    return data


def levels_values(scale: ScaleDefinition) -> Values:
    """The level fields of the scale-wide form alone (the forms that add or remove an
    item show them too when the levels are on the total, whose range then moves)."""
    return {
        name: value for name, value in scale_values(scale).items() if name.startswith("levels-")
    }


def levels_from_form(form: Form) -> dict[str, Any]:
    """The levels a form describes (a row left empty is left out)."""
    get = getter(form)
    return {
        "basis": get("levels-basis"),
        "precision": number_of(get("levels-precision"), whole=True, blank=0),
        "bands": named_bands(form, "levels-bands"),
    }


def named_band_values(prefix: str, bands: Sequence[LevelBand]) -> Values:
    """The fields of named bands (a scale's levels, an instrument's statuses): a row of
    key, lowest, highest and title each."""
    values: Values = {}
    for index, band in enumerate(bands):
        values[f"{prefix}-{index}-key"] = band.key
        values[f"{prefix}-{index}-min"] = number_text(band.min)
        values[f"{prefix}-{index}-max"] = number_text(band.max)
        values |= text_values(f"{prefix}-{index}-title", band.title.model_dump())
    return values


def named_bands(form: Form, prefix: str) -> list[dict[str, Any]]:
    """The named bands a form's rows describe (a row left empty is left out)."""
    get = getter(form)
    return [
        {
            "key": get(f"{prefix}-{i}-key"),
            "min": number_of(get(f"{prefix}-{i}-min")),
            "max": number_of(get(f"{prefix}-{i}-max")),
            "title": text_of(get, f"{prefix}-{i}-title"),
        }
        for i in row_indexes(form, prefix)
        if row_filled(get, f"{prefix}-{i}", ("key", "min", "max", *_TITLES))
    ]


def with_item_added(scale: ScaleDefinition, item: dict[str, Any]) -> dict[str, Any]:
    """The scale's data with ``item`` as its last item (numbered after the others)."""
    data = scale.model_dump(mode="json", exclude_none=True)
    data["items"].append({**item, "number": len(scale.items) + 1})
    return data


def with_item_removed(scale: ScaleDefinition, key: str) -> dict[str, Any]:
    """The scale's data without item ``key``: the items after it move up a number, and the
    crosswalk no longer names it."""
    data = scale.model_dump(mode="json", exclude_none=True)
    removed = scale.item(key).number
    data["items"] = [item for item in data["items"] if item["key"] != key]
    for item in data["items"]:
        if item["number"] > removed:
            item["number"] -= 1
    if "crosswalk" in data:
        data["crosswalk"]["comparable"] = [k for k in data["crosswalk"]["comparable"] if k != key]
    return data


# Problems beside their fields.


def field_name(loc: Loc) -> str:
    return "-".join(str(part) for part in loc)


def place_problems(
    problems: Iterable[tuple[Loc, str]], fields: Iterable[str], *, within: Loc = ()
) -> dict[str, list[str]]:
    """Each problem under the form's field it concerns: the field its location names, or
    the nearest one above it (a band's row, the bands, the banding); ``""`` for one the
    form has no field for (shown above the form). ``within`` is the part of the location
    the form stands for (``("items", 4)`` for an item's form)."""
    known = set(fields)
    placed: dict[str, list[str]] = {}
    for loc, message in problems:
        if tuple(loc[: len(within)]) != within:
            placed.setdefault("", []).append(message)
            continue
        rest = tuple(loc[len(within) :])
        target = ""
        for end in range(len(rest), 0, -1):
            name = field_name(rest[:end])
            if name in known:
                target = name
                break
        placed.setdefault(target, []).append(message)
    return placed


# Reading the posted values.


def getter(form: Form) -> Any:
    """A reader of the form's fields by name (the last value posted under a name)."""

    def get(name: str, *, exact: bool = False) -> str:
        """A field's value; a text area's (``exact``) as written, its line ends made
        plain, and any other without the spaces around it."""
        found = (form.get(name) or [""])[-1].replace("\r\n", "\n")
        return found if exact and found.strip() else found.strip()

    return get


# Texts written in a text area, which keep their line breaks (the scale's source, an
# item's description and anchors); titles and labels are one line.
_AREAS = ("source", "description", "anchors-")


def text_of(get: Any, prefix: str, *, area: bool | None = None) -> dict[str, str]:
    """A text in both languages from the fields ``{prefix}-da`` and ``{prefix}-en``; one
    written in a text area (``area``, or by its name) keeps its line breaks."""
    exact = prefix.startswith(_AREAS) if area is None else area
    return {lang: get(f"{prefix}-{lang}", exact=exact) for lang in LANGUAGES}


def number_of(text: str, *, whole: bool = False, blank: Any = None) -> Any:
    """``text`` as a number where it is one (a decimal comma read as a point), else as
    typed, for the model to refuse where it stands."""
    if text == "":
        return blank if blank is not None else text
    if _INT.match(text):
        return int(text)
    if not whole and _DECIMAL.match(text):
        return float(text.replace(",", "."))
    return text


def ordered(chosen: Sequence[str], before: Sequence[str]) -> list[str]:
    """The chosen values, those the item had before in their old order first."""
    picked = list(dict.fromkeys(chosen))
    return [v for v in before if v in picked] + [v for v in picked if v not in before]


def row_indexes(form: Form | Values, prefix: str) -> list[int]:
    """The row numbers a form has fields for under ``prefix`` (``bands-0-min`` is row 0)."""
    found = set()
    for name in form:
        match = re.fullmatch(rf"{re.escape(prefix)}-([0-9]{{1,4}})-.+", name)
        if match:
            found.add(int(match.group(1)))
    return sorted(found)


def row_filled(get: Any, prefix: str, parts: Sequence[str]) -> bool:
    """Whether any of a row's ``parts`` was filled in (an empty row is a spare one)."""
    return any(get(f"{prefix}-{part}") for part in parts)
