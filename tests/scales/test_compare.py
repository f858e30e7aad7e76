"""Two scale versions compared item by item, on crafted pairs made from the shipped IPS-25:
each kind of change is found where it was made and nowhere else."""

from __future__ import annotations

from app.scales.compare import compare
from app.scales.schema import Item, ScaleDefinition, ScoreBand, Text
from tests.factories import shipped_scale


def _with(scale: ScaleDefinition, *changed: Item, drop: str | None = None) -> ScaleDefinition:
    by_key = {item.key: item for item in changed}
    items = [by_key.get(item.key, item) for item in scale.items if item.key != drop]
    items += [item for item in changed if item.key not in {i.key for i in scale.items}]
    return scale.model_copy(update={"items": items, "version": "2027"})


def _item(scale: ScaleDefinition, key: str) -> Item:
    return next(item for item in scale.items if item.key == key)


def test_the_same_version_has_no_differences() -> None:
    scale = shipped_scale()
    same = compare(scale, scale)
    assert [item.state for item in same.items] == ["same"] * 25
    assert (same.reworded, same.rebanded, same.remapped, same.levels_changed) == (0, 0, 0, False)
    assert same.threshold is None


def test_a_reworded_title_is_found_with_its_words_marked() -> None:
    scale = shipped_scale()
    first = scale.items[0]
    title = Text(da=first.title.da + " i teamet", en=first.title.en)
    result = compare(scale, _with(scale, first.model_copy(update={"title": title})))
    [change] = [item for item in result.items if item.state != "same"]
    assert change.key == first.key and not change.rebanded and change.principles is None
    [reworded] = change.reworded
    assert (reworded.what, reworded.language) == ("title", "da")
    marked = reworded.marked()
    assert marked[-1] == ("added", " i teamet") or ("added", "i teamet") in marked
    assert "".join(text for mark, text in marked if mark != "added") == first.title.da
    assert "".join(text for mark, text in marked if mark != "removed") == title.da


def test_new_bands_are_a_new_way_of_scoring_and_nothing_else() -> None:
    scale = shipped_scale()
    banded = _item(scale, "caseload-size")
    assert banded.banding is not None
    bands = list(banded.banding.bands)
    bands[0] = ScoreBand(score=bands[0].score, min=bands[0].min, max=(bands[0].max or 0) + 1)
    bands[1] = ScoreBand(score=bands[1].score, min=(bands[1].min or 0) + 1, max=bands[1].max)
    rebanded = banded.model_copy(
        update={"banding": banded.banding.model_copy(update={"bands": bands})}
    )
    result = compare(scale, _with(scale, rebanded))
    [change] = [item for item in result.items if item.state != "same"]
    assert change.key == "caseload-size" and change.rebanded and change.reworded == []
    assert result.rebanded == 1 and result.reworded == 0


def test_other_principles_a_removed_item_and_an_added_one() -> None:
    scale = shipped_scale()
    third = scale.items[2]
    other = [p.key for p in scale.principles if p.key not in third.principles][:1]
    remapped = third.model_copy(update={"principles": other})
    added = scale.items[0].model_copy(update={"key": "education-goal", "number": 26})
    removed = scale.items[-1].key
    result = compare(scale, _with(scale, remapped, added, drop=removed))
    states = {item.key: item.state for item in result.items if item.state != "same"}
    assert states == {third.key: "changed", "education-goal": "added", removed: "removed"}
    change = next(item for item in result.items if item.key == third.key)
    assert change.principles == (list(third.principles), other)
    assert (result.count("added"), result.count("removed"), result.remapped) == (1, 1, 1)
    assert result.items[-1].key == removed  # what the newer version no longer has, last


def test_the_ips_like_variant_replaces_the_psychiatry_items_with_its_own() -> None:
    """The shipped IPS-like scale has its own items for working with the treatment
    provider where the IPS-25 has the team's integration with psychiatry, and rewords
    some others."""
    result = compare(shipped_scale(), shipped_scale("ips-lignende", "2024"))
    added = {item.key for item in result.items if item.state == "added"}
    removed = {item.key for item in result.items if item.state == "removed"}
    assert added == {
        "collaboration-treatment-provider-assignment",
        "collaboration-treatment-provider-contact",
    }
    assert removed == {"integration-team-assignment", "integration-team-contact"}
    assert result.reworded >= 1 and result.count("same") >= 15


def test_other_evidence_is_a_change_and_a_new_number_alone_is_not() -> None:
    scale = shipped_scale()
    first = scale.items[0]
    other = [source for source in ("OBS", "ISP", "MIS") if source not in first.evidence][:1]
    evidence = first.model_copy(update={"evidence": other})
    result = compare(scale, _with(scale, evidence))
    [change] = [item for item in result.items if item.state != "same"]
    assert change.evidence == (list(first.evidence), other)
    # An item put first renumbers the rest: they are the same items.
    added = first.model_copy(update={"key": "new-first", "number": 1})
    shifted = [item.model_copy(update={"number": item.number + 1}) for item in scale.items]
    moved = scale.model_copy(update={"items": [added, *shifted], "version": "2027"})
    result = compare(scale, moved)
    assert result.count("added") == 1 and result.count("same") == 25
    assert next(i for i in result.items if i.key == first.key).number == (1, 2)


def test_a_level_renamed_is_not_new_bands() -> None:
    scale = shipped_scale()
    bands = list(scale.levels.bands)
    bands[0] = bands[0].model_copy(update={"title": Text(da="Fremragende", en="Excellent")})
    renamed = scale.model_copy(
        update={"levels": scale.levels.model_copy(update={"bands": bands}), "version": "2027"}
    )
    assert not compare(scale, renamed).levels_changed
    moved = list(scale.levels.bands)
    moved[0] = moved[0].model_copy(update={"min": moved[0].min + 1})
    moved[1] = moved[1].model_copy(update={"max": moved[1].max + 1})
    rebanded = scale.model_copy(
        update={"levels": scale.levels.model_copy(update={"bands": moved}), "version": "2027"}
    )
    assert compare(scale, rebanded).levels_changed


def test_across_versions_only_the_crosswalked_or_unchanged_items_are_comparable() -> None:
    """The trend charts' question: a reworded item is compared with its earlier self only
    when the newer version's crosswalk over the older marks it comparable."""
    from app.scales.compare import comparable_keys
    from app.scales.schema import Crosswalk

    old = shipped_scale("ips-25", "2019")
    first, second, third = old.items[0], old.items[1], old.items[2]
    reworded = [
        first.model_copy(update={"title": first.title.model_copy(update={"da": "Ny titel"})}),
        second.model_copy(
            update={"description": second.description.model_copy(update={"en": "New."})}
        ),
        third,
        *old.items[3:],
    ]
    marked = old.model_copy(
        update={
            "version": "2026",
            "items": reworded,
            "crosswalk": Crosswalk(base="2019", comparable=[first.key]),
        }
    )
    keys = comparable_keys(marked, old)
    assert first.key in keys  # reworded, marked comparable
    assert second.key not in keys  # reworded, not marked
    assert third.key in keys  # unchanged
    assert keys == comparable_keys(old, marked)  # either way round
    unmarked = marked.model_copy(update={"crosswalk": None})
    assert first.key not in comparable_keys(unmarked, old)
    assert comparable_keys(old, old) == {item.key for item in old.items}


def test_two_instrument_versions_are_compared_point_by_point() -> None:
    from app.scales.compare import compare_instruments
    from tests.factories import shipped_instrument

    before = shipped_instrument()
    data = before.model_dump(mode="json", exclude_none=True)
    first, second = data["elements"][0]["items"][:2]
    first["title"]["en"] += " every day"
    first["levels"]["5"]["da"] = "Principperne bruges af alle"
    second.pop("program_types")  # now every programme type
    moved = data["elements"][1]["items"].pop(0)  # to the last element
    data["elements"][-1]["items"].append(moved)
    removed = data["elements"][2]["items"].pop()
    data["status"]["bands"][1]["max"] = 3.2
    data["status"]["bands"][2]["min"] = 3.3
    number = 0
    for element in data["elements"]:
        for point in element["items"]:
            number += 1
            point["number"] = number
    after = type(before).model_validate(data)

    result = compare_instruments(before, after)
    assert result.instrument and result.levels_changed and not result.ladder_changed
    changes = {change.key: change for change in result.items if change.state != "same"}
    assert set(changes) == {first["key"], second["key"], moved["key"], removed["key"]}
    texts = {(r.what, r.language) for r in changes[first["key"]].reworded}
    assert texts == {("title", "en"), ("step 5", "da")}
    assert changes[second["key"]].program_types == (["ips_lignende"], [])
    assert changes[moved["key"]].section == (before.elements[1].key, before.elements[-1].key)
    assert result.section_name(before.elements[1].key, "da").startswith("2. ")
    assert changes[removed["key"]].state == "removed"
    # Renumbered alone is no change: the points after the removed one moved up.
    assert all(c.state == "same" for c in result.items if c.key not in changes)
    assert any(c.number for c in result.items if c.key not in changes)


def test_the_instruments_own_parts_are_compared_and_a_renamed_element_moves_no_point() -> None:
    from app.scales.compare import compare_instruments
    from tests.factories import shipped_instrument

    before = shipped_instrument()
    data = before.model_dump(mode="json", exclude_none=True)
    data["elements"][0]["key"] = "ips-principles"  # renamed, in its place
    data["team_inputs"][0]["maximum"] = 50
    data["documents"][-1]["title"]["en"] = "Another title"
    data["status"]["bands"][0]["title"]["da"] = "Ikke i gang"
    data["source"]["da"] += "\nRettet."
    after = type(before).model_validate(data)

    result = compare_instruments(before, after)
    assert all(change.state == "same" for change in result.items)
    assert not result.levels_changed  # the names of the statuses aside
    assert dict(result.parts) == {
        "source": [],
        "elements": ["ips-principles", before.elements[0].key],  # the new key, the old
        "team_inputs": [before.team_inputs[0].key],
        "documents": [before.documents[-1].key],
        "status_names": [],
    }


def test_a_scales_own_texts_are_compared_too() -> None:
    scale = shipped_scale()
    data = scale.model_dump(mode="json", exclude_none=True)
    data["sections"][0]["title"]["en"] = "Staffing and caseload"
    data["version"] = "2027"
    result = compare(scale, ScaleDefinition.model_validate(data))
    assert result.parts == [("sections", [scale.sections[0].key])]
    assert compare(scale, scale).parts == []
