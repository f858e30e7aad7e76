"""Agreement between reviewers: properties that hold for any scores, and known values."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.scales.agreement import agreement, weighted_kappa
from tests.factories import shipped_scale

IPS25 = shipped_scale("ips-25", "2019")
KEYS = [item.key for item in IPS25.items]

levels = st.integers(min_value=1, max_value=5).map(float)
# A per-consultant item's average is a score too: kappa rounds it to the nearest level.
averages = st.integers(min_value=100, max_value=500).map(lambda n: n / 100)
scores = st.lists(st.one_of(levels, averages), min_size=1, max_size=40)


@dataclass(frozen=True)
class Given:
    score: float | None


def rater(values: list[float]) -> dict[str, Given]:
    return {key: Given(value) for key, value in zip(KEYS, values, strict=False)}


@given(scores)
def test_kappa_is_one_for_identical_raters_whenever_it_is_defined(first: list[float]) -> None:
    kappa = weighted_kappa(first, first)
    assert kappa is None or kappa == pytest.approx(1.0)


@given(st.data())
def test_kappa_is_symmetric_and_at_most_one(data: st.DataObject) -> None:
    first = data.draw(scores)
    second = data.draw(st.lists(levels, min_size=len(first), max_size=len(first)))
    forth, back = weighted_kappa(first, second), weighted_kappa(second, first)
    assert (forth is None) == (back is None)
    if forth is not None and back is not None:
        assert forth == pytest.approx(back)
        assert forth <= 1 + 1e-9


@given(st.data())
def test_relabelling_the_reviewers_changes_nothing(data: st.DataObject) -> None:
    count = data.draw(st.integers(min_value=2, max_value=4))
    items = data.draw(st.integers(min_value=1, max_value=len(KEYS)))
    raters = [
        rater(data.draw(st.lists(levels, min_size=items, max_size=items))) for _ in range(count)
    ]
    order = data.draw(st.permutations(range(count)))
    as_given = agreement(definition=IPS25, raters=raters)
    relabelled = agreement(definition=IPS25, raters=[raters[i] for i in order])
    assert relabelled == as_given


@given(st.lists(levels, min_size=1, max_size=len(KEYS)))
def test_raters_who_agree_on_everything_agree_exactly(values: list[float]) -> None:
    result = agreement(definition=IPS25, raters=[rater(values), rater(values)])
    assert result.items_compared == len(values)
    assert result.exact == 1.0 and result.within_one == 1.0
    assert result.kappa is None or result.kappa == 1.0


def test_opposite_ends_disagree_completely() -> None:
    # Quadratic weights: every pair at 1 and 5 is the worst disagreement, twice the expected.
    assert weighted_kappa([1, 5], [5, 1]) == pytest.approx(-1.0)


def test_one_point_apart_counts_within_one_but_not_exact() -> None:
    result = agreement(definition=IPS25, raters=[rater([3, 4, 2]), rater([4, 4, 1])])
    assert (result.items_compared, result.exact, result.within_one) == (3, 0.333, 1.0)


def test_only_items_every_reviewer_scored_are_compared() -> None:
    first = rater([3, 4, 2]) | {KEYS[1]: Given(None)}
    result = agreement(definition=IPS25, raters=[first, rater([3, 4])])
    assert result.items_compared == 1 and result.exact == 1.0


def test_one_reviewer_alone_has_nothing_to_agree_with() -> None:
    result = agreement(definition=IPS25, raters=[rater([3, 4, 2])])
    assert (result.raters, result.items_compared, result.kappa) == (1, 0, None)


def test_the_order_of_the_reviewers_cannot_tip_a_rounding() -> None:
    """Found by the property above: a mean kappa of exactly 0.2125 came out 0.212 or
    0.213 as the reviewers were listed, the floats summed in another order."""
    one = [1.0, 1.0, 1.0, 2.0, 2.0, 3.0, 4.0, 4.0, 4.0, 4.0, 5.0, 5.0, 5.0, 5.0]
    two = [1.0, 2.0, 3.0, 1.0, 2.0, 5.0, 1.0, 2.0, 2.0, 3.0, 1.0, 2.0, 4.0, 5.0]
    raters = [rater(one), rater(two)]
    forth = agreement(definition=IPS25, raters=raters)
    back = agreement(definition=IPS25, raters=raters[::-1])
    assert forth == back and forth.kappa is not None
