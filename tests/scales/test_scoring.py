"""The scoring core: examples from the real scale, and properties that hold for any input."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.scales import scoring
from app.scales.schema import (
    Banding,
    Checklist,
    ChecklistEntry,
    ScaleDefinition,
    ScoreBand,
    Text,
    banding_problems,
)
from app.scales.scoring import ItemScore, ScoringError
from tests.factories import shipped_scale

IPS25 = shipped_scale("ips-25", "2019")
KEYS = [item.key for item in IPS25.items]
T = Text(da="x", en="x")


def all_scored(score: float) -> dict[str, ItemScore]:
    return {key: ItemScore(score=score) for key in KEYS}


@pytest.mark.parametrize(
    ("figure", "score"),
    [(0, 5), (20, 5), (20.4, 5), (20.5, 4), (21, 4), (25, 4), (26, 3), (40, 2), (41, 1), (300, 1)],
)
def test_caseload_banding(figure: float, score: int) -> None:
    banding = IPS25.item("caseload-size").banding
    assert banding is not None
    assert scoring.band_value(banding, figure) == score


def test_banding_refuses_figures_outside_the_possible_range() -> None:
    banding = IPS25.item("caseload-size").banding
    assert banding is not None
    with pytest.raises(ScoringError, match="below the lowest possible figure 0"):
        scoring.band_value(banding, -1)
    for unusable in (float("inf"), float("nan"), 1e30):
        with pytest.raises(ScoringError, match="not a usable figure"):
            scoring.band_value(banding, unusable)


def test_per_week_banding_with_one_decimal() -> None:
    banding = IPS25.item("job-development-frequency").banding
    assert banding is not None
    assert [scoring.band_value(banding, v) for v in (1.94, 1.96, 3.0, 4.0, 5.9, 6.0, 9)] == [
        1,
        2,
        2,
        3,
        4,
        5,
        5,
    ]


def test_checklist_counts_ticks_into_a_score() -> None:
    checklist = IPS25.item("disclosure").checklist
    assert checklist is not None
    keys = [entry.key for entry in checklist.entries]
    assert scoring.checklist_score(checklist, []) == 1
    assert scoring.checklist_score(checklist, keys[:2]) == 3
    assert scoring.checklist_score(checklist, keys + keys) == 5  # duplicates count once
    with pytest.raises(ScoringError, match="unknown checklist entries: nonsense"):
        scoring.checklist_score(checklist, ["nonsense"])


def test_consultant_average() -> None:
    assert scoring.consultant_average([3, 4]) == 3.5
    assert scoring.consultant_average([3, 4, 4]) == 3.67
    with pytest.raises(ScoringError):
        scoring.consultant_average([])
    with pytest.raises(ScoringError):
        scoring.consultant_average([0, 4])


@pytest.mark.parametrize(
    ("total", "level"),
    [
        (25, "not-ips"),
        (73, "not-ips"),
        (73.5, "not-ips"),
        (74, "fair"),
        (99, "fair"),
        (99.5, "fair"),
        (100, "good"),
        (114, "good"),
        (115, "exemplary"),
        (125, "exemplary"),
    ],
)
def test_levels_on_the_total(total: float, level: str) -> None:
    assert scoring.level_for(IPS25.levels, total).key == level


def test_complete_review() -> None:
    scores = all_scored(4)
    scores["caseload-size"] = ItemScore(score=5)
    result = scoring.score_review(IPS25, scores)
    assert result.total == 101 and result.completeness == "complete"
    assert result.level is not None and result.level.key == "good"
    assert result.explanation("da") is None
    staffing = next(s for s in result.sections if s.key == "staffing")
    assert (staffing.total, staffing.item_count, staffing.rated_count) == (13, 3, 3)
    assert sum(p.item_count for p in result.principles) == 25
    p4 = next(p for p in result.principles if p.key.startswith("p4"))
    assert p4.item_count == 1  # the profile shows how many items sit behind each bar


def test_not_rated_items_withhold_the_level_and_say_why() -> None:
    scores = all_scored(5)
    scores["caseload-size"] = ItemScore(not_rated_reason="Teamet kunne ikke levere tal")
    result = scoring.score_review(IPS25, scores)
    assert result.level is None and result.completeness == "not_rated_items"
    assert result.total == 120 and result.rated_count == 24 and result.mean == 5
    assert result.not_rated == {"caseload-size": "Teamet kunne ikke levere tal"}
    assert "kunne ikke vurderes" in (result.explanation("da") or "")
    assert "could not be rated" in (result.explanation("en") or "")


def test_unscored_items_withhold_the_level() -> None:
    result = scoring.score_review(IPS25, {KEYS[0]: ItemScore(score=3)})
    assert result.level is None and result.completeness == "unscored_items"
    assert len(result.unscored) == 24
    assert (
        result.explanation("da") == "Intet fidelitetsniveau endnu: 24 af 25 items er ikke scoret."
    )


def test_unknown_item_or_score_out_of_range_is_refused() -> None:
    with pytest.raises(ScoringError, match="items not in ips-25 2019: nope"):
        scoring.score_review(IPS25, {"nope": ItemScore(score=3)})
    with pytest.raises(ScoringError, match="outside 1-5"):
        scoring.score_review(IPS25, {KEYS[0]: ItemScore(score=6)})


item_score = st.one_of(
    st.integers(min_value=1, max_value=5).map(float),
    st.lists(st.integers(1, 5), min_size=1, max_size=6).map(scoring.consultant_average),
)


@given(st.lists(item_score, min_size=25, max_size=25))
def test_total_lies_in_range_and_level_follows_the_total(values: list[float]) -> None:
    result = scoring.score_review(
        IPS25, {k: ItemScore(score=v) for k, v in zip(KEYS, values, strict=True)}
    )
    assert 25 <= result.total <= 125
    assert result.level is not None
    assert result.level.min <= result.total
    higher = [band for band in IPS25.levels.bands if band.min > result.level.min]
    assert all(result.total < band.min for band in higher)
    assert sum(s.total for s in result.sections) == pytest.approx(result.total)


@given(st.lists(item_score, min_size=25, max_size=25), st.integers(0, 24))
def test_raising_one_item_never_lowers_the_total_or_level(values: list[float], index: int) -> None:
    before = scoring.score_review(
        IPS25, {k: ItemScore(score=v) for k, v in zip(KEYS, values, strict=True)}
    )
    raised = list(values)
    raised[index] = 5.0
    after = scoring.score_review(
        IPS25, {k: ItemScore(score=v) for k, v in zip(KEYS, raised, strict=True)}
    )
    assert after.total >= before.total
    assert before.level is not None and after.level is not None
    assert after.level.min >= before.level.min


@st.composite
def bandings(draw: st.DrawFn) -> Banding:
    """A valid banding: ascending thresholds, scores rising or falling steadily."""
    count = draw(st.integers(2, 5))
    cuts = sorted(draw(st.sets(st.integers(1, 200), min_size=count - 1, max_size=count - 1)))
    scores = sorted(draw(st.sets(st.integers(1, 5), min_size=count, max_size=count)))
    if draw(st.booleans()):
        scores.reverse()
    bands = []
    for index, score in enumerate(scores):
        low = None if index == 0 else float(cuts[index - 1])
        high = None if index == count - 1 else float(cuts[index]) - 1
        bands.append(ScoreBand(score=score, min=low, max=high))
    return Banding(label=T, unit=T, bands=bands)


@given(bandings(), st.floats(-500, 500), st.floats(-500, 500))
def test_banding_is_monotone(banding: Banding, a: float, b: float) -> None:
    low, high = sorted((a, b))
    rising = banding.bands[-1].score > banding.bands[0].score
    first, second = scoring.band_value(banding, low), scoring.band_value(banding, high)
    assert (second >= first) if rising else (second <= first)


@given(st.integers(1, 8), st.data())
def test_checklist_score_never_falls_with_more_ticks(size: int, data: st.DataObject) -> None:
    steps = sorted(data.draw(st.lists(st.integers(1, 5), min_size=size + 1, max_size=size + 1)))
    checklist = Checklist(
        entries=[ChecklistEntry(key=f"e{n}", text=T) for n in range(size)],
        scores=dict(enumerate(steps)),
    )
    keys = [entry.key for entry in checklist.entries]
    results = [scoring.checklist_score(checklist, keys[:n]) for n in range(size + 1)]
    assert results == sorted(results)


@st.composite
def exact_bandings(draw: st.DrawFn) -> Banding:
    """Valid bandings at precision 0-2 with written minimum and maximum."""
    precision = draw(st.integers(0, 2))
    step = Decimal(1).scaleb(-precision)
    count = draw(st.integers(2, 5))
    cuts = sorted(draw(st.sets(st.integers(1, 400), min_size=count - 1, max_size=count - 1)))
    top = cuts[-1] + draw(st.integers(1, 50))
    edges = [0, *cuts, top + 1]
    scores = sorted(draw(st.sets(st.integers(1, 5), min_size=count, max_size=count)))
    if draw(st.booleans()):
        scores.reverse()
    bands = [
        ScoreBand(score=score, min=float(edges[i] * step), max=float((edges[i + 1] - 1) * step))
        for i, score in enumerate(scores)
    ]
    return Banding(
        label=T, unit=T, precision=precision, minimum=0.0, maximum=float(top * step), bands=bands
    )


@given(exact_bandings(), st.floats(0, 1, allow_nan=False))
def test_a_banding_without_problems_scores_every_possible_figure(
    banding: Banding, fraction: float
) -> None:
    assert banding_problems(banding) == []
    assert banding.maximum is not None
    figure = fraction * banding.maximum
    assert 1 <= scoring.band_value(banding, figure) <= 5


def test_levels_on_the_mean_with_one_decimal() -> None:
    data = IPS25.model_dump(mode="json", exclude_unset=True)
    data["levels"] = {
        "basis": "mean",
        "precision": 1,
        "bands": [
            {"key": "low", "min": 1.0, "max": 2.9, "title": {"da": "Lav", "en": "Low"}},
            {"key": "mid", "min": 3.0, "max": 3.9, "title": {"da": "Mellem", "en": "Middle"}},
            {"key": "high", "min": 4.0, "max": 5.0, "title": {"da": "Høj", "en": "High"}},
        ],
    }
    scale = ScaleDefinition.model_validate(data)
    assert scale.score_range == (1.0, 5.0)
    scores = all_scored(4)
    scores[KEYS[0]] = ItemScore(score=2)
    result = scoring.score_review(scale, scores)
    assert result.mean == 3.92 and result.level is not None and result.level.key == "mid"
    assert scoring.level_for(scale.levels, 3.95).key == "mid"  # between 3.9 and 4.0: lower
    assert scoring.level_for(scale.levels, 4.0).key == "high"
    broken = dict(data, levels=dict(data["levels"], bands=data["levels"]["bands"][1:]))
    with pytest.raises(ValueError, match="scale_rules|rule"):
        ScaleDefinition.model_validate(broken)
