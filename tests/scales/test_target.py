"""The item kind "share of cases against a target" (issue 19): defined in the scale file,
checked like any banding, scored from counts or a share, and read from a form and an API
body like the other kinds."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.datastructures import FormData

from app.errors import Invalid
from app.scales import rules
from app.scales.loader import ScaleFileError, load_definition_text, load_scale_file
from app.scales.scoring import target_reached, target_score, target_share
from app.scales.writer import definition_yaml
from app.schemas.ratings import from_form

YOUTH = Path("scales/ips-unge-uddannelse/2026.yaml")


@cache
def _item():  # type: ignore[no-untyped-def]
    return load_scale_file(YOUTH).item("rapid-education-contact")


def test_the_share_reached_is_banded_as_a_part_of_the_target() -> None:
    target = _item().target
    assert target is not None and target.share == 80
    assert target_share(met=64, cases=80) == 80  # the target met exactly
    assert target_score(target, target_share(met=64, cases=80)) == 5
    assert target_reached(target, Decimal(72)) == 90  # nine tenths of the target
    assert target_score(target, 72) == 4
    assert target_score(target, 30) == 1  # 37.5% of the target
    assert target_score(target, 100) == 5  # beyond the target is still the target


@settings(deadline=None)
@given(st.integers(min_value=1, max_value=10_000), st.data())
def test_every_count_gets_exactly_one_score(cases: int, data: st.DataObject) -> None:
    met = data.draw(st.integers(min_value=0, max_value=cases))
    score = target_score(_item().target, target_share(met=met, cases=cases))  # type: ignore[arg-type]
    assert 1 <= score <= 5


def test_a_rating_reads_counts_or_a_share_and_the_score_follows_them() -> None:
    item = _item()
    content = rules.rating_content(
        item=item, change=rules.RatingInput(inputs={"met": 9, "cases": 10})
    )
    assert content["score"] == 5 and content["inputs"] == {"met": 9, "cases": 10}
    content = rules.rating_content(item=item, change=rules.RatingInput(inputs={"share": 60.0}))
    assert content["score"] == 3  # 75% of the target
    for bad in ({"met": 11, "cases": 10}, {"met": 1, "cases": 0}, {"met": 1.5, "cases": 3}):
        with pytest.raises(Invalid):
            rules.rating_content(item=item, change=rules.RatingInput(inputs=bad))
    with pytest.raises(Invalid):
        rules.rating_content(item=item, change=rules.RatingInput(inputs={"share": 50, "met": 1}))
    with pytest.raises(Invalid):  # the counts decide the score; a level cannot overrule them
        rules.rating_content(
            item=item, change=rules.RatingInput(score=2, inputs={"met": 9, "cases": 10})
        )


def test_the_scoring_form_reads_a_target_item() -> None:
    item = _item()
    body = from_form(
        item, FormData([("met", "40"), ("cases", "50"), ("share", "")]), consensus=False
    )
    assert body.inputs is not None and (body.inputs.met, body.inputs.cases) == (40, 50)
    body = from_form(item, FormData([("share", "72,5")]), consensus=False)
    assert body.inputs is not None and body.inputs.share == 72.5
    with pytest.raises(Invalid):
        from_form(item, FormData([("met", "4 0"), ("cases", "50")]), consensus=False)


def test_a_target_file_with_gapped_bands_or_an_impossible_share_is_refused_at_its_lines() -> None:
    text = definition_yaml(load_scale_file(YOUTH))
    for broken, found, message in (
        (
            text.replace("      share: 80\n", "      share: 180\n"),
            "share: 180",
            "less than or equal",
        ),
        (
            text.replace("          min: 50\n", "          min: 55\n"),
            "min: 55",
            "gap between bands",
        ),
    ):
        with pytest.raises(ScaleFileError) as refused:
            load_definition_text(broken, shown="x.yaml")
        [problem] = refused.value.problems
        line = next(i for i, row in enumerate(broken.splitlines(), 1) if row.strip() == found)
        assert problem.line == line and message in problem.message, problem


def test_a_target_belongs_only_on_a_target_item() -> None:
    text = definition_yaml(load_scale_file(YOUTH)).replace(
        "    kind: target\n", "    kind: banded\n"
    )
    with pytest.raises(ScaleFileError) as refused:
        load_definition_text(text, shown="x.yaml")
    messages = " ".join(problem.message for problem in refused.value.problems)
    assert "a banded item needs banding" in messages
    assert "target belongs only on target items" in messages
