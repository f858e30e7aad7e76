"""The database layer: SQLite's settings, UTC timestamps, constraints, and the one commit
point that runs before the response is sent."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, select

from app.config import SettingsError
from app.db import (
    READ_ONLY,
    SQLITE_BUSY_TIMEOUT_MS,
    SessionDep,
    create_db_engine,
    parse_database_url,
)
from app.main import create_app
from app.models import AuditEvent, RaterKind, Rating
from tests.conftest import migrate, settings_for
from tests.factories import make_review, make_user


def test_sqlite_is_set_up_for_concurrent_writers(tmp_path: Path) -> None:
    engine = create_db_engine(settings_for(f"sqlite:///{tmp_path / 'nested' / 'f.db'}"))
    try:
        with engine.connect() as connection:
            pragma = {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
            }
        with engine.connect() as writer:
            writer.execute(sa.text("CREATE TABLE t (x INTEGER)"))  # holds the write lock
            with engine.connect() as reader:
                reader.execution_options(**READ_ONLY)
                assert reader.execute(sa.text("SELECT 1")).scalar() == 1  # does not wait
            writer.rollback()
    finally:
        engine.dispose()
    assert pragma == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 10000,
        "synchronous": 1,
    }


def test_timestamps_come_back_as_aware_utc(session: Session) -> None:
    copenhagen = timezone(timedelta(hours=1))
    event = AuditEvent(
        action="test", channel="system", occurred_at=datetime(2026, 1, 5, 13, 0, tzinfo=copenhagen)
    )
    session.add(event)
    session.flush()
    session.expire_all()
    stored = session.get(AuditEvent, event.id)
    assert stored is not None
    assert stored.occurred_at == datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    assert stored.occurred_at.tzinfo is not None


def test_naive_datetimes_are_refused(session: Session) -> None:
    session.add(AuditEvent(action="test", channel="system", occurred_at=datetime(2026, 1, 5)))
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        session.flush()


def test_one_reviewer_rating_per_item_and_one_consensus(session: Session) -> None:
    review, user = make_review(session), make_user(session)
    session.add(
        Rating(
            review_id=review.id or 0,
            item_key="caseload-size",
            rater_kind=RaterKind.REVIEWER,
            rater_id=user.id,
            score=4,
        )
    )
    session.add(
        Rating(
            review_id=review.id or 0,
            item_key="caseload-size",
            rater_kind=RaterKind.CONSENSUS,
            score=4,
        )
    )
    session.flush()
    for duplicate in (
        Rating(
            review_id=review.id or 0,
            item_key="caseload-size",
            rater_kind=RaterKind.REVIEWER,
            rater_id=user.id,
            score=3,
        ),
        Rating(
            review_id=review.id or 0,
            item_key="caseload-size",
            rater_kind=RaterKind.CONSENSUS,
            score=3,
        ),
    ):
        with session.begin_nested(), pytest.raises(IntegrityError):
            session.add(duplicate)
            session.flush()


@pytest.mark.parametrize(
    "fields",
    [
        {"rater_kind": "reviewer", "score": 6},
        {"rater_kind": "reviewer", "score": 0.5},
        {"rater_kind": "reviewer", "score": 3, "not_rated_reason": "both"},
        {"rater_kind": "consensus", "score": 3, "with_rater": True},
        {"rater_kind": "reviewer", "score": 3, "without_rater": True},
        {"rater_kind": "guess", "score": 3},
    ],
)
def test_rating_constraints(session: Session, fields: dict[str, object]) -> None:
    review, user = make_review(session), make_user(session)
    fields = dict(fields)
    with_rater = fields.pop("with_rater", False)
    without_rater = fields.pop("without_rater", False)
    rater = None if without_rater else user.id
    if fields["rater_kind"] == "consensus" and not with_rater:
        rater = None
    with session.begin_nested(), pytest.raises(IntegrityError):
        session.add(
            Rating(review_id=review.id or 0, item_key="caseload-size", rater_id=rater, **fields)
        )  # type: ignore[arg-type]
        session.flush()


def test_a_failed_commit_answers_500_and_stores_nothing(
    engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(settings_for(database_url), engine=engine)

    @app.post("/test-write")
    def write(session: SessionDep) -> dict[str, str]:
        session.add(AuditEvent(action="test.commit-failure", channel="web"))
        return {"status": "written"}

    def failing_commit(self: Session) -> None:
        raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(Session, "commit", failing_commit)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post("/test-write")
    monkeypatch.undo()
    assert response.status_code == 500
    assert "written" not in response.text
    # The catch-all handler runs outside the middleware; it must protect the page itself.
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    with Session(engine) as check:
        found = check.exec(select(AuditEvent).where(AuditEvent.action == "test.commit-failure"))
        assert found.all() == []


@pytest.mark.parametrize(
    ("raw", "message"),
    [("nonsense", "is not a database URL"), ("mysql://u@h/db", "runs on sqlite or postgresql")],
)
def test_bad_database_urls_get_a_clear_message(raw: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        parse_database_url(raw)


def test_plain_postgresql_urls_use_psycopg() -> None:
    assert parse_database_url("postgresql://u@h/db").drivername == "postgresql+psycopg"


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Iterator[tuple[FastAPI, Engine]]:
    """The real app, with its real unit of work, on a throwaway migrated SQLite file."""
    url = f"sqlite:///{tmp_path / 'app.db'}"
    migrate(url)
    engine = create_db_engine(settings_for(url))
    yield create_app(settings_for(url), engine=engine), engine
    engine.dispose()


def test_page_reads_do_not_queue_behind_a_writer(sqlite_app: tuple[FastAPI, Engine]) -> None:
    app, engine = sqlite_app

    @app.get("/test-sneaky-write")
    def sneaky(session: SessionDep) -> dict[str, str]:
        session.add(AuditEvent(action="test.get-write", channel="web"))
        session.flush()
        return {"status": "written"}

    with TestClient(app, raise_server_exceptions=False) as client, engine.connect() as writer:
        writer.execute(
            sa.text(
                "INSERT INTO audit_event (occurred_at, channel, action) "
                "VALUES ('2026-01-01 00:00:00', 'system', 'held')"
            )
        )
        started = time.monotonic()
        page = client.get("/")
        waited = time.monotonic() - started
        writer.rollback()
        sneaky_write = client.get("/test-sneaky-write")
    assert page.status_code == 200 and "IPS Fidelity" in page.text
    assert waited < SQLITE_BUSY_TIMEOUT_MS / 1000 / 2, "a read waited for the write lock"
    assert sneaky_write.status_code == 500, "a GET that writes must fail loudly"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("postgresql+psycopg2://u@h/db", "names the driver 'postgresql+psycopg2'"),
        ("sqlite:////proc/no-such-place/sub/f.db", "cannot create the folder"),
    ],
)
def test_engine_problems_get_a_clear_message(raw: str, message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        create_db_engine(settings_for(raw))


def test_a_core_write_in_a_get_is_refused(sqlite_app: tuple[FastAPI, Engine]) -> None:
    app, _ = sqlite_app

    @app.get("/test-core-write")
    def core_write(session: SessionDep) -> dict[str, str]:
        session.execute(sa.update(AuditEvent).values(action="changed"))
        return {"status": "written"}

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/test-core-write")
    assert response.status_code == 500 and "written" not in response.text


def test_an_in_memory_sqlite_database_still_opens() -> None:
    engine = create_db_engine(settings_for("sqlite://"))
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT 1").scalar() == 1
    engine.dispose()
