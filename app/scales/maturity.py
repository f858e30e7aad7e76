"""Implementation status from maturity ratings: pure functions, no database, no HTTP.

Rules (tested with hypothesis):
- an element's mean is the mean of its rated items' steps, rounded half up to the
  status bands' precision; its status is claimed only when every item that applies to
  the team is rated, so a half-filled element never looks finished;
- the overall mean is the mean of the element means, so each of the five elements
  weighs the same whatever its number of items; the overall status is claimed only when
  every element has one;
- a mean between two written bands (2.95 with bands written to one decimal cannot
  occur, since the mean is rounded first) belongs to the band whose minimum it reaches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from app.scales.implementation import MATURITY_LEVELS, ImplementationDefinition, StatusBands
from app.scales.schema import LevelBand, Text, to_precision


class MaturityError(ValueError):
    """Ratings the instrument cannot accept; the message says what was wrong."""


@dataclass(frozen=True)
class ElementStatus:
    key: str
    number: int
    title: Text
    item_count: int
    rated_count: int
    mean: float | None
    status: LevelBand | None


@dataclass(frozen=True)
class ImplementationResult:
    elements: list[ElementStatus]
    mean: float | None
    status: LevelBand | None
    item_count: int
    rated_count: int

    @property
    def complete(self) -> bool:
        return self.rated_count == self.item_count

    def element(self, key: str) -> ElementStatus:
        for element in self.elements:
            if element.key == key:
                return element
        raise KeyError(key)

    def to_dict(self) -> dict[str, object]:
        """The result as plain JSON, as stored and exported."""
        return {
            "mean": self.mean,
            "status": self.status.key if self.status else None,
            "item_count": self.item_count,
            "rated_count": self.rated_count,
            "elements": [
                {
                    "key": element.key,
                    "mean": element.mean,
                    "status": element.status.key if element.status else None,
                    "item_count": element.item_count,
                    "rated_count": element.rated_count,
                }
                for element in self.elements
            ],
        }


def stored_result(
    instrument: ImplementationDefinition, stored: Mapping[str, object]
) -> ImplementationResult:
    """A result as ``ImplementationResult.to_dict`` stored it, read back with the
    instrument's titles and bands: what was confirmed, exactly, whatever changed since."""
    bands = {band.key: band for band in instrument.status.bands}
    kept = {
        str(entry["key"]): entry
        for entry in stored.get("elements", [])  # type: ignore[attr-defined]
        if isinstance(entry, dict)
    }
    elements = []
    for element in instrument.elements:
        entry = kept.get(element.key, {})
        elements.append(
            ElementStatus(
                key=element.key,
                number=element.number,
                title=element.title,
                item_count=int(entry.get("item_count") or 0),
                rated_count=int(entry.get("rated_count") or 0),
                mean=entry.get("mean"),
                status=bands.get(str(entry.get("status"))),
            )
        )
    mean = stored.get("mean")
    return ImplementationResult(
        elements=elements,
        mean=float(mean) if isinstance(mean, int | float) else None,
        status=bands.get(str(stored.get("status"))),
        item_count=int(stored.get("item_count") or 0),  # type: ignore[call-overload]
        rated_count=int(stored.get("rated_count") or 0),  # type: ignore[call-overload]
    )


def status_for(bands: StatusBands, mean: float) -> LevelBand:
    """The status whose band holds ``mean`` (rounded to the bands' precision first)."""
    value = to_precision(mean, bands.precision)
    ordered = sorted(bands.bands, key=lambda band: band.min)
    if value < to_precision(ordered[0].min, bands.precision) or value > to_precision(
        ordered[-1].max, bands.precision
    ):
        raise MaturityError(f"{mean:g} lies outside the ladder's 1-5")
    reached = [band for band in ordered if to_precision(band.min, bands.precision) <= value]
    return reached[-1]


def implementation_result(
    instrument: ImplementationDefinition, *, program_type: str, levels: Mapping[str, int | None]
) -> ImplementationResult:
    """Each element's mean and status, and the overall ones, for one set of ratings."""
    applicable = {item.key for item in instrument.items_for(program_type)}
    unknown = sorted(key for key in levels if key not in applicable)
    if unknown:
        raise MaturityError(f"items not rated for this team: {', '.join(unknown)}")
    for key, level in levels.items():
        if level is not None and level not in MATURITY_LEVELS:
            raise MaturityError(f"item {key}: step {level} is not on the 1-5 ladder")
    precision = instrument.status.precision
    elements = []
    for element in instrument.elements:
        keys = [item.key for item in element.items if item.key in applicable]
        rated = [level for key in keys if (level := levels.get(key)) is not None]
        mean = _mean(rated, precision)
        complete = len(rated) == len(keys)
        elements.append(
            ElementStatus(
                key=element.key,
                number=element.number,
                title=element.title,
                item_count=len(keys),
                rated_count=len(rated),
                mean=mean,
                status=status_for(instrument.status, mean)
                if complete and mean is not None
                else None,
            )
        )
    means = [element.mean for element in elements if element.mean is not None and element.status]
    overall = _mean(means, precision) if len(means) == len(elements) else None
    return ImplementationResult(
        elements=elements,
        mean=overall,
        status=status_for(instrument.status, overall) if overall is not None else None,
        item_count=len(applicable),
        rated_count=sum(element.rated_count for element in elements),
    )


def _mean(values: Sequence[float], precision: int) -> float | None:
    if not values:
        return None
    total = sum((Decimal(str(value)) for value in values), Decimal(0))
    return float(to_precision(total / len(values), precision))


@dataclass(frozen=True)
class Difference:
    """Where the team's own rating and the ambassadors' differ on one item."""

    item_key: str
    team: int | None
    ambassadors: int | None

    @property
    def gap(self) -> int | None:
        """Ambassadors minus team; positive when the ambassadors saw more in place."""
        if self.team is None or self.ambassadors is None:
            return None
        return self.ambassadors - self.team


def differences(
    instrument: ImplementationDefinition,
    *,
    program_type: str,
    team: Mapping[str, int | None],
    ambassadors: Mapping[str, int | None],
) -> list[Difference]:
    """The items, in the instrument's order, where the two ratings are not the same."""
    found = []
    for item in instrument.items_for(program_type):
        ours, theirs = team.get(item.key), ambassadors.get(item.key)
        if ours != theirs:
            found.append(Difference(item.key, ours, theirs))
    return found
