"""Synthetic finalised reviews for scale tests: ``fidelity demo --synthetic-reviews N``.

N reviews are spread over ten years and over as many teams as it takes for each team to
have about one review a year (existing active teams first, then synthetic teams named
"Syntetisk IPS-team 00001" and so on, across all 98 municipalities). Every fifth synthetic
team is an IPS-lignende team, measured on its own scale from 2024. A team has a level of
practice of its own that improves a little each year; each item is scored around it,
harder items lower, with the occasional item not rated. Totals, levels and profiles come
from the real scoring core, so the data looks like what finalising stores.

Beside each review, the team's confirmed yearly measurement is made too
(``synthetic_rounds``). Rows are written with bulk inserts, a batch of reviews at a
time, so a hundred thousand reviews (2.5 million ratings) take minutes, not hours. Only
consensus ratings are made, and no user: this is data for measuring, never for signing
in. Seeded, so the same N gives the same data.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from app.models import (
    Municipality,
    ProgramType,
    RaterKind,
    Rating,
    Review,
    ReviewStatus,
    Team,
    TeamMunicipality,
    table_of,
    utcnow,
)
from app.scales import scoring
from app.scales.schema import ScaleDefinition
from app.services import audit
from app.services.demo import publish_demo_instrument, publish_demo_scales
from app.services.demo.reviews import ITEM_DIFFICULTY
from app.services.synthetic_rounds import SyntheticRounds

YEARS = tuple(range(2017, 2027))
BATCH = 500  # reviews per insert
NOT_RATED_SHARE = 0.01
NOT_RATED_REASON = "Kunne ikke belyses ved besøget"
SYNTHETIC_PREFIX = "Syntetisk IPS-team"


@dataclass
class SyntheticSummary:
    teams: int = 0
    reviews: int = 0
    ratings: int = 0
    rounds: int = 0


def add_synthetic_reviews(
    session: Session,
    *,
    count: int,
    scales_dir: Path,
    seed: int = 2026,
    progress: Callable[[int], None] | None = None,
) -> SyntheticSummary:
    """Add ``count`` finalised reviews (and the teams they need) in the session's
    transaction; ``progress`` hears how many reviews are written so far."""
    summary = SyntheticSummary()
    if count <= 0:
        return summary
    versions = publish_demo_scales(session, scales_dir=scales_dir)
    measurements = SyntheticRounds(
        session, publish_demo_instrument(session, scales_dir=scales_dir), YEARS[-1]
    )
    ips = versions["ips-25/2019"]
    lignende = versions.get("ips-lignende/2024")
    rng = random.Random(seed)
    teams = _teams(session, -(-count // len(YEARS)), summary)
    quality = {team.id: _clamp_quality(rng.gauss(3.4, 0.55)) for team in teams}
    connection = session.connection()
    written = 0
    while written < count:
        batch = []
        for index in range(written, min(count, written + BATCH)):
            team = teams[index % len(teams)]
            year = YEARS[(index // len(teams)) % len(YEARS)]
            use_lignende = (
                team.program_type == ProgramType.IPS_LIGNENDE and year >= 2024 and lignende
            )
            row, definition = lignende if use_lignende else ips  # type: ignore[misc]
            level = quality[team.id] + 0.08 * (year - YEARS[0])
            batch.append((team, row, definition, _visit(index, year), level))
        summary.ratings += _write(connection, batch, rng, measurements)
        written += len(batch)
        summary.reviews += len(batch)
        if progress is not None:
            progress(written)
    audit.record(
        session,
        action="demo.synthetic_reviews",
        channel="cli",
        after={
            "teams": summary.teams,
            "reviews": summary.reviews,
            "ratings": summary.ratings,
            "rounds": measurements.rounds,
        },
    )
    summary.rounds = measurements.rounds
    return summary


def _write(
    connection: sa.Connection, batch: list[Any], rng: random.Random, measurements: SyntheticRounds
) -> int:
    """One batch of finalised reviews and their consensus ratings, and the yearly
    measurements beside them, inserted in bulk; answers how many ratings it wrote."""
    reviews, ratings = table_of(Review), table_of(Rating)
    review_rows, rating_rows = [], []
    for team, row, definition, visit, level in batch:
        scores = _scores(definition, level, rng)
        result = scoring.score_review(definition, scores)
        finalised_at = datetime.combine(visit + timedelta(days=21), time(10), tzinfo=UTC)
        review_rows.append(
            {
                "team_id": team.id,
                "scale_version_id": row.id,
                "visit_date": visit,
                "visit_end_date": visit,
                "status": ReviewStatus.FINALISED.value,
                "created_at": finalised_at - timedelta(days=30),
                "finalised_at": finalised_at,
                "total_score": result.total,
                "level_key": result.level.key if result.level else None,
                "result": result.to_dict(),
            }
        )
        rating_rows.append((scores, finalised_at))
    ids = list(
        connection.execute(
            sa.insert(reviews).returning(reviews.c.id, sort_by_parameter_order=True),
            review_rows,
        ).scalars()
    )
    measurements.write(
        connection,
        [
            (review_id, team.id, team.program_type, visit, level, at)
            for review_id, (team, _, _, visit, level), (_, at) in zip(
                ids, batch, rating_rows, strict=True
            )
        ],
        rng,
    )
    values = [
        {
            "review_id": review_id,
            "item_key": key,
            "rater_kind": RaterKind.CONSENSUS.value,
            "rater_id": None,
            "score": item.score,
            "not_rated_reason": item.not_rated_reason,
            "evidence": [],
            "revision": 1,
            "updated_at": at,
        }
        for review_id, (scores, at) in zip(ids, rating_rows, strict=True)
        for key, item in scores.items()
    ]
    connection.execute(sa.insert(ratings), values)
    return len(values)


def _clamp_quality(value: float) -> float:
    return max(1.6, min(4.6, value))


def _visit(index: int, year: int) -> date:
    return date(year, 1 + index % 12, 1 + (index // 12) % 28)


def _scores(
    definition: ScaleDefinition, level: float, rng: random.Random
) -> dict[str, scoring.ItemScore]:
    scores = {}
    for item in definition.items:
        if rng.random() < NOT_RATED_SHARE:
            scores[item.key] = scoring.ItemScore(score=None, not_rated_reason=NOT_RATED_REASON)
            continue
        raw = level + ITEM_DIFFICULTY.get(item.key, 0.0) + rng.gauss(0, 0.7)
        scores[item.key] = scoring.ItemScore(score=float(max(1, min(5, round(raw)))))
    return scores


def _teams(session: Session, needed: int, summary: SyntheticSummary) -> list[Team]:
    """The active teams, and as many synthetic ones as it takes to have ``needed``."""
    teams = list(
        session.exec(select(Team).where(col(Team.is_active).is_(True)).order_by(col(Team.id)))
    )
    codes = list(session.exec(select(Municipality.code).order_by(col(Municipality.code))))
    taken = set(session.exec(select(Team.name)))
    number = 0
    new: list[Team] = []
    while len(teams) + len(new) < needed:
        number += 1
        name = f"{SYNTHETIC_PREFIX} {number:05d}"
        if name in taken:
            continue
        program = ProgramType.IPS_LIGNENDE if number % 5 == 0 else ProgramType.IPS
        new.append(Team(name=name, program_type=program, created_at=utcnow()))
    session.add_all(new)
    session.flush()
    session.add_all(
        TeamMunicipality(team_id=team.id or 0, municipality_code=codes[i % len(codes)])
        for i, team in enumerate(new)
    )
    session.flush()
    summary.teams = len(new)
    return teams + new
