"""The implementation-status instrument: the shipped file, each broken copy refused at
its line, the team's figures matching the fidelity items they feed, and the maturity
rules as properties."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.scales.implementation import ImplementationDefinition
from app.scales.loader import Problem, load_definition_file, load_scale_file, validate_scale_file
from app.scales.maturity import (
    MaturityError,
    differences,
    implementation_result,
    status_for,
)
from app.scales.scoring import band_value
from tests.factories import SCALES_DIR, shipped_instrument, shipped_scale

PATH = SCALES_DIR / "implementeringsstatus" / "2026.yaml"
ORIGINAL = PATH.read_text(encoding="utf-8")
INSTRUMENT = shipped_instrument()
FIDELITY = [shipped_scale("ips-25", "2019"), shipped_scale("ips-lignende", "2024")]


def problems_for(tmp_path: Path, old: str, new: str) -> tuple[str, list[Problem]]:
    assert old in ORIGINAL, f"fixture text not found: {old!r}"
    text = ORIGINAL.replace(old, new, 1)
    path = tmp_path / "implementeringsstatus" / "2026.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return text, validate_scale_file(path)


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_the_shipped_instrument_has_the_five_elements() -> None:
    assert isinstance(load_definition_file(PATH), ImplementationDefinition)
    assert [element.number for element in INSTRUMENT.elements] == [1, 2, 3, 4, 5]
    assert [element.key for element in INSTRUMENT.elements] == [
        "principles",
        "leadership",
        "organisation",
        "training",
        "data",
    ]
    assert [item.number for item in INSTRUMENT.items] == list(range(1, 18))
    # one point concerns only the IPS-like target group
    assert len(INSTRUMENT.items_for("ips")) == 16
    assert len(INSTRUMENT.items_for("ips_lignende")) == 17
    assert [band.key for band in INSTRUMENT.status.bands] == [
        "not-started",
        "under-way",
        "in-place",
        "sustained",
    ]


def test_a_fidelity_loader_refuses_the_instrument_by_name() -> None:
    with pytest.raises(Exception, match="implementation-status instrument, not a scale"):
        load_scale_file(PATH)


def test_an_item_step_falls_back_to_the_shared_ladder() -> None:
    item = INSTRUMENT.item("regional-agreement")
    assert INSTRUMENT.step_text(item, 4).en == "The agreement is signed and in force"
    assert INSTRUMENT.step_text(item, 1).en == "Not started"


@pytest.mark.parametrize("scale", FIDELITY, ids=lambda s: f"{s.key}/{s.version}")
def test_every_team_figure_fits_the_fidelity_item_it_feeds(scale) -> None:  # type: ignore[no-untyped-def]
    fed = 0
    for entry in INSTRUMENT.team_inputs:
        for key in entry.fidelity_items:
            if key not in {item.key for item in scale.items}:
                continue  # the item belongs to the other scale
            item = scale.item(key)
            assert item.kind == "banded" and item.banding is not None, key
            assert item.banding.unit == entry.unit, key
            assert item.per_consultant == entry.per_consultant, key
            assert item.banding.precision == entry.precision, key
            assert (item.banding.minimum or 0) <= entry.minimum, key
            if item.banding.maximum is not None:
                assert entry.maximum <= item.banding.maximum, key
            # every figure the team may report gets a score from the item's banding
            band_value(item.banding, entry.minimum)
            band_value(item.banding, entry.maximum)
            fed += 1
    banded = [item.key for item in scale.items if item.kind == "banded"]
    assert fed == len(banded), "every banded item takes the team's figure"


@pytest.mark.parametrize(
    ("old", "new", "needle", "message"),
    [
        (
            "    - {key: under-way, min: 2.0,",
            "    - {key: under-way, min: 2.1,",
            "    - {key: under-way",
            "gap between status bands: nothing covers 2.0-2.0",
        ),
        (
            "      - key: funding\n",
            "      - key: recruitment\n",
            "      - key: recruitment\n        number: 8",
            "duplicate item key 'recruitment'",
        ),
        (
            '  5: {da: "På plads og fulgt op", en: "In place and followed up"}\n',
            "",
            "ladder:",
            "the ladder misses step(s) 5; give 1 to 5",
        ),
        (
            '          2: {da: "Der er en plan',
            '          7: {da: "Der er en plan',
            "        levels:\n          7: {da:",
            "step(s) 7 outside 1-5",
        ),
        (
            "    fidelity_items: [rapid-job-search]",
            "    fidelity_items: [rapid-job-search, caseload-size]",
            "    fidelity_items: [rapid-job-search, caseload-size]",
            "fidelity item 'caseload-size' already takes its figure from team input 'caseload'",
        ),
        (
            "    precision: 1\n    minimum: 0\n    maximum: 100\n    per_consultant: true",
            "    precision: 1\n    minimum: 0.25\n    maximum: 100\n    per_consultant: true",
            "    minimum: 0.25",
            "minimum 0.25 has more decimals than precision 1 allows",
        ),
        (
            "  - key: consultants\n",
            "  - key: consultants\n    colour: blue\n",
            "    colour: blue",
            "unknown field 'colour' in team_inputs[0]",
        ),
        (
            "        program_types: [ips_lignende]\n",
            "        program_types: [ips_lignende]\n        levels: {}\n",
            "        levels: {}",
            None,
        ),
    ],
)
def test_a_broken_copy_is_refused_at_its_line(
    tmp_path: Path, old: str, new: str, needle: str, message: str | None
) -> None:
    text, problems = problems_for(tmp_path, old, new)
    if message is None:
        assert problems == []
        return
    assert [problem.message for problem in problems] == [message], problems
    assert problems[0].line == line_of(text, needle)


def test_an_element_with_nothing_for_a_programme_is_refused(tmp_path: Path) -> None:
    text = ORIGINAL
    # Give the first element's two shared points to the IPS-like programme only.
    text = text.replace(
        "      - key: staff-work-by-principles\n        number: 1\n",
        "      - key: staff-work-by-principles\n        number: 1\n"
        "        program_types: [ips_lignende]\n",
        1,
    )
    text = text.replace(
        "      - key: cross-service-collaboration\n        number: 3\n",
        "      - key: cross-service-collaboration\n        number: 3\n"
        "        program_types: [ips_lignende]\n",
        1,
    )
    path = tmp_path / "implementeringsstatus" / "2026.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    [problem] = validate_scale_file(path)
    assert problem.message == "no item of this element applies to 'ips'"
    assert problem.line == line_of(text, "  - key: principles")


def levels_for(program_type: str) -> st.SearchStrategy[dict[str, int | None]]:
    keys = [item.key for item in INSTRUMENT.items_for(program_type)]
    return st.fixed_dictionaries(
        {key: st.one_of(st.none(), st.integers(min_value=1, max_value=5)) for key in keys}
    )


@given(levels_for("ips"))
def test_a_status_is_claimed_exactly_when_everything_is_rated(
    levels: dict[str, int | None],
) -> None:
    result = implementation_result(INSTRUMENT, program_type="ips", levels=levels)
    for element in result.elements:
        assert (element.status is not None) == (element.rated_count == element.item_count)
        if element.mean is not None:
            assert 1 <= element.mean <= 5
            assert element.rated_count > 0
    assert (result.status is not None) == result.complete
    assert result.rated_count == sum(level is not None for level in levels.values())


@given(st.lists(st.integers(min_value=1, max_value=5), min_size=16, max_size=16))
def test_every_element_weighs_the_same(steps: list[int]) -> None:
    keys = [item.key for item in INSTRUMENT.items_for("ips")]
    result = implementation_result(
        INSTRUMENT, program_type="ips", levels=dict(zip(keys, steps, strict=True))
    )
    means = [element.mean for element in result.elements]
    assert all(mean is not None for mean in means)
    expected = round(sum(means) / len(means) + 1e-9, 1)  # type: ignore[arg-type]
    assert result.mean is not None and abs(result.mean - expected) < 0.051
    assert result.status is not None
    assert result.status == status_for(INSTRUMENT.status, result.mean)


@given(levels_for("ips_lignende"), st.data())
def test_a_higher_step_never_lowers_a_status(
    levels: dict[str, int | None], data: st.DataObject
) -> None:
    key = data.draw(st.sampled_from(sorted(levels)))
    before = implementation_result(INSTRUMENT, program_type="ips_lignende", levels=levels)
    raised = dict(levels, **{key: min(5, (levels[key] or 0) + 1)})
    after = implementation_result(INSTRUMENT, program_type="ips_lignende", levels=raised)
    element = INSTRUMENT.element_of(key).key
    old, new = before.element(element), after.element(element)
    if old.mean is not None and levels[key] is not None:
        assert new.mean is not None and new.mean >= old.mean
    if old.status is not None and new.status is not None:
        assert new.status.min >= old.status.min


@given(st.floats(min_value=1, max_value=5, allow_nan=False))
def test_every_mean_on_the_ladder_has_one_status(mean: float) -> None:
    band = status_for(INSTRUMENT.status, mean)
    assert band.min <= round(mean + 1e-9, 1) <= band.max


def test_the_results_by_hand() -> None:
    levels: dict[str, int | None] = {item.key: 4 for item in INSTRUMENT.items_for("ips")}
    levels["regional-agreement"] = 1  # no agreement yet
    levels["funding"] = None  # not answered
    result = implementation_result(INSTRUMENT, program_type="ips", levels=levels)
    leadership = result.element("leadership")
    assert (leadership.rated_count, leadership.item_count) == (3, 4)
    assert leadership.mean == 3.0  # (4 + 1 + 4) / 3
    assert leadership.status is None  # one point unanswered
    assert result.status is None and result.mean is None
    levels["funding"] = 2
    result = implementation_result(INSTRUMENT, program_type="ips", levels=levels)
    assert result.element("leadership").mean == 2.8  # 11 / 4 = 2.75, half up
    assert result.element("leadership").status.key == "under-way"  # type: ignore[union-attr]
    assert result.mean == 3.8  # (4 + 2.8 + 4 + 4 + 4) / 5 = 3.76
    assert result.status is not None and result.status.key == "in-place"
    assert result.to_dict()["status"] == "in-place"


def test_ratings_the_instrument_does_not_have_are_refused() -> None:
    with pytest.raises(MaturityError, match="target-group-referral"):
        implementation_result(INSTRUMENT, program_type="ips", levels={"target-group-referral": 3})
    with pytest.raises(MaturityError, match="step 6"):
        implementation_result(INSTRUMENT, program_type="ips", levels={"funding": 6})


def test_differences_name_the_items_where_team_and_ambassadors_disagree() -> None:
    team: dict[str, int | None] = {"funding": 4, "recruitment": 3, "basic-training": 2}
    ambassadors: dict[str, int | None] = {"funding": 2, "recruitment": 3, "basic-training": None}
    found = differences(INSTRUMENT, program_type="ips", team=team, ambassadors=ambassadors)
    assert [(d.item_key, d.team, d.ambassadors, d.gap) for d in found] == [
        ("funding", 4, 2, -2),
        ("basic-training", 2, None, None),
    ]
