"""What a rating may say: the input rules every change passes, whichever way it came."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.errors import Invalid
from app.scales.rules import (
    EVIDENCE_SOURCES,
    NOTE_MAX,
    RatingInput,
    clean_text,
    rating_content,
    suggested_score,
)
from app.scales.schema import Item
from tests.factories import shipped_scale

IPS25 = shipped_scale("ips-25", "2019")
ANCHORED = IPS25.item("vocational-generalists")
BANDED = IPS25.item("caseload-size")
PERCENT = IPS25.item("competitive-jobs")
CHECKLIST = IPS25.item("disclosure")
PER_CONSULTANT = IPS25.item("job-development-quality")
assert CHECKLIST.checklist is not None
TICKS = [entry.key for entry in CHECKLIST.checklist.entries]


def refusal(item: Item, change: RatingInput, *, consensus: bool = False) -> str | None:
    with pytest.raises(Invalid) as refused:
        rating_content(item=item, change=change, consensus=consensus)
    return refused.value.key


@given(st.integers(min_value=1, max_value=5), st.lists(st.sampled_from(EVIDENCE_SOURCES)))
def test_a_chosen_level_is_stored_with_its_evidence_sorted_once(
    score: int, evidence: list[str]
) -> None:
    content = rating_content(item=ANCHORED, change=RatingInput(score=score, evidence=evidence))
    assert content["score"] == float(score)
    assert content["evidence"] == sorted(set(evidence))


@given(
    st.one_of(st.integers(max_value=0), st.integers(min_value=6)),
)
def test_a_level_outside_one_to_five_is_refused(score: int) -> None:
    assert refusal(ANCHORED, RatingInput(score=score)) == "err_score_range"


@given(st.integers(min_value=1, max_value=5), st.text(max_size=40))
def test_the_canonical_form_is_a_fixed_point(score: int, note: str) -> None:
    """Content read back as a change gives the same content: copies compare equal."""
    change = RatingInput(score=score, note=note, evidence=["OBS", "MIS", "OBS"])
    try:
        once = rating_content(item=ANCHORED, change=change)
    except Invalid:
        return  # a NUL in the note: refused every time
    again = rating_content(
        item=ANCHORED,
        change=RatingInput(score=score, note=once["note"], evidence=once["evidence"]),
    )
    assert again == once


@given(st.integers(min_value=0, max_value=100))
def test_a_banded_figure_gives_the_score_its_band_says(figure: int) -> None:
    content = rating_content(item=PERCENT, change=RatingInput(inputs={"figure": figure}))
    assert content["inputs"] == {"figure": float(figure)}
    assert content["score"] == suggested_score(PERCENT, {"figure": figure})


def test_a_reviewer_may_overrule_what_a_figure_suggests() -> None:
    change = RatingInput(score=2, inputs={"figure": 12})
    assert rating_content(item=BANDED, change=change)["score"] == 2.0
    assert suggested_score(BANDED, change.inputs) == 5.0


def test_a_figure_outside_its_bands_is_refused() -> None:
    assert refusal(PERCENT, RatingInput(inputs={"figure": 101})) == "err_figure_above"
    assert refusal(BANDED, RatingInput(inputs={"figure": -1})) == "err_figure_below"


@given(st.lists(st.sampled_from(TICKS)))
def test_a_checklist_scores_what_is_ticked_in_any_order(ticked: list[str]) -> None:
    forward = rating_content(item=CHECKLIST, change=RatingInput(inputs={"ticked": ticked}))
    backward = rating_content(item=CHECKLIST, change=RatingInput(inputs={"ticked": ticked[::-1]}))
    assert forward == backward
    assert forward["inputs"] == {"ticked": sorted(set(ticked))}


def test_a_chosen_level_must_agree_with_the_checklist() -> None:
    derived = rating_content(item=CHECKLIST, change=RatingInput(inputs={"ticked": TICKS}))
    wrong = 1 if derived["score"] != 1.0 else 2
    change = RatingInput(score=wrong, inputs={"ticked": TICKS})
    assert refusal(CHECKLIST, change) == "err_derived_score"


@given(st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=10))
def test_per_consultant_scores_give_their_mean(scores: list[int]) -> None:
    change = RatingInput(inputs={"consultants": [{"score": s} for s in scores]})
    content = rating_content(item=PER_CONSULTANT, change=change)
    assert content["score"] == pytest.approx(sum(scores) / len(scores), abs=0.005)


def test_not_rated_needs_a_reason_and_no_score() -> None:
    assert refusal(ANCHORED, RatingInput(not_rated=True)) == "err_reason_required"
    both = RatingInput(score=3, not_rated=True, not_rated_reason="Ingen data")
    assert refusal(ANCHORED, both) == "err_score_and_not_rated"
    content = rating_content(item=ANCHORED, change=RatingInput(not_rated_reason=" Ingen data "))
    assert (content["score"], content["not_rated_reason"]) == (None, "Ingen data")


def test_the_consensus_keeps_its_average_and_a_reviewer_does_not() -> None:
    kept = RatingInput(kept_score=2.5, rationale="Midt imellem")
    consensus = rating_content(item=PER_CONSULTANT, change=kept, consensus=True)
    assert (consensus["score"], consensus["rationale"]) == (2.5, "Midt imellem")
    reviewer = rating_content(item=PER_CONSULTANT, change=kept)
    assert reviewer["score"] is None and "rationale" not in reviewer


def test_unknown_evidence_and_inputs_are_refused_by_name() -> None:
    assert refusal(ANCHORED, RatingInput(score=3, evidence=["XYZ"])) == "err_evidence"
    assert refusal(ANCHORED, RatingInput(inputs={"figure": 3})) == "err_inputs_unknown"


def test_texts_are_trimmed_and_limited() -> None:
    assert clean_text(" a\r\nb ", limit=10, key="err_note_long") == "a\nb"
    assert clean_text("   ", limit=10, key="err_note_long") is None
    assert refusal(ANCHORED, RatingInput(score=3, note="x" * (NOTE_MAX + 1))) == "err_note_long"
    assert refusal(ANCHORED, RatingInput(score=3, note="a\x00b")) == "field_nul"
