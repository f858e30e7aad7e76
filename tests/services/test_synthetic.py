"""The synthetic data generator: finalised reviews spread over teams, years and scale
versions, scored like real ones."""

from __future__ import annotations

from statistics import mean

from sqlmodel import Session, func, select

from app.config import PROJECT_ROOT
from app.models import Rating, Review, ReviewStatus, Team
from app.services import synthetic


def test_synthetic_reviews_are_spread_and_scored_like_real_ones(session: Session) -> None:
    made = synthetic.add_synthetic_reviews(session, count=300, scales_dir=PROJECT_ROOT / "scales")
    session.commit()

    assert made.reviews == 300 and made.ratings == 300 * 25
    reviews = session.exec(select(Review).where(Review.status == ReviewStatus.FINALISED)).all()
    assert len(reviews) == 300
    assert {r.visit_date.year for r in reviews} == set(synthetic.YEARS)
    teams = {r.team_id for r in reviews}
    assert len(teams) == 30  # about one review per team and year
    versions = {r.scale_version_id for r in reviews}
    assert len(versions) == 2  # both scale files
    lignende = session.exec(
        select(func.count()).select_from(Team).where(Team.program_type == "ips_lignende")
    ).one()
    assert lignende >= 5
    levels = {r.level_key for r in reviews}
    assert {"good", "fair"} <= levels
    review = reviews[0]
    consensus = session.exec(
        select(Rating.score).where(Rating.review_id == review.id, Rating.rater_kind == "consensus")
    ).all()
    assert review.result is not None and review.total_score is not None
    assert 25 <= review.total_score <= 125
    assert review.result["rated_count"] == len([s for s in consensus if s is not None])
    everything = [s for s in session.exec(select(Rating.score)) if s is not None]
    assert 2.5 < mean(everything) < 4.5


def test_each_synthetic_review_has_its_confirmed_measurement(session: Session) -> None:
    from app.models import ImplementationRating, ImplementationStatus, MeasurementRound

    made = synthetic.add_synthetic_reviews(session, count=120, scales_dir=PROJECT_ROOT / "scales")
    session.commit()

    assert made.rounds == 120
    rounds = session.exec(select(MeasurementRound)).all()
    assert all(r.assessed_at is not None and r.review_id is not None for r in rounds)
    statuses = session.exec(select(func.count()).select_from(ImplementationStatus)).one()
    assert statuses == 120 * 6  # five elements and the overall
    newest = [r for r in rounds if r.year >= synthetic.YEARS[-1] - 1]
    assert newest and all(r.overall_status for r in rounds)
    rated = session.exec(select(func.count(func.distinct(ImplementationRating.round_id)))).one()
    assert rated == len(newest)
