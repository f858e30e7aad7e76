"""The team's figures as typed: read, checked against what the instrument declares, and
turned into the score a fidelity item's banding would give them. No database, no HTTP.

A figure is typed as people type it: "12", "12,5" or "12.5", "1.250" (a dot before three
digits separates thousands, as in Danish), "1.250,5", "85 %", "30 dage".
A unit after the number is accepted when it is the declared unit (in either language);
any other unit is refused by name, since a figure in the wrong unit would be scored as
if it were right. A figure finer than the declared precision is refused rather than
rounded: "2,35 contacts" where tenths are asked is a typing slip more often than not.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from app.errors import Invalid
from app.scales.implementation import TeamInput
from app.scales.schema import Item, to_precision
from app.scales.scoring import ScoringError, band_value, consultant_average

MAX_CONSULTANTS = 50
_THOUSANDS = re.compile(r"^[+-]?[1-9]\d{0,2}(\.\d{3})+$")  # 1.250, not 0.250
_SPACED = re.compile(r"^[+-]?\d{1,3}([\s\u00a0]\d{3})+([.,]\d+)?$")  # 1 250 or 1 250,5
_NUMBER = re.compile(r"^([+-]?[\d\s\u00a0.,]*\d)\s*(.*)$")


def read_figure(text: str, *, entry: TeamInput, language: str = "da") -> float:
    """The figure typed in ``text`` for ``entry``, or Invalid saying what to write."""
    typed = text.strip()
    label = entry.label.get(language)
    unit = entry.unit.get(language)
    found = _NUMBER.match(typed)
    if not typed or found is None:
        raise Invalid.of("err_figure_not_number", label=label, text=typed[:40], unit=unit)
    number, suffix = found.group(1), found.group(2).strip()
    if suffix and suffix.casefold() not in {entry.unit.da.casefold(), entry.unit.en.casefold()}:
        raise Invalid.of("err_figure_unit", label=label, unit=unit, given=suffix[:40])
    value = parse_number(number)
    if value is None:
        raise Invalid.of("err_figure_not_number", label=label, text=typed[:40], unit=unit)
    return check_figure(value, entry=entry, language=language)


def check_figure(value: float, *, entry: TeamInput, language: str = "da") -> float:
    """``value`` if it lies in the declared range at the declared precision."""
    label, unit = entry.label.get(language), entry.unit.get(language)
    if not math.isfinite(value):
        raise Invalid.of("err_figure_not_number", label=label, text=str(value), unit=unit)
    if not entry.minimum <= value <= entry.maximum:
        raise Invalid.of(
            "err_figure_range",
            label=label,
            value=_plain(value, language),
            minimum=_plain(entry.minimum, language),
            maximum=_plain(entry.maximum, language),
            unit=unit,
        )
    if Decimal(str(value)) != to_precision(value, entry.precision):
        if entry.precision == 0:
            raise Invalid.of("err_figure_whole", label=label)
        raise Invalid.of("err_figure_precision", label=label, count=entry.precision)
    return value + 0.0  # -0 is 0


def check_consultants(
    values: Sequence[float], *, entry: TeamInput, language: str = "da"
) -> list[float]:
    """One figure per consultant, each checked as a figure; at least one, at most 50."""
    if not values or len(values) > MAX_CONSULTANTS:
        raise Invalid.of(
            "err_figure_consultants", label=entry.label.get(language), max=MAX_CONSULTANTS
        )
    return [check_figure(value, entry=entry, language=language) for value in values]


def score_from_team(
    item: Item, *, value: float | None, consultants: Sequence[float] | None
) -> float | None:
    """The score the team's figure would give ``item`` (None when it gives none: no
    figure, an item that is not banded, or a figure its banding cannot place)."""
    if item.banding is None:
        return None
    try:
        if item.per_consultant:
            if not consultants:
                return None
            return consultant_average([band_value(item.banding, v) for v in consultants])
        if value is None:
            return None
        return float(band_value(item.banding, value))
    except ScoringError:
        return None


def parse_number(text: str) -> float | None:
    """A number as people type it (Danish or English decimals, Danish thousands), or None."""
    if re.search(r"\d[\s\u00a0]+\d", text) and not _SPACED.match(text):
        return None  # "12 5" is not a number written with a thousands space
    digits = re.sub(r"[\s\u00a0]", "", text)
    if "," in digits and "." in digits:
        digits = digits.replace(".", "").replace(",", ".")  # 1.250,5: Danish thousands
    elif _THOUSANDS.match(digits):
        digits = digits.replace(".", "")  # 1.250: Danish thousands (no figure has 3 decimals)
    else:
        digits = digits.replace(",", ".")
    if digits.count(".") > 1:
        return None
    try:
        value = float(Decimal(digits))
    except (InvalidOperation, ValueError):  # ValueError: "sNaN"
        return None
    return value if math.isfinite(value) else None  # "NaN", "Infinity": no figure


def _plain(value: float, language: str) -> str:
    shown = f"{value:.6f}".rstrip("0").rstrip(".")
    return shown.replace(".", ",") if language == "da" else shown
