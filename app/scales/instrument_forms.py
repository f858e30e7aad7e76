"""An implementation-status instrument's parts as form fields, and the fields back as data.

The workshop edits an instrument draft as it edits a fidelity scale (app/scales/forms.py):
one form for the instrument as a whole (its texts, programme types, the maturity ladder,
the status bands, the five elements' texts, the team's figures and the documents) and one
per point (its texts, element, programme types and its own words for the ladder's steps).
Fields are named by where their value lies (``status-bands-1-min``,
``team_inputs-2-fidelity_items``), so a problem the instrument's rules report at a
location lands beside its field through :func:`app.scales.forms.place_problems`.

No rule lives here: what a form says goes to the one instrument model, exactly as a file's
content does. The elements are the concept's five and keep their place; a point moves
between them. Points are numbered 1, 2, 3 … through the elements, so a point added,
moved or removed renumbers the rest. The form of a point, or of the whole instrument,
read back gives it again (tests/scales/test_instrument_forms.py).
"""

from __future__ import annotations

import re
from typing import Any

from app.scales.forms import (
    Form,
    Values,
    getter,
    named_band_values,
    named_bands,
    number_of,
    number_text,
    ordered,
    row_filled,
    row_indexes,
    text_of,
    text_values,
)
from app.scales.implementation import MATURITY_LEVELS, ImplementationDefinition, ImplementationItem

# The parts of a team's figure, and of a document, as their fields name them.
_INPUT_TEXTS = ("label", "unit", "period")
_INPUT_NUMBERS = ("precision", "minimum", "maximum")
_SEPARATORS = re.compile(r"[\s,;]+")


# The instrument as a whole.


def instrument_values(instrument: ImplementationDefinition) -> Values:
    """The fields of the instrument-wide form, filled with the instrument."""
    data = instrument.model_dump(mode="python", exclude_none=True)
    values: Values = {
        "program_types": list(instrument.program_types),
        "status-precision": str(instrument.status.precision),
    }
    values |= text_values("title", data["title"])
    values |= text_values("source", data["source"])
    for level in MATURITY_LEVELS:
        values |= text_values(f"ladder-{level}", data["ladder"].get(level))
    values |= named_band_values("status-bands", instrument.status.bands)
    for index, element in enumerate(instrument.elements):
        prefix = f"elements-{index}"
        values[f"{prefix}-key"] = element.key
        values |= text_values(f"{prefix}-title", element.title.model_dump())
        values |= text_values(f"{prefix}-description", element.description.model_dump())
    for index, entry in enumerate(instrument.team_inputs):
        prefix = f"team_inputs-{index}"
        values[f"{prefix}-key"] = entry.key
        for part in _INPUT_TEXTS:
            values |= text_values(f"{prefix}-{part}", getattr(entry, part).model_dump())
        values[f"{prefix}-precision"] = str(entry.precision)
        values[f"{prefix}-minimum"] = number_text(entry.minimum)
        values[f"{prefix}-maximum"] = number_text(entry.maximum)
        values[f"{prefix}-per_consultant"] = "1" if entry.per_consultant else ""
        values[f"{prefix}-fidelity_items"] = ", ".join(entry.fidelity_items)
    for index, document in enumerate(instrument.documents):
        prefix = f"documents-{index}"
        values[f"{prefix}-key"] = document.key
        values |= text_values(f"{prefix}-title", document.title.model_dump())
    return values


def instrument_rows(values: Values, instrument: ImplementationDefinition) -> dict[str, int]:
    """How many rows of status bands, figures and documents the form shows (those filled
    and a spare one each); the elements are the instrument's own."""
    return {
        "status": len(row_indexes(values, "status-bands")) + 1,
        "elements": len(instrument.elements),
        "team_inputs": len(row_indexes(values, "team_inputs")) + 1,
        "documents": len(row_indexes(values, "documents")) + 1,
    }


def instrument_from_form(form: Form, *, instrument: ImplementationDefinition) -> dict[str, Any]:
    """The whole instrument as plain data (unchecked): ``instrument`` (the stored draft:
    its key, version and points) with what the form says in place of the rest."""
    get = getter(form)
    data = instrument.model_dump(mode="json", exclude_none=True)
    data |= {
        "title": text_of(get, "title"),
        "source": text_of(get, "source"),
        "program_types": ordered(form.get("program_types", []), instrument.program_types),
        "ladder": {
            level: text_of(get, f"ladder-{level}")
            for level in MATURITY_LEVELS
            if row_filled(get, f"ladder-{level}", ("da", "en"))
        },
        "status": {
            "precision": number_of(get("status-precision"), whole=True, blank=0),
            "bands": named_bands(form, "status-bands"),
        },
        "team_inputs": [
            _team_input(get, f"team_inputs-{i}")
            for i in row_indexes(form, "team_inputs")
            if row_filled(get, f"team_inputs-{i}", _INPUT_FIELDS)
        ],
        "documents": [
            {"key": get(f"documents-{i}-key"), "title": text_of(get, f"documents-{i}-title")}
            for i in row_indexes(form, "documents")
            if row_filled(get, f"documents-{i}", ("key", "title-da", "title-en"))
        ],
    }
    for index, element in enumerate(data["elements"]):
        prefix = f"elements-{index}"
        element["key"] = get(f"{prefix}-key")
        element["title"] = text_of(get, f"{prefix}-title")
        element["description"] = text_of(get, f"{prefix}-description", area=True)
    return data


# A row with any of these filled is a figure (and refused if the rest is missing); the
# precision and "per consultant" alone are not, so a row emptied of its texts, range and
# items is removed, as the form's hint says.
_INPUT_FIELDS = (
    "key",
    *(f"{part}-{lang}" for part in _INPUT_TEXTS for lang in ("da", "en")),
    "minimum",
    "maximum",
    "fidelity_items",
)


def _team_input(get: Any, prefix: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"key": get(f"{prefix}-key")}
    for part in _INPUT_TEXTS:
        entry[part] = text_of(get, f"{prefix}-{part}")
    for part in _INPUT_NUMBERS:
        entry[part] = number_of(get(f"{prefix}-{part}"), whole=part == "precision")
    if entry["precision"] == "":
        entry["precision"] = 0
    entry["per_consultant"] = bool(get(f"{prefix}-per_consultant"))
    entry["fidelity_items"] = [
        key for key in _SEPARATORS.split(get(f"{prefix}-fidelity_items")) if key
    ]
    return entry


# One point.


def point_values(instrument: ImplementationDefinition, point: ImplementationItem) -> Values:
    """The fields of a point's form, filled with the point."""
    data = point.model_dump(mode="python", exclude_none=True)
    values: Values = {
        "key": point.key,
        "element": instrument.element_of(point.key).key,
        "program_types": list(point.program_types or []),
    }
    values |= text_values("title", data["title"])
    values |= text_values("description", data["description"])
    for level in MATURITY_LEVELS:
        values |= text_values(f"levels-{level}", (data.get("levels") or {}).get(level))
    return values


def point_from_form(form: Form, *, before: ImplementationItem | None = None) -> dict[str, Any]:
    """The point a form describes, as plain data (unchecked; numbered when placed). No
    programme type ticked is every type; a step left empty reads as the shared ladder."""
    get = getter(form)
    data: dict[str, Any] = {
        "key": get("key"),
        "number": before.number if before else 1,
        "title": text_of(get, "title"),
        "description": text_of(get, "description", area=True),
    }
    chosen = form.get("program_types", [])
    if chosen:
        data["program_types"] = ordered(chosen, (before.program_types or []) if before else [])
    levels = {
        level: text_of(get, f"levels-{level}")
        for level in MATURITY_LEVELS
        if row_filled(get, f"levels-{level}", ("da", "en"))
    }
    if levels:
        data["levels"] = levels
    return data


def with_point(
    instrument: ImplementationDefinition,
    point: dict[str, Any],
    *,
    element: str,
    replacing: str | None = None,
) -> tuple[dict[str, Any], tuple[str | int, ...]]:
    """The instrument's data with ``point`` in ``element``, and where the point now lies.

    A changed point (``replacing`` its key) keeps its place when its element stays, and
    goes last in another element it is moved to; a new point goes last in its element.
    The points are then numbered again through the elements."""
    data = instrument.model_dump(mode="json", exclude_none=True)
    place: tuple[int, int] | None = None
    if replacing is not None:
        for e_index, entry in enumerate(data["elements"]):
            for i_index, found in enumerate(entry["items"]):
                if found["key"] == replacing:
                    place = (e_index, i_index)
        if place is not None and data["elements"][place[0]]["key"] != element:
            del data["elements"][place[0]]["items"][place[1]]
            place = None
    if place is None:
        target = next(i for i, entry in enumerate(data["elements"]) if entry["key"] == element)
        data["elements"][target]["items"].append(point)
        place = (target, len(data["elements"][target]["items"]) - 1)
    else:
        data["elements"][place[0]]["items"][place[1]] = point
    _renumber(data)
    return data, ("elements", place[0], "items", place[1])


def without_point(instrument: ImplementationDefinition, key: str) -> dict[str, Any]:
    """The instrument's data without point ``key``; the points after it move up a number."""
    data = instrument.model_dump(mode="json", exclude_none=True)
    for entry in data["elements"]:
        entry["items"] = [found for found in entry["items"] if found["key"] != key]
    _renumber(data)
    return data


def _renumber(data: dict[str, Any]) -> None:
    number = 0
    for entry in data["elements"]:
        for found in entry["items"]:
            number += 1
            found["number"] = number
