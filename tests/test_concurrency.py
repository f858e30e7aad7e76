"""What only shows with several requests at once, on a database of its own (committed
rows, real connections): the slowdown holds under parallel guesses, and keeping sessions
alive never needs a second connection while a page view holds one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, func, select

from app.db import create_db_engine
from app.main import create_app
from app.models import Role, SignInAttempt, UserSession, utcnow
from app.services import accounts
from tests.conftest import migrate, settings_for
from tests.factories import make_user
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
            result = accounts.sign_in(
                session, settings, username=username, password="a guess", client_address="10.5.5.5"
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
    assert stored == accounts.FREE_FAILURES_PER_ACCOUNT
