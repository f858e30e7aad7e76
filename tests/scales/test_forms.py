"""The workshop's forms (issue 19): every item and the scale-wide settings of every shipped
scale, put in a form and read back, are what they were; a problem lands beside the field
it concerns."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.scales.forms import (
    item_from_form,
    item_values,
    place_problems,
    scale_from_form,
    scale_values,
)
from app.scales.loader import load_scale_file, scale_files, validate_data
from app.scales.schema import Item, ScaleDefinition
from app.scales.writer import definition_yaml

SCALES = [path for path in scale_files(Path("scales")) if "implementeringsstatus" not in str(path)]


def _posted(values: dict[str, str | list[str]]) -> dict[str, list[str]]:
    """What a browser posts for a form filled with ``values``."""
    return {name: value if isinstance(value, list) else [value] for name, value in values.items()}


@pytest.mark.parametrize("path", SCALES, ids=lambda path: path.parent.name)
def test_every_item_read_back_from_its_form_is_the_same_item(path: Path) -> None:
    scale = load_scale_file(path)
    for item in scale.items:
        posted = _posted(item_values(item))
        assert Item.model_validate(item_from_form(posted, before=item)) == item, item.key


@pytest.mark.parametrize("path", SCALES, ids=lambda path: path.parent.name)
def test_the_scale_read_back_from_its_form_and_written_is_the_same_file(path: Path) -> None:
    scale = load_scale_file(path)
    data = scale_from_form(_posted(scale_values(scale)), scale=scale)
    again, problems = validate_data(data)
    assert problems == []
    assert isinstance(again, ScaleDefinition)
    assert definition_yaml(again) == definition_yaml(scale)


def test_a_blank_row_is_left_out_and_a_number_with_a_comma_is_read() -> None:
    scale = load_scale_file(SCALES[0])
    item = next(item for item in scale.items if item.kind == "banded")
    posted = _posted(item_values(item))
    posted |= {
        "banding-bands-9-score": [""],
        "banding-bands-9-min": [""],
        "banding-bands-9-max": [""],
    }
    posted["banding-bands-0-max"] = ["20,0"]
    data = item_from_form(posted, before=item)
    assert len(data["banding"]["bands"]) == len(item.banding.bands)  # type: ignore[union-attr]
    assert data["banding"]["bands"][0]["max"] == 20.0


def test_a_problem_lands_beside_its_field_or_the_nearest_above_it() -> None:
    fields = ["title-da", "banding-bands-1-min", "banding-bands", "anchors"]
    problems = [
        (("items", 3, "banding", "bands", 1, "min"), "gap"),
        (("items", 3, "banding", "bands", 2), "min above max"),
        (("items", 3, "anchors"), "missing 4"),
        (("items", 3, "checklist"), "needs checklist"),
        (("levels", "bands", 0, "min"), "levels"),
    ]
    placed = place_problems(problems, fields, within=("items", 3))
    assert placed == {
        "banding-bands-1-min": ["gap"],
        "banding-bands": ["min above max"],
        "anchors": ["missing 4"],
        "": ["needs checklist", "levels"],
    }
