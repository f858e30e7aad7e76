"""Every scale file shipped under scales/ is valid, and the two real scales say what the
domain says."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.scales.loader import scale_files, validate_scale_file
from app.scales.schema import ScaleDefinition
from tests.factories import SCALES_DIR, shipped_scale

SHIPPED = scale_files(SCALES_DIR)


def test_the_two_real_scales_are_shipped() -> None:
    names = {f"{path.parent.name}/{path.stem}" for path in SHIPPED}
    assert {"ips-25/2019", "ips-lignende/2024"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_shipped_scale_file_is_valid(path: Path) -> None:
    assert validate_scale_file(path) == []


def test_ips25_has_25_items_in_three_sections_and_eight_principles() -> None:
    scale = shipped_scale("ips-25", "2019")
    assert [item.number for item in scale.items] == list(range(1, 26))
    by_section = {
        s.key: [i.number for i in scale.items if i.section == s.key] for s in scale.sections
    }
    assert by_section == {
        "staffing": [1, 2, 3],
        "organisation": list(range(4, 12)),
        "services": list(range(12, 26)),
    }
    assert sorted(p.number for p in scale.principles) == list(range(1, 9))
    assert scale.score_range == (25.0, 125.0)


def test_ips25_levels_are_the_published_bands() -> None:
    bands = {b.key: (b.min, b.max, b.title.da) for b in shipped_scale().levels.bands}
    assert bands == {
        "exemplary": (115, 125, "Eksemplarisk"),
        "good": (100, 114, "God"),
        "fair": (74, 99, "Rimelig"),
        "not-ips": (25, 73, "Ikke IPS"),
    }


def test_ips25_item_kinds_follow_the_domain() -> None:
    scale = shipped_scale()
    kinds = {item.number: item.kind for item in scale.items}
    assert {n for n, k in kinds.items() if k == "checklist"} == {5, 8, 10, 11, 13, 25}
    assert {n for n, k in kinds.items() if k == "banded"} == {1, 2, 4, 15, 16, 17, 19, 20, 21, 24}
    assert {i.number for i in scale.items if i.per_consultant} == {17, 18, 24}
    assert scale.item("caseload-size").title.da == "Sagsstammens størrelse"


def test_ips_lignende_rewords_integration_without_reusing_keys() -> None:
    ips25, variant = shipped_scale("ips-25", "2019"), shipped_scale("ips-lignende", "2024")
    assert variant.program_types == ["ips_lignende"]
    assert len(variant.items) == 25
    shared = {i.key for i in ips25.items} & {i.key for i in variant.items}
    changed = [i for i in variant.items if i.key not in shared]
    assert changed, "the integration items must get new keys when their meaning changes"
    for item in variant.items:  # every text a reviewer reads, not only the titles
        texts = [item.title.da, item.description.da]
        texts += [anchor.da for anchor in (item.anchors or {}).values()]
        texts += [entry.text.da for entry in (item.checklist.entries if item.checklist else [])]
        assert not [text for text in texts if "psykiatri" in text.lower()], item.key
    for key in shared:  # a kept key keeps its number and kind
        assert variant.item(key).number == ips25.item(key).number
        assert variant.item(key).kind == ips25.item(key).kind


def test_a_stored_definition_validates_again_after_a_json_round_trip() -> None:
    scale = shipped_scale()
    assert ScaleDefinition.model_validate(scale.model_dump(mode="json")) == scale
