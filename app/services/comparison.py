"""The national figures a team's latest review is compared with: each item's median and
quartiles over the country's teams on the same scale version in the same year.

A team counts with its latest finalised review of the year. The figures for an item are
shown only when at least ``NATIONAL_MINIMUM_TEAMS`` teams contribute a score to it, so no
team's score is shown on its own. They are a median and quartiles, which are actual
scores: with exactly five teams, someone who knows four of the five scores can work out
the fifth.

The database counts each score per item (a histogram: scores are few distinct values), so
no rating row comes to Python. The answer is kept per process under the figures' version
(``audit.figures_version``): a review finalised or reopened anywhere moves it, in every
worker alike.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Connection
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from app.models import FINALISED, RaterKind, Rating, Review
from app.services import audit

NATIONAL_MINIMUM_TEAMS = 5


@dataclass(frozen=True)
class NationalItem:
    """The spread of one item's consensus scores across the country's teams."""

    median: float
    lower_quartile: float
    upper_quartile: float
    teams: int


NationalItems = tuple[dict[str, NationalItem], int]

_NATIONAL: dict[tuple[int, int, int], NationalItems] = {}


def national_items(session: Session, *, scale_version_id: int, year: int) -> NationalItems:
    """Each item's national median and quartiles for a scale version and year, and the teams.

    Empty (and no teams) when fewer than ``NATIONAL_MINIMUM_TEAMS`` teams have a review
    finalised on the version in the year; an item fewer teams scored is left out."""
    connection = session.connection()
    key = (scale_version_id, year, audit.figures_version(session))
    found = _NATIONAL.get(key)
    if found is None:
        found = _counted(connection, scale_version_id, year)
        if len(_NATIONAL) >= 256:
            _NATIONAL.clear()
        _NATIONAL[key] = found
    return found


def forget_figures() -> None:
    """Drop the figures kept between requests (tests roll back what they made)."""
    _NATIONAL.clear()


def _in_year(scale_version_id: int, year: int) -> list[ColumnElement[bool]]:
    return [
        col(Review.scale_version_id) == scale_version_id,
        col(Review.status) == FINALISED,
        col(Review.visit_date) >= date(year, 1, 1),
        col(Review.visit_date) <= date(year, 12, 31),
    ]


def _counted(connection: Connection, scale_version_id: int, year: int) -> NationalItems:
    teams = connection.execute(
        sa.select(sa.func.count(sa.distinct(col(Review.team_id)))).where(
            *_in_year(scale_version_id, year)
        )
    ).scalar_one()
    if teams < NATIONAL_MINIMUM_TEAMS:
        return {}, 0
    histogram = _histogram(connection, _latest_of_each_team(scale_version_id, year))
    return (
        {
            key: spread_of(counts)
            for key, counts in histogram.items()
            if sum(counts.values()) >= NATIONAL_MINIMUM_TEAMS
        },
        int(teams),
    )


def _latest_of_each_team(scale_version_id: int, year: int) -> sa.Select[int | None]:
    """The id of each team's latest review of the year on the version: no later one."""
    later = aliased(Review, name="later")
    return sa.select(col(Review.id)).where(
        *_in_year(scale_version_id, year),
        ~sa.exists().where(
            col(later.team_id) == col(Review.team_id),
            col(later.scale_version_id) == scale_version_id,
            col(later.status) == FINALISED,
            col(later.visit_date) <= date(year, 12, 31),
            sa.or_(
                col(later.visit_date) > col(Review.visit_date),
                sa.and_(
                    col(later.visit_date) == col(Review.visit_date), col(later.id) > col(Review.id)
                ),
            ),
        ),
    )


def _histogram(
    connection: Connection, reviews: sa.Select[int | None]
) -> dict[str, dict[float, int]]:
    """Per item, how many of ``reviews`` gave each consensus score."""
    histogram: dict[str, dict[float, int]] = defaultdict(dict)
    for item_key, score, times in connection.execute(
        sa.select(col(Rating.item_key), col(Rating.score), sa.func.count())
        .where(
            col(Rating.review_id).in_(reviews),
            col(Rating.rater_kind) == RaterKind.CONSENSUS,
            col(Rating.score).is_not(None),
        )
        .group_by(col(Rating.item_key), col(Rating.score))
    ):
        histogram[item_key][float(score or 0.0)] = int(times)  # never None here
    return histogram


def spread_of(counts: dict[float, int]) -> NationalItem:
    """``spread`` over a histogram (score → how many teams gave it), without every score.

    The quantiles are read at their positions in the sorted scores."""
    ordered = sorted(counts.items())
    total = sum(counts.values())

    def at(position: int) -> float:  # the score at a 0-based position in sorted order
        for score, times in ordered:
            if position < times:
                return score
            position -= times
        return ordered[-1][0]

    def quantile(fraction: float) -> float:  # the inclusive method, as in statistics
        place = fraction * (total - 1)
        low = int(place)
        high = min(low + 1, total - 1)
        return at(low) + (at(high) - at(low)) * (place - low)

    return NationalItem(
        round(quantile(0.5), 2), round(quantile(0.25), 2), round(quantile(0.75), 2), total
    )


def spread(values: list[float]) -> NationalItem:
    """Median and quartiles (the inclusive method: the quartiles lie within the data)."""
    lower, median, upper = statistics.quantiles(sorted(values), n=4, method="inclusive")
    return NationalItem(round(median, 2), round(lower, 2), round(upper, 2), len(values))
