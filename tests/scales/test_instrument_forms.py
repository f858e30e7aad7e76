"""The workshop's forms of an implementation-status instrument (issue 19): the whole
instrument and every point of every shipped instrument, put in a form and read back, are
what they were; points move, come and go with the rest numbered again; a problem lands
beside its field."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.scales.forms import place_problems
from app.scales.implementation import ImplementationDefinition
from app.scales.instrument_forms import (
    instrument_from_form,
    instrument_rows,
    instrument_values,
    point_from_form,
    point_values,
    with_point,
    without_point,
)
from app.scales.loader import load_definition_file, scale_files, validate_data
from app.scales.writer import definition_yaml

INSTRUMENTS = [path for path in scale_files(Path("scales")) if "implementeringsstatus" in str(path)]


def _posted(values: dict[str, str | list[str]]) -> dict[str, list[str]]:
    """What a browser posts for a form filled with ``values`` (an unticked box: nothing)."""
    return {
        name: value if isinstance(value, list) else [value]
        for name, value in values.items()
        if value != "" or not name.endswith("per_consultant")
    }


def _instrument(path: Path) -> ImplementationDefinition:
    found = load_definition_file(path)
    assert isinstance(found, ImplementationDefinition)
    return found


def _checked(data: dict[str, object]) -> ImplementationDefinition:
    again, problems = validate_data(data)
    assert problems == []
    assert isinstance(again, ImplementationDefinition)
    return again


def test_a_shipped_instrument_is_there_to_check() -> None:
    assert INSTRUMENTS


@pytest.mark.parametrize("path", INSTRUMENTS, ids=lambda path: path.stem)
def test_the_instrument_read_back_from_its_form_and_written_is_the_same_file(path: Path) -> None:
    instrument = _instrument(path)
    data = instrument_from_form(_posted(instrument_values(instrument)), instrument=instrument)
    assert definition_yaml(_checked(data)) == definition_yaml(instrument)


@pytest.mark.parametrize("path", INSTRUMENTS, ids=lambda path: path.stem)
def test_every_point_read_back_from_its_form_is_the_same_file(path: Path) -> None:
    instrument = _instrument(path)
    for point in instrument.items:
        values = point_values(instrument, point)
        posted = _posted(values)
        data, where = with_point(
            instrument,
            point_from_form(posted, before=point),
            element=str(values["element"]),
            replacing=point.key,
        )
        assert definition_yaml(_checked(data)) == definition_yaml(instrument), point.key
        e_index, i_index = where[1], where[3]
        assert data["elements"][e_index]["items"][i_index]["key"] == point.key


def test_a_point_moved_to_another_element_goes_last_there_and_the_points_are_renumbered() -> None:
    instrument = _instrument(INSTRUMENTS[0])
    first = instrument.elements[0].items[0]
    last_element = instrument.elements[-1]
    posted = _posted(point_values(instrument, first))
    data, where = with_point(
        instrument,
        point_from_form(posted, before=first),
        element=last_element.key,
        replacing=first.key,
    )
    moved = _checked(data)
    assert moved.elements[-1].items[-1].key == first.key
    assert where == ("elements", len(instrument.elements) - 1, "items", len(last_element.items))
    assert [item.number for item in moved.items] == list(range(1, len(instrument.items) + 1))
    assert moved.items[-1].key == first.key
    assert moved.items[0].key == instrument.items[1].key


def test_a_new_point_is_numbered_in_its_element_and_a_removed_one_leaves_no_gap() -> None:
    instrument = _instrument(INSTRUMENTS[0])
    element = instrument.elements[0]
    posted = {
        "key": ["shared-caseload-review"],
        "title-da": ["Fælles gennemgang af sagsstammen"],
        "title-en": ["Shared caseload review"],
        "description-da": ["Teamet gennemgår sagerne sammen hver måned."],
        "description-en": ["The team reviews its cases together every month."],
        "levels-3-da": ["Sker af og til"],
        "levels-3-en": ["Happens now and then"],
        "program_types": ["ips"],
    }
    data, where = with_point(instrument, point_from_form(posted), element=element.key)
    added = _checked(data)
    point = added.item("shared-caseload-review")
    assert point.number == len(element.items) + 1
    assert point.levels is not None and point.levels[3].en == "Happens now and then"
    assert point.program_types == ["ips"]
    assert added.step_text(point, 4) == added.ladder[4]  # a step left empty: the shared one
    assert where == ("elements", 0, "items", len(element.items))
    removed = _checked(without_point(added, instrument.items[0].key))
    assert [item.number for item in removed.items] == list(range(1, len(instrument.items) + 1))


def test_a_blank_spare_row_is_left_out_and_the_rows_offer_one_more() -> None:
    instrument = _instrument(INSTRUMENTS[0])
    values = instrument_values(instrument)
    rows = instrument_rows(values, instrument)
    assert rows["status"] == len(instrument.status.bands) + 1
    assert rows["team_inputs"] == len(instrument.team_inputs) + 1
    assert rows["documents"] == len(instrument.documents) + 1
    posted = _posted(values)
    spare = rows["documents"] - 1
    posted |= {f"documents-{spare}-key": [""], f"documents-{spare}-title-da": [""]}
    data = instrument_from_form(posted, instrument=instrument)
    assert len(data["documents"]) == len(instrument.documents)


def test_a_gap_in_the_status_bands_lands_beside_the_band_it_concerns() -> None:
    instrument = _instrument(INSTRUMENTS[0])
    values = instrument_values(instrument)
    values["status-bands-1-min"] = "2,2"  # leaves 2.0-2.1 uncovered; read with its comma
    values["team_inputs-0-fidelity_items"] = "caseload-size  rapid-job-search;"
    posted = _posted(values)
    data = instrument_from_form(posted, instrument=instrument)
    assert data["team_inputs"][0]["fidelity_items"] == ["caseload-size", "rapid-job-search"]
    found, problems = validate_data(data)
    assert found is None
    placed = place_problems(problems, [*values, "status-bands"])
    assert any("gap" in message for message in placed["status-bands-1-min"]), placed
