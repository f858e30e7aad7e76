"""The team's figures as typed: Danish and English numbers, the declared unit only, the
declared precision and range; and the score a figure would give a banded item."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.errors import Invalid
from app.scales.figures import check_consultants, read_figure, score_from_team
from tests.factories import shipped_instrument, shipped_scale

INSTRUMENT = shipped_instrument()
IPS25 = shipped_scale("ips-25", "2019")


@pytest.mark.parametrize(
    ("key", "typed", "value"),
    [
        ("caseload", "18", 18),
        ("caseload", " 18 borgere ", 18),
        ("caseload", "18 Citizens", 18),
        ("consultant-fte", "4,5", 4.5),
        ("consultant-fte", "4.5", 4.5),
        ("participants", "1.250", 1250),
        ("participants", "1 250", 1250),
        ("ips-time-share", "85%", 85),
        ("ips-time-share", "85 %", 85),
        ("employer-contacts", "2,0", 2),
    ],
)
def test_a_figure_is_read_as_people_type_it(key: str, typed: str, value: float) -> None:
    assert read_figure(typed, entry=INSTRUMENT.team_input(key)) == value


@pytest.mark.parametrize(
    ("key", "typed", "error"),
    [
        ("caseload", "", "err_figure_not_number"),
        ("caseload", "ca. 20", "err_figure_not_number"),
        ("caseload", "1,2,3", "err_figure_not_number"),
        ("caseload", "20 uger", "err_figure_unit"),
        ("ips-time-share", "0,85", "err_figure_whole"),
        ("consultant-fte", "4,55", "err_figure_precision"),
        ("ips-time-share", "101", "err_figure_range"),
        ("caseload", "-3", "err_figure_range"),
    ],
)
def test_a_figure_that_cannot_be_right_is_refused_by_what_to_write(
    key: str, typed: str, error: str
) -> None:
    with pytest.raises(Invalid) as refused:
        read_figure(typed, entry=INSTRUMENT.team_input(key))
    assert refused.value.key == error


def test_the_refusal_speaks_the_readers_language() -> None:
    with pytest.raises(Invalid) as refused:
        read_figure("600", entry=INSTRUMENT.team_input("caseload"), language="da")
    assert refused.value.message("da") == (
        "Borgere pr. fuldtidskonsulent: 600 ligger uden for 0\u2013500 borgere."
    )


def test_one_figure_per_consultant_for_at_most_fifty() -> None:
    entry = INSTRUMENT.team_input("employer-contacts")
    assert check_consultants([4.5, 6], entry=entry) == [4.5, 6]
    for wrong in ([], [1.0] * 51):
        with pytest.raises(Invalid) as refused:
            check_consultants(wrong, entry=entry)
        assert refused.value.key == "err_figure_consultants"


def test_the_score_a_team_figure_would_give() -> None:
    caseload = IPS25.item("caseload-size")
    assert score_from_team(caseload, value=18, consultants=None) == 5
    assert score_from_team(caseload, value=None, consultants=None) is None
    contacts = IPS25.item("job-development-frequency")  # per consultant: the mean of scores
    assert score_from_team(contacts, value=None, consultants=[6, 1]) == 3.0
    anchored = IPS25.item("zero-exclusion-criteria")
    assert score_from_team(anchored, value=3, consultants=None) is None


@given(st.integers(min_value=0, max_value=500))
def test_every_caseload_the_team_may_report_gets_a_score(value: int) -> None:
    entry = INSTRUMENT.team_input("caseload")
    typed = read_figure(str(value), entry=entry)
    score = score_from_team(IPS25.item("caseload-size"), value=typed, consultants=None)
    assert score is not None and 1 <= score <= 5


@pytest.mark.parametrize(
    ("key", "typed", "outcome"),
    [
        ("consultant-fte", "0.250", "err_figure_precision"),  # not 250
        ("days-to-employer-contact", "0.100", "err_figure_whole"),  # not 100 days
        ("participants", "12 5", "err_figure_not_number"),  # not 125
        ("participants", "1" + "0" * 30, "err_figure_range"),  # not a 500
        ("caseload", "-0", 0.0),
    ],
)
def test_figures_that_once_were_misread(key: str, typed: str, outcome: object) -> None:
    entry = INSTRUMENT.team_input(key)
    if isinstance(outcome, float):
        value = read_figure(typed, entry=entry)
        assert value == outcome and str(value) == "0.0"
        return
    with pytest.raises(Invalid) as refused:
        read_figure(typed, entry=entry)
    assert refused.value.key == outcome
    assert "e+" not in refused.value.message("en")
