"""The national filters: a value a form or a script writes is taken, and an unknown one
is refused, naming the values that are allowed."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.errors import Invalid
from app.services import national_filters
from app.services.national_filters import Filters
from tests.factories import make_scale_version


@pytest.mark.parametrize(
    ("field", "value", "key", "named"),
    [
        ("region", "9", "err_filter_region", "1084 (Region Hovedstaden)"),
        ("program_type", "ips-like", "err_filter_program", "ips_lignende"),
        ("scale", "ips-99", "err_filter_scale", "ips-25/2019"),
        ("year", "20x5", "err_filter_year", "1990"),
        ("year", "1850", "err_filter_year", "2100"),
    ],
)
def test_an_unknown_filter_value_names_the_allowed_ones(
    session: Session, field: str, value: str, key: str, named: str
) -> None:
    make_scale_version(session)
    with pytest.raises(Invalid) as refused:
        national_filters.parse_filters(session, **{field: value})
    assert refused.value.key == key
    assert named in refused.value.message("en")


def test_known_filter_values_are_taken(session: Session) -> None:
    make_scale_version(session)
    chosen = national_filters.parse_filters(
        session, year="2025", region="1084", program_type="ips", scale="ips-25/2019"
    )
    assert chosen == Filters(2025, 1084, "ips", "ips-25/2019")
    assert national_filters.parse_filters(session, scale="ips-25").scale == "ips-25"
    assert national_filters.parse_filters(session, year="", region="") == Filters()
