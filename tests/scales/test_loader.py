"""Scale-file rules: each broken copy of the real IPS-25 file is refused with
``file:line: what is wrong`` pointing at the offending line."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.scales.loader import (
    Problem,
    canonical_json,
    fingerprint,
    load_scale_file,
    stated_form,
    validate_scale_file,
)
from tests.factories import SCALES_DIR

ORIGINAL = (SCALES_DIR / "ips-25" / "2019.yaml").read_text(encoding="utf-8")


def write_copy(tmp_path: Path, text: str, key: str = "ips-25", version: str = "2019") -> Path:
    path = tmp_path / key / f"{version}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def mutate(old: str, new: str, text: str = ORIGINAL) -> str:
    assert text.count(old) >= 1, f"fixture text not found: {old!r}"
    return text.replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def problems_for(tmp_path: Path, text: str) -> list[Problem]:
    return validate_scale_file(write_copy(tmp_path, text))


def test_the_unchanged_copy_is_valid(tmp_path: Path) -> None:
    assert problems_for(tmp_path, ORIGINAL) == []


def test_unknown_field_is_reported_at_its_line(tmp_path: Path) -> None:
    text = mutate("  - key: caseload-size\n", "  - key: caseload-size\n    colour: blue\n")
    [problem] = problems_for(tmp_path, text)
    assert problem.line == line_of(text, "    colour: blue")
    assert "unknown field 'colour'" in problem.message
    assert str(problem).startswith(f"{tmp_path / 'ips-25' / '2019.yaml'}:{problem.line}: ")


def test_duplicate_item_key(tmp_path: Path) -> None:
    text = mutate("  - key: vocational-generalists\n", "  - key: caseload-size\n")
    [problem] = problems_for(tmp_path, text)
    assert "duplicate item key 'caseload-size'" in problem.message
    assert problem.line == line_of(text, "  - key: caseload-size\n    number: 3")


def test_anchors_missing_a_level(tmp_path: Path) -> None:
    start = ORIGINAL.index("  - key: vocational-generalists")
    anchor = ORIGINAL.index("      3:\n", start)
    end = ORIGINAL.index("      4:\n", anchor)
    text = ORIGINAL[:anchor] + ORIGINAL[end:]
    [problem] = problems_for(tmp_path, text)
    assert "anchors missing level(s) 3" in problem.message
    assert problem.line == text[: text.index("    anchors:", start)].count("\n") + 1


def test_overlapping_item_bands(tmp_path: Path) -> None:
    text = mutate("{score: 4, min: 21, max: 25}", "{score: 4, min: 19, max: 25}")
    [problem] = problems_for(tmp_path, text)
    assert "overlaps" in problem.message
    assert problem.line == line_of(text, "{score: 4, min: 19, max: 25}")


def test_gapped_item_bands(tmp_path: Path) -> None:
    text = mutate("{score: 3, min: 26, max: 30}", "{score: 3, min: 27, max: 30}")
    [problem] = problems_for(tmp_path, text)
    assert "gap between bands: no score for 26-26" in problem.message
    assert problem.line == line_of(text, "{score: 3, min: 27, max: 30}")


def test_item_bands_whose_scores_do_not_move_steadily(tmp_path: Path) -> None:
    text = mutate("{score: 3, min: 26, max: 30}", "{score: 1, min: 26, max: 30}")
    messages = [p.message for p in problems_for(tmp_path, text)]
    assert any("rise (or fall) steadily" in m for m in messages)


def test_principle_no_item_maps_to(tmp_path: Path) -> None:
    text = mutate(
        "levels:\n",
        "  - key: p9-organisation\n    number: 9\n"
        "    title: {da: Organisation, en: Organisation}\nlevels:\n",
    )
    [problem] = problems_for(tmp_path, text)
    assert "no item maps to principle 'p9-organisation'" in problem.message
    assert problem.line == line_of(text, "  - key: p9-organisation")


def test_levels_that_do_not_cover_the_whole_range(tmp_path: Path) -> None:
    text = mutate("{key: not-ips, min: 25,", "{key: not-ips, min: 30,")
    [problem] = problems_for(tmp_path, text)
    assert "level bands start at 30 but the total can be as low as 25" in problem.message
    assert problem.line == line_of(text, "{key: not-ips, min: 30,")


def test_levels_with_a_gap_and_an_overlap(tmp_path: Path) -> None:
    text = mutate("{key: good, min: 100, max: 114,", "{key: good, min: 101, max: 116,")
    messages = sorted(p.message for p in problems_for(tmp_path, text))
    assert any("gap between level bands: nothing covers 100-100" in m for m in messages)
    assert any("overlaps the band ending at 116" in m for m in messages)


def test_checklist_scores_missing_a_count(tmp_path: Path) -> None:
    text = mutate(
        "scores: {0: 1, 1: 1, 2: 2, 3: 3, 4: 4, 5: 5}", "scores: {0: 1, 1: 1, 2: 2, 4: 4, 5: 5}"
    )
    [problem] = problems_for(tmp_path, text)
    assert "no score for 3 ticked" in problem.message
    assert problem.line == line_of(text, "scores: {0: 1, 1: 1, 2: 2, 4: 4, 5: 5}")


def test_unknown_section_and_wrong_kind_fields(tmp_path: Path) -> None:
    text = mutate("    section: staffing\n", "    section: staff\n")
    [problem] = problems_for(tmp_path, text)
    assert "unknown section 'staff'" in problem.message


def test_a_score_outside_one_to_five_names_the_field(tmp_path: Path) -> None:
    text = mutate("{score: 5, min: 0, max: 20}", "{score: 6, min: 0, max: 20}")
    problems = problems_for(tmp_path, text)
    assert any(
        p.line == line_of(text, "{score: 6, min: 0, max: 20}")
        and "items[0].banding.bands[0].score" in p.message
        for p in problems
    )


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    text = mutate("{key: not-ips, min: 25,", "{key: not-ips, min: 30,")
    text = mutate("  - key: vocational-generalists\n", "  - key: caseload-size\n", text)
    messages = [p.message for p in problems_for(tmp_path, text)]
    assert len(messages) == 2
    assert any("duplicate item key" in m for m in messages)
    assert any("level bands start at 30" in m for m in messages)


def test_field_errors_and_misplacement_are_reported_together(tmp_path: Path) -> None:
    """Cross-field rules need valid fields, so they run once the field errors are fixed;
    field errors and the file's placement are reported together."""
    text = mutate("  - key: caseload-size\n", "  - key: caseload-size\n    colour: blue\n")
    text = mutate("recommendation_threshold: 3", "recommendation_threshold: 9", text)
    path = write_copy(tmp_path, text, version="2020")
    problems = validate_scale_file(path)
    assert [p.line for p in problems] == sorted(p.line for p in problems)
    messages = " | ".join(p.message for p in problems)
    assert "version '2019' does not match the file name '2020.yaml'" in messages
    assert "unknown field 'colour'" in messages
    assert "recommendation_threshold" in messages


def test_bounds_must_be_exact_at_the_stated_precision(tmp_path: Path) -> None:
    text = mutate("{score: 4, min: 21, max: 25}", "{score: 4, min: 20.5, max: 25}")
    [problem] = problems_for(tmp_path, text)
    assert problem.message == "min 20.5 has more decimals than precision 0 allows"
    assert problem.line == line_of(text, "{score: 4, min: 20.5, max: 25}")
    text = mutate("{key: good, min: 100, max: 114,", "{key: good, min: 100, max: 114.5,")
    messages = {p.message for p in problems_for(tmp_path, text)}
    assert messages == {
        "max 114.5 has more decimals than precision 0 allows",
        "level band starting at 115 overlaps the band ending at 115",
    }


def test_yaml_syntax_error_and_duplicate_mapping_key(tmp_path: Path) -> None:
    text = mutate("recommendation_threshold: 3\n", "recommendation_threshold: [3\n")
    [problem] = problems_for(tmp_path, text)
    assert problem.message.startswith("YAML:")
    text = mutate(
        "recommendation_threshold: 3\n",
        "recommendation_threshold: 3\nrecommendation_threshold: 2\n",
    )
    [problem] = problems_for(tmp_path, text)
    assert "duplicate key" in problem.message
    assert problem.line == line_of(text, "recommendation_threshold: 2")


def test_file_must_live_at_scales_key_version(tmp_path: Path) -> None:
    path = write_copy(tmp_path, ORIGINAL, key="ips-25", version="2020")
    [problem] = validate_scale_file(path)
    assert "version '2019' does not match the file name '2020.yaml'" in problem.message
    assert problem.line == line_of(ORIGINAL, 'version: "2019"')


def test_not_a_mapping(tmp_path: Path) -> None:
    [problem] = problems_for(tmp_path, "- just\n- a list\n")
    assert problem.line == 1 and "mapping" in problem.message


def test_fingerprint_ignores_comments_and_layout(tmp_path: Path) -> None:
    original = load_scale_file(write_copy(tmp_path, ORIGINAL))
    commented = load_scale_file(write_copy(tmp_path / "b", "# a comment\n" + ORIGINAL))
    assert fingerprint(original) == fingerprint(commented)
    assert canonical_json(original) == canonical_json(commented)
    changed = load_scale_file(
        write_copy(
            tmp_path / "c", mutate("recommendation_threshold: 3", "recommendation_threshold: 2")
        )
    )
    assert fingerprint(changed) != fingerprint(original)


@pytest.mark.parametrize("bad", ["true", "'3'", "3.5"])
def test_recommendation_threshold_must_be_a_whole_score(tmp_path: Path, bad: str) -> None:
    text = mutate("recommendation_threshold: 3", f"recommendation_threshold: {bad}")
    [problem] = problems_for(tmp_path, text)
    assert problem.line == line_of(text, "recommendation_threshold:")


def test_the_fingerprint_covers_what_the_file_states_not_defaults() -> None:
    """A default added to the schema later must not change a published file's fingerprint."""
    stated = stated_form(load_scale_file(SCALES_DIR / "ips-25" / "2019.yaml"))
    caseload = stated["items"][0]
    assert caseload["key"] == "caseload-size" and "per_consultant" not in caseload
    frequency = next(i for i in stated["items"] if i["key"] == "job-development-frequency")
    assert frequency["per_consultant"] is True


@pytest.mark.parametrize("bad", [".inf", ".nan", "1e30", "-2000000"])
def test_bounds_must_be_finite_and_of_sensible_size(tmp_path: Path, bad: str) -> None:
    text = mutate("{score: 1, min: 41}", f"{{score: 1, min: 41, max: {bad}}}")
    problems = problems_for(tmp_path, text)
    assert problems, bad
    assert all(p.line == line_of(text, "{score: 1, min: 41, max:") for p in problems)
