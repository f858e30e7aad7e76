"""How far reviewers agreed: the statistics stored with a finalised review. Pure
functions over the reviewers' scores, no database and no HTTP.

Only the items every reviewer scored are compared. Cohen's kappa uses quadratic weights on
the five levels and is averaged over every pair of reviewers, so it does not depend on
which reviewer is called first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Protocol

from app.scales.schema import ScaleDefinition, to_precision


class Scored(Protocol):
    """A reviewer's rating of one item, as far as agreement reads it."""

    @property
    def score(self) -> float | None: ...


@dataclass(frozen=True)
class Agreement:
    """How far the reviewers' independent scores agreed, over the items all of them scored.

    ``exact``: share of items where every reviewer gave the same score. ``within_one``:
    share where the highest and lowest score differ by at most one point. ``kappa``:
    Cohen's kappa with quadratic weights on the five levels, averaged over the pairs of
    reviewers (None when it is undefined, e.g. every score the same).
    """

    raters: int
    items_compared: int
    exact: float | None
    within_one: float | None
    kappa: float | None
    pairs: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "raters": self.raters,
            "items_compared": self.items_compared,
            "exact": self.exact,
            "within_one": self.within_one,
            "weighted_kappa": self.kappa,
        }


def agreement(*, definition: ScaleDefinition, raters: Sequence[Mapping[str, Scored]]) -> Agreement:
    """The agreement of ``raters`` (each: item key → rating) over the scale's items."""
    rows: list[list[float]] = []
    for item in definition.items:
        scores = [rater.get(item.key) for rater in raters]
        values = [r.score for r in scores if r is not None and r.score is not None]
        if len(values) == len(raters) and len(raters) >= 2:
            rows.append(values)
    if not rows:
        return Agreement(len(raters), 0, None, None, None)
    exact = sum(1 for values in rows if max(values) == min(values)) / len(rows)
    within = sum(1 for values in rows if max(values) - min(values) <= 1) / len(rows)
    kappas = [
        _exact_kappa([row[a] for row in rows], [row[b] for row in rows])
        for a in range(len(raters))
        for b in range(a + 1, len(raters))
    ]
    defined = [k for k in kappas if k is not None]
    # Exact fractions until the end: the mean is then the same whatever order the
    # reviewers come in (floats summed in another order can round 0.2125 either way).
    kappa = round(float(sum(defined, Fraction(0)) / len(defined)), 3) if defined else None
    return Agreement(len(raters), len(rows), round(exact, 3), round(within, 3), kappa)


def weighted_kappa(first: Sequence[float], second: Sequence[float]) -> float | None:
    """Cohen's kappa with quadratic weights for two raters on the levels 1-5.

    A per-consultant average is rounded half up to the nearest level first.
    """
    exact = _exact_kappa(first, second)
    return None if exact is None else float(exact)


def _exact_kappa(first: Sequence[float], second: Sequence[float]) -> Fraction | None:
    """The weighted kappa as an exact fraction: counts and squared distances are whole
    numbers, so 1 - n·Σ w·o / Σ w·row·column is too (the weights' common 1/16 and the
    shares' 1/n cancel)."""
    levels = 5
    a = [int(to_precision(value, 0)) - 1 for value in first]
    b = [int(to_precision(value, 0)) - 1 for value in second]
    n = len(a)
    if n == 0:
        return None
    observed = [[0] * levels for _ in range(levels)]
    for i, j in zip(a, b, strict=True):
        observed[i][j] += 1
    row = [sum(observed[i]) for i in range(levels)]
    column = [sum(observed[i][j] for i in range(levels)) for j in range(levels)]
    weight = [[(i - j) ** 2 for j in range(levels)] for i in range(levels)]
    disagreement = sum(weight[i][j] * observed[i][j] for i in range(levels) for j in range(levels))
    expected = sum(weight[i][j] * row[i] * column[j] for i in range(levels) for j in range(levels))
    if expected == 0:
        return None
    return 1 - Fraction(n * disagreement, expected)
