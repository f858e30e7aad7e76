"""What only shows with several requests at once, on a database of its own (committed
rows, real connections): the slowdown holds under parallel guesses, keeping sessions
alive never needs a second connection while a page view holds one, and copies of one
rating change arriving together store it once."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from app.db.engines import create_db_engine
from app.errors import Conflict
from app.main import create_app
from app.models import (
    AuditEvent,
    Rating,
    RatingChange,
    Review,
    ReviewReviewer,
    Role,
    SignInAttempt,
    UserSession,
    utcnow,
)
from app.scales.rules import RatingInput
from app.services import access, consensus, planning, ratings, signin
from app.services.access import Principal
from tests.conftest import migrate, settings_for
from tests.factories import make_review, make_scale_version, make_team, make_user
from tests.web.signin import sign_in


@pytest.fixture
def own_database(empty_database_url: str) -> str:
    migrate(empty_database_url)
    return empty_database_url


@pytest.fixture
def tiny_pool(own_database: str) -> Iterator[Engine]:
    """One connection for the whole app: anything that needs two at once would hang."""
    engine = create_db_engine(settings_for(own_database, db_pool_size=1, db_max_overflow=0))
    engine.pool._timeout = 5  # type: ignore[attr-defined]  # fail fast instead of 30 s
    yield engine
    engine.dispose()


def test_keeping_a_session_alive_needs_no_second_connection(
    own_database: str, tiny_pool: Engine
) -> None:
    with Session(tiny_pool) as session:
        user = make_user(session, role=Role.ANALYST)
        username, user_id = user.username, user.id
        session.commit()
    app = create_app(settings_for(own_database), engine=tiny_pool)
    client = TestClient(app)
    sign_in(client, username)
    with Session(tiny_pool) as session:
        row = session.exec(select(UserSession).where(UserSession.user_id == user_id)).one()
        row.last_seen_at = utcnow() - timedelta(minutes=10)
        session.commit()
    response = client.get("/teams", follow_redirects=False)
    assert response.status_code == 200
    with Session(tiny_pool) as session:
        row = session.exec(select(UserSession).where(UserSession.user_id == user_id)).one()
        assert utcnow() - row.last_seen_at < timedelta(seconds=30), "touched after the response"


def test_parallel_guesses_do_not_get_past_the_free_attempts(own_database: str) -> None:
    engine = create_db_engine(settings_for(own_database, db_pool_size=12, db_max_overflow=0))
    settings = settings_for(own_database)
    with Session(engine) as session:
        username = make_user(session).username
        session.commit()
    outcomes: list[str] = []
    start = threading.Barrier(12)

    def guess() -> None:
        start.wait()
        with Session(engine) as session:
            result = signin.sign_in(
                session,
                settings=settings,
                username=username,
                password="a guess",
                client_address="10.5.5.5",
            )
            session.commit()
        outcomes.append("throttled" if result.retry_after else "checked")

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with Session(engine) as session:
        stored = session.exec(
            select(func.count()).where(
                SignInAttempt.username == username, col(SignInAttempt.succeeded).is_(False)
            )
        ).one()
    engine.dispose()
    assert sorted(outcomes) == ["checked"] * 5 + ["throttled"] * 7
    assert stored == signin.FREE_FAILURES_PER_ACCOUNT


def _scoring_setup(engine: Engine) -> tuple[int, Principal]:
    """A review in scoring on a database of its own, and its lead as a principal."""
    with Session(engine) as session:
        lead = make_user(session)
        second = make_user(session)
        review = make_review(session, reviewers=(lead, second))
        principal = access.principal_for(session, user=lead, channel="api")
        session.commit()
        assert review.id is not None
        return review.id, principal


def _at_once(count: int, work: Callable[[int], str]) -> list[str]:
    start = threading.Barrier(count)
    outcomes: list[str] = []

    def run(index: int) -> None:
        start.wait()
        outcomes.append(work(index))

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_five_copies_of_one_change_at_once_store_one_change(own_database: str) -> None:
    engine = create_db_engine(settings_for(own_database, db_pool_size=6, db_max_overflow=0))
    review_id, lead = _scoring_setup(engine)
    client_id = str(uuid.uuid4())

    def send(_: int) -> str:
        with Session(engine) as session:
            result = ratings.save_rating(
                session,
                principal=lead,
                review_id=review_id,
                item_key="disclosure",
                change=RatingInput(score=3, note="Set i journalerne"),
                client_id=client_id,
                base_revision=0,
            )
            session.commit()
            return f"{result.outcome} r{result.rating.revision}"

    outcomes = _at_once(5, send)
    with Session(engine) as session:
        changes = session.exec(select(RatingChange)).all()
        stored = session.exec(select(Rating)).all()
        events = session.exec(select(func.count()).where(AuditEvent.action == "rating.saved")).one()
    engine.dispose()
    assert sorted(outcomes) == ["replayed r1"] * 4 + ["saved r1"]
    assert [(c.client_id, c.revision) for c in changes] == [(client_id, 1)]
    assert [(r.score, r.revision) for r in stored] == [(3.0, 1)]
    assert events == 1


def test_different_changes_from_one_revision_at_once_overwrite_nothing(own_database: str) -> None:
    engine = create_db_engine(settings_for(own_database, db_pool_size=6, db_max_overflow=0))
    review_id, lead = _scoring_setup(engine)

    def send(index: int) -> str:
        with Session(engine) as session:
            try:
                ratings.save_rating(
                    session,
                    principal=lead,
                    review_id=review_id,
                    item_key="disclosure",
                    change=RatingInput(score=index + 1),
                    client_id=str(uuid.uuid4()),
                    base_revision=0,
                )
                session.commit()
                return "saved"
            except Conflict:
                return "refused"

    outcomes = _at_once(5, send)
    with Session(engine) as session:
        stored = session.exec(select(Rating)).all()
        changes = session.exec(select(func.count()).select_from(RatingChange)).one()
    engine.dispose()
    assert sorted(outcomes) == ["refused"] * 4 + ["saved"]
    assert len(stored) == 1 and stored[0].revision == 1 and changes == 1


def test_two_plans_for_one_team_at_once_make_one_review(own_database: str) -> None:
    engine = create_db_engine(settings_for(own_database, db_pool_size=4, db_max_overflow=0))
    with Session(engine) as session:
        make_scale_version(session)
        team = make_team(session)
        lead, second = make_user(session), make_user(session)
        principal = access.principal_for(session, user=lead)
        team_id, names = team.id, [lead.username, second.username]
        session.commit()
    assert team_id is not None

    def plan(_: int) -> str:
        with Session(engine) as session:
            try:
                planning.plan_review(
                    session,
                    principal=principal,
                    team_id=team_id,
                    visit_date=date(2026, 11, 20),
                    reviewer_usernames=names,
                    lead_username=names[0],
                )
                session.commit()
                return "planned"
            except Conflict:
                return "refused"

    outcomes = _at_once(2, plan)
    with Session(engine) as session:
        reviews = session.exec(select(func.count()).where(Review.team_id == team_id)).one()
    engine.dispose()
    assert sorted(outcomes) == ["planned", "refused"] and reviews == 1


def test_a_rating_waiting_behind_its_reviewers_submission_is_refused(own_database: str) -> None:
    """The save waits for the submission's lock on the review, and then sees it."""
    engine = create_db_engine(settings_for(own_database))
    try:
        with Session(engine, expire_on_commit=False) as session:
            reviewer, other = make_user(session), make_user(session)
            review = make_review(session, reviewers=(reviewer, other))
            principal = access.principal_for(session, user=reviewer, channel="api")
        submitting = Session(engine)
        submitting.get(Review, review.id)
        consensus.lock_review(submitting, review=submitting.get(Review, review.id))
        link = submitting.get(ReviewReviewer, (review.id, reviewer.id))
        assert link is not None
        link.submitted_at = utcnow()  # as submit() does for a reviewer who is not the last
        submitting.flush()
        outcome: list[str] = []

        def save() -> None:
            with Session(engine) as session:
                try:
                    ratings.save_rating(
                        session,
                        principal=principal,
                        review_id=review.id or 0,
                        item_key="caseload-size",
                        change=RatingInput(score=3),
                        client_id=None,
                    )
                    session.commit()
                    outcome.append("saved")
                except Conflict as refused:
                    outcome.append(refused.key or "")

        saver = threading.Thread(target=save)
        saver.start()
        saver.join(timeout=0.5)  # on PostgreSQL it now waits for the review's lock
        submitting.commit()
        submitting.close()
        saver.join(timeout=10)
        assert outcome == ["err_already_submitted"]
        with Session(engine) as session:
            stored = session.exec(
                select(func.count()).select_from(Rating).where(Rating.review_id == review.id)
            ).one()
        assert stored == 0
    finally:
        engine.dispose()
