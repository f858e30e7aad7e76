"""Synthetic yearly measurements beside the synthetic reviews, for scale tests: each
review gets its team's confirmed measurement of the year (unless the team already has
one), with its statuses per element for the national figures, worked out by the real
maturity rules from steps around the team's level of practice. The measurements of the
newest two years also get the team's and the ambassadors' ratings of every point and the
team's figures, so the pages a reviewer opens show what a real measurement shows.

Bulk inserts, in the same batches as the reviews.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from app.models import (
    ImplementationRating,
    ImplementationStatus,
    MeasurementRound,
    RoundStatus,
    ScaleVersion,
    TeamFigure,
    table_of,
)
from app.scales.implementation import ImplementationDefinition
from app.scales.maturity import implementation_result
from app.services import scales as scale_service

DETAILED_YEARS = 2  # the newest years whose measurements carry every rating and figure


class SyntheticRounds:
    """What the synthetic measurements are made with, and which team-years exist."""

    def __init__(self, session: Session, instrument: ScaleVersion, newest_year: int) -> None:
        self.instrument_id = instrument.id or 0
        self.instrument: ImplementationDefinition = scale_service.instrument_of(instrument)
        self.taken = set(session.exec(select(MeasurementRound.team_id, MeasurementRound.year)))
        self.detailed_from = newest_year - DETAILED_YEARS + 1
        self.rounds = 0

    def write(
        self,
        connection: sa.Connection,
        made: list[tuple[int, int, str, date, float, datetime]],
        rng: random.Random,
    ) -> None:
        """Measurements for ``made``: (review id, team id, program type, visit, level of
        practice, finalised at) of one batch of synthetic reviews."""
        rows, details = [], []
        for review_id, team_id, program, visit, level, finalised_at in made:
            if (team_id, visit.year) in self.taken:
                continue
            self.taken.add((team_id, visit.year))
            levels = {
                item.key: max(1, min(5, round(level - 0.4 + rng.gauss(0, 0.8))))
                for item in self.instrument.items_for(program)
            }
            result = implementation_result(self.instrument, program_type=program, levels=levels)
            rows.append(
                {
                    "team_id": team_id, "year": visit.year, "instrument_id": self.instrument_id,
                    "review_id": review_id, "status": RoundStatus.SUBMITTED.value,
                    "deadline": visit - timedelta(days=7),
                    "opened_at": finalised_at - timedelta(days=60),
                    "submitted_at": finalised_at - timedelta(days=30),
                    "assessed_at": finalised_at, "documents": [], "team_result": result.to_dict(),
                    "result": result.to_dict(),
                    "overall_status": result.status.key if result.status else None,
                }
            )  # fmt: skip
            details.append((team_id, visit.year, levels, result, finalised_at))
        if not rows:
            return
        rounds = table_of(MeasurementRound)
        ids = connection.execute(
            sa.insert(rounds).returning(rounds.c.id, sort_by_parameter_order=True), rows
        ).scalars()
        statuses, ratings, figures = [], [], []
        for round_id, (team_id, year, levels, result, at) in zip(ids, details, strict=True):
            statuses.append(_status(round_id, "", team_id, year, result.status, result.mean))
            statuses += [
                _status(round_id, e.key, team_id, year, e.status, e.mean) for e in result.elements
            ]
            if year >= self.detailed_from:
                ratings += _ratings(round_id, levels, at)
                figures += _figures(self.instrument, round_id, rng, at)
        connection.execute(sa.insert(table_of(ImplementationStatus)), statuses)
        if ratings:
            connection.execute(sa.insert(table_of(ImplementationRating)), ratings)
            connection.execute(sa.insert(table_of(TeamFigure)), figures)
        self.rounds += len(rows)


def _status(
    round_id: int, key: str, team_id: int, year: int, band: Any, mean: float | None
) -> dict[str, Any]:
    return {
        "round_id": round_id, "element_key": key, "team_id": team_id, "year": year,
        "status_key": band.key if band else None, "mean": mean,
    }  # fmt: skip


def _ratings(round_id: int, levels: dict[str, int], at: datetime) -> list[dict[str, Any]]:
    """The team's step on every point, and the ambassadors' (one step lower on a few)."""
    rows = []
    for index, (key, level) in enumerate(levels.items()):
        ours = level - 1 if index % 7 == 3 and level > 1 else level
        for rater, step in (("team", level), ("ambassadors", ours)):
            rows.append(
                {
                    "round_id": round_id, "item_key": key, "rater": rater, "level": step,
                    "revision": 1, "updated_at": at,
                }
            )  # fmt: skip
    return rows


def _figures(
    instrument: ImplementationDefinition, round_id: int, rng: random.Random, at: datetime
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for entry in instrument.team_inputs:
        row: dict[str, Any]
        low, high = entry.minimum, min(entry.maximum, 100.0)
        if entry.per_consultant:
            values = [round(rng.uniform(low, high / 10), entry.precision) for _ in range(4)]
            row = {"value": None, "consultants": values}
        else:
            row = {"value": round(rng.uniform(low, high), entry.precision), "consultants": None}
        rows.append(
            {"round_id": round_id, "input_key": entry.key, "revision": 1, "updated_at": at, **row}
        )
    return rows
