"""The demo's reviews: three years of finalised reviews of every team, and one review in
progress, with the reviewers' and the consensus's ratings.

Each review draws from a random generator seeded by its team and visit, so it comes out
the same wherever it is made. Raw figures, ticks and per-consultant scores are generated
to agree with the score through the same scoring core the product uses.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, select

from app.models import (
    ProgramType,
    RaterKind,
    Rating,
    Review,
    ReviewReviewer,
    ReviewStatus,
    ScaleVersion,
    Team,
    User,
)
from app.scales import scoring
from app.scales.schema import Item, ScaleDefinition
from app.services.demo.people import reviewer_pair
from app.services.demo.summary import DemoSummary
from app.services.demo.teams import DEMO_TEAMS

FINALISED_YEARS = (2023, 2024, 2025)
IN_PROGRESS_VISIT = date(2026, 11, 10)

# The demo's scale versions by "key/version", with their definitions.
DemoScales = dict[str, tuple[ScaleVersion, ScaleDefinition]]

# Items that Danish teams commonly find hard (negative) or easy (positive).
ITEM_DIFFICULTY = {
    "work-incentives-planning": -0.8,
    "job-development-quality": -0.6,
    "job-development-frequency": -0.7,
    "executive-team-support": -0.4,
    "community-based-services": -0.5,
    "diversity-of-employers": -0.3,
    "zero-exclusion-criteria": 0.6,
    "rapid-job-search": 0.4,
    "competitive-jobs": 0.5,
    "time-unlimited-follow-along": 0.3,
}

NOTES = {
    1: "Praksis ses kun i enkelte sager; teamet kender ikke metodens krav her.",
    2: "Praksis er i gang, men uensartet mellem konsulenterne.",
    3: "Rimelig praksis; dokumentationen er mangelfuld i flere sager.",
    4: "God praksis i de fleste sager, som teamet selv følger op på.",
    5: "Stærk og gennemgående praksis, også set ved observation af teammødet.",
}


RECOMMENDATION = (
    "Læg en plan for at styrke {item}: aftal med teamlederen, hvad der konkret skal "
    "ændres, hvem der gør det, og følg op på det ved næste teammøde."
)
STRENGTHS = (
    "Teamet arbejder målrettet med borgernes egne ønsker til job.\n\n"
    "- Jobsøgningen starter hurtigt\n"
    "- Godt samarbejde med jobcentrets sagsbehandlere"
)
SUMMARY = (
    "Teamet arbejder tæt på IPS-modellen på de fleste områder. Anbefalingerne nedenfor "
    "peger på de items, hvor en indsats vil løfte fideliteten mest."
)
RATIONALE = "Afklaret på konsensusmødet ud fra interview med teamleder og gennemgang af sagerne."


def add_finalised_reviews(
    session: Session,
    *,
    summary: DemoSummary,
    users: dict[str, User],
    teams: dict[str, Team],
    versions: DemoScales,
) -> None:
    """Every demo team's finalised reviews of ``FINALISED_YEARS``, each made if missing."""
    for name, program, _, region, baseline in DEMO_TEAMS:
        team = teams[name]
        reviewers = reviewer_pair(users, region=region)
        for year in FINALISED_YEARS:
            scale = _scale_for(versions, program, year)
            if scale is None:
                continue
            visit = date(year, 3 + (team.id or 0) % 8, 4 + (team.id or 0) % 20)
            quality = baseline + 0.2 * (year - FINALISED_YEARS[0])
            _finalised_review(
                session, summary, team, scale, visit=visit, quality=quality, reviewers=reviewers
            )


def _scale_for(
    versions: DemoScales, program: ProgramType, year: int
) -> tuple[ScaleVersion, ScaleDefinition] | None:
    """The scale a team of ``program`` would have been measured with in ``year``."""
    if program == ProgramType.IPS_LIGNENDE:
        # The variant exists from 2024; before that such teams were measured on IPS-25.
        return versions.get("ips-lignende/2024") if year >= 2024 else versions.get("ips-25/2019")
    return versions.get("ips-25/2019")


def _finalised_review(
    session: Session,
    summary: DemoSummary,
    team: Team,
    scale: tuple[ScaleVersion, ScaleDefinition],
    *,
    visit: date,
    quality: float,
    reviewers: tuple[User, User],
) -> None:
    row, definition = scale
    if _review_exists(session, team, visit):
        return
    lead, second = reviewers
    rng = random.Random(f"{team.name}/{visit.isoformat()}")
    finalised_at = datetime.combine(visit + timedelta(days=21), time(10), tzinfo=UTC)
    review = Review(
        team_id=team.id or 0,
        scale_version_id=row.id or 0,
        visit_date=visit,
        visit_end_date=visit + timedelta(days=1),
        status=ReviewStatus.FINALISED,
        created_by_id=lead.id,
        finalised_at=finalised_at,
    )
    session.add(review)
    session.flush()
    _add_reviewers(session, review, lead, second, submitted_at=finalised_at - timedelta(days=7))
    consensus: dict[str, scoring.ItemScore] = {}
    consultants = 2 + rng.randrange(4)
    for item in definition.items:
        score = _rate_item(
            session, summary, review, item, threshold=definition.recommendation_threshold,
            quality=quality, consultants=consultants, reviewers=reviewers,
            finalised_at=finalised_at, rng=rng,
        )  # fmt: skip
        consensus[item.key] = scoring.ItemScore(score=score)
    result = scoring.score_review(definition, consensus)
    review.strengths = STRENGTHS
    review.summary = SUMMARY
    review.total_score = result.total
    review.level_key = result.level.key if result.level else None
    review.result = result.to_dict()
    summary.reviews += 1


def _rate_item(
    session: Session,
    summary: DemoSummary,
    review: Review,
    item: Item,
    *,
    threshold: float,
    quality: float,
    consultants: int,
    reviewers: tuple[User, User],
    finalised_at: datetime,
    rng: random.Random,
) -> float:
    """Both reviewers' ratings of ``item`` and the consensus's, whose score it answers."""
    target = _clamp(round(quality + ITEM_DIFFICULTY.get(item.key, 0.0) + rng.gauss(0, 0.6)))
    score, inputs = _scored_inputs(item, target, consultants, rng)
    individual = [_clamp(round(score) + rng.choice((0, 0, 0, 0, 1, -1))) for _ in range(2)]
    agreed = all(s == round(score) for s in individual)
    for reviewer, own in zip(reviewers, individual, strict=True):
        _add_rating(
            session,
            summary,
            review,
            item.key,
            RaterKind.REVIEWER,
            reviewer,
            score=float(own),
            at=finalised_at - timedelta(days=8),
            rng=rng,
        )
    _add_rating(
        session,
        summary,
        review,
        item.key,
        RaterKind.CONSENSUS,
        reviewers[0],
        score=score,
        inputs=inputs,
        at=finalised_at - timedelta(days=1),
        rng=rng,
        rationale=None if agreed else RATIONALE,
        recommendation=RECOMMENDATION.format(item=item.title.da.lower())
        if score <= threshold
        else None,
    )
    return score


def add_review_in_progress(
    session: Session,
    *,
    summary: DemoSummary,
    team: Team,
    versions: DemoScales,
    users: dict[str, User],
) -> None:
    """A review of ``team`` being scored, nine items rated by its lead, if missing."""
    scale = versions.get("ips-25/2019")
    if scale is None or _review_exists(session, team, IN_PROGRESS_VISIT):
        return
    row, definition = scale
    lead, second = users["amb.hovedstaden"], users["amb.sjaelland"]
    review = Review(
        team_id=team.id or 0,
        scale_version_id=row.id or 0,
        visit_date=IN_PROGRESS_VISIT,
        visit_end_date=IN_PROGRESS_VISIT,
        status=ReviewStatus.SCORING,
        created_by_id=lead.id,
    )
    session.add(review)
    session.flush()
    _add_reviewers(session, review, lead, second, submitted_at=None)
    rng = random.Random("in-progress")
    at = datetime.combine(IN_PROGRESS_VISIT, time(14), tzinfo=UTC)
    for item in definition.items[:9]:
        score, inputs = _scored_inputs(item, _clamp(round(4 + rng.gauss(0, 0.7))), 3, rng)
        _add_rating(
            session,
            summary,
            review,
            item.key,
            RaterKind.REVIEWER,
            lead,
            score=score,
            inputs=inputs,
            at=at,
            rng=rng,
        )
    summary.reviews += 1


def _review_exists(session: Session, team: Team, visit: date) -> bool:
    statement = select(Review.id).where(Review.team_id == team.id, Review.visit_date == visit)
    return session.exec(statement).first() is not None


def _add_reviewers(
    session: Session, review: Review, lead: User, second: User, *, submitted_at: datetime | None
) -> None:
    for user, is_lead in ((lead, True), (second, False)):
        session.add(
            ReviewReviewer(
                review_id=review.id or 0,
                user_id=user.id or 0,
                is_lead=is_lead,
                submitted_at=submitted_at,
            )
        )


def _add_rating(
    session: Session,
    summary: DemoSummary,
    review: Review,
    item_key: str,
    kind: RaterKind,
    author: User,
    *,
    score: float,
    at: datetime,
    rng: random.Random,
    inputs: dict[str, Any] | None = None,
    rationale: str | None = None,
    recommendation: str | None = None,
) -> None:
    session.add(
        Rating(
            review_id=review.id or 0,
            item_key=item_key,
            rater_kind=kind,
            rater_id=author.id if kind == RaterKind.REVIEWER else None,
            score=score,
            note=NOTES[_clamp(round(score))] if rng.random() < 0.3 else None,
            rationale=rationale,
            recommendation=recommendation,
            evidence=rng.sample(["MIS", "DOC", "INT", "OBS"], k=2),
            inputs=inputs,
            updated_at=at,
            updated_by_id=author.id,
        )
    )
    summary.ratings += 1


def _clamp(score: int) -> int:
    return max(1, min(5, score))


def _scored_inputs(
    item: Item, target: int, consultants: int, rng: random.Random
) -> tuple[float, dict[str, Any] | None]:
    """A score near ``target`` and raw inputs that the scoring core turns into that score."""
    if item.per_consultant:
        entries = []
        for number in range(1, consultants + 1):
            own, own_inputs = _scored_inputs(
                item.model_copy(update={"per_consultant": False}),
                _clamp(target + rng.choice((-1, 0, 0, 1))),
                1,
                rng,
            )
            entries.append({"label": f"Konsulent {number}", "score": own, **(own_inputs or {})})
        score = scoring.consultant_average([entry["score"] for entry in entries])
        return score, {"consultants": entries}
    if item.kind == "banded" and item.banding is not None:
        band = min(item.banding.bands, key=lambda b: (abs(b.score - target), b.score))
        low = band.min if band.min is not None else item.banding.minimum or 0.0
        high = (
            band.max
            if band.max is not None
            else (item.banding.maximum if item.banding.maximum is not None else low + 20)
        )
        figure = round(rng.uniform(low, high), item.banding.precision)
        return float(scoring.band_value(item.banding, figure)), {"figure": figure}
    if item.kind == "checklist" and item.checklist is not None:
        scores = item.checklist.scores
        count = min(scores, key=lambda c: (abs(scores[c] - target), c))
        keys = [entry.key for entry in item.checklist.entries]
        ticked = sorted(rng.sample(keys, k=count))
        return float(scoring.checklist_score(item.checklist, ticked)), {"ticked": ticked}
    return float(target), None
