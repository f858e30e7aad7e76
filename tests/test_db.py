"""The database layer: SQLite's settings, UTC timestamps, constraints, and the one commit
point that runs before the response is sent."""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from uuid import uuid4

import pytest
import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from app.config import SettingsError
from app.db import LoopWrites, SessionDep, in_unit_of_work
from app.db.engines import READ_ONLY, SQLITE_BUSY_TIMEOUT_MS, create_db_engine, parse_database_url
from app.main import create_app
from app.models import AuditEvent, RaterKind, Rating
from app.services import audit, tokens
from app.services.access import Principal
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


def _loop_write_route(app: FastAPI) -> None:
    """A route that writes one audit event through ``in_unit_of_work`` and says on which
    thread the write ran, beside the event loop's own."""

    @app.post("/test-loop-write")
    async def loop_write(request: Request) -> dict[str, int]:
        def work(session: Session) -> int:
            audit.record(session, action="test.loop-write", channel="system")
            return threading.get_ident()

        wrote_on = await in_unit_of_work(request, work)
        return {"loop": threading.get_ident(), "wrote_on": wrote_on}


def _events(engine: Engine, action: str) -> int:
    with engine.connect() as connection:
        query = sa.select(sa.func.count()).where(col(AuditEvent.action) == action)
        return int(connection.execute(query).scalar_one())


def test_a_write_runs_on_the_event_loop_when_no_one_else_writes(
    sqlite_app: tuple[FastAPI, Engine],
) -> None:
    app, engine = sqlite_app
    _loop_write_route(app)
    with TestClient(app) as client:
        answer = client.post("/test-loop-write").json()
    assert answer["wrote_on"] == answer["loop"]
    assert _events(engine, "test.loop-write") == 1


def test_a_write_waits_on_the_loop_for_a_worker_thread_that_is_writing(
    sqlite_app: tuple[FastAPI, Engine],
) -> None:
    app, engine = sqlite_app
    _loop_write_route(app)
    holding = threading.Event()

    def hold_the_turn() -> None:
        with Session(engine) as session:  # the pool's engine: takes the write turn
            audit.record(session, action="test.held", channel="system")
            holding.set()
            time.sleep(0.5)
            session.commit()

    with TestClient(app) as client:
        holder = threading.Thread(target=hold_the_turn)
        holder.start()
        assert holding.wait(5)
        started = time.monotonic()
        answer = client.post("/test-loop-write").json()
        waited = time.monotonic() - started
        holder.join()
    assert waited >= 0.3, "the write must wait for the turn, not run beside it"
    assert answer["wrote_on"] == answer["loop"], "it waited on the loop, not in a thread"
    assert _events(engine, "test.held") == 1 and _events(engine, "test.loop-write") == 1


def test_a_write_waits_in_a_worker_thread_while_another_process_writes(
    sqlite_app: tuple[FastAPI, Engine],
) -> None:
    app, engine = sqlite_app
    _loop_write_route(app)
    database = engine.url.database
    assert database is not None
    other = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # as the CLI or another worker would hold it
    other.execute(
        "INSERT INTO audit_event (occurred_at, channel, action) "
        "VALUES ('2026-01-01 00:00:00', 'cli', 'test.other-process')"
    )
    # Long enough that the request surely arrives while the lock is held, even on a busy
    # machine (at 0.5 s a slow TestClient start once let the lock go first).
    releaser = threading.Timer(2.0, lambda: other.execute("COMMIT"))
    try:
        with TestClient(app) as client:
            releaser.start()
            answer = client.post("/test-loop-write").json()
    finally:
        releaser.join()
        other.close()
    assert answer["wrote_on"] != answer["loop"], "the loop must not wait for another process"
    assert _events(engine, "test.other-process") == 1
    assert _events(engine, "test.loop-write") == 1


def test_the_loop_writer_checkpoints_the_wal_in_a_worker_thread(
    sqlite_app: tuple[FastAPI, Engine],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, engine = sqlite_app
    _loop_write_route(app)
    monkeypatch.setattr(LoopWrites, "CHECKPOINT_EVERY", 3)
    ran: list[int] = []
    checkpoint = LoopWrites._checkpoint

    def counted(self: LoopWrites) -> None:
        checkpoint(self)
        ran.append(threading.get_ident())

    monkeypatch.setattr(LoopWrites, "_checkpoint", counted)
    with TestClient(app) as client:
        for _ in range(3):
            client.post("/test-loop-write")
        deadline = time.monotonic() + 5
        while app.state.loop_writes._checkpointing is not None and time.monotonic() < deadline:
            time.sleep(0.05)
    assert len(ran) == 1, "three commits, one checkpoint"
    assert "checkpoint failed" not in caplog.text
    assert engine.url.database is not None
    check = sqlite3.connect(engine.url.database, isolation_level=None)
    try:  # a passive checkpoint now finds nothing left to copy
        _, wal_frames, checkpointed = check.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    finally:
        check.close()
    assert wal_frames == checkpointed


def test_quick_reads_see_every_commit(sqlite_app: tuple[FastAPI, Engine]) -> None:
    """Authentication reads on the loop's own connection: a token revoked a moment ago is
    refused at once."""
    app, engine = sqlite_app
    with Session(engine, expire_on_commit=False) as session:
        user = make_user(session)
        plain, token = tokens.create_token(session, by=Principal.system(), user=user, name="test")
        session.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    with TestClient(app) as client:
        assert client.get("/api/v1/me", headers=headers).json()["username"] == user.username
        with Session(engine, expire_on_commit=False) as session:
            tokens.revoke_token(session, by=Principal.system(), token=session.merge(token))
            session.commit()
        refused = client.get("/api/v1/me", headers=headers)
    assert refused.status_code == 401


def test_api_routes_do_not_shadow_the_pages_of_the_same_name(
    sqlite_app: tuple[FastAPI, Engine],
) -> None:
    app, _ = sqlite_app
    assert app.url_path_for("team_detail", team_id=3) == "/teams/3"
    assert app.url_path_for("api_team_detail", team_id=3) == "/api/v1/teams/3"


def test_a_refused_rating_on_the_event_loop_stores_nothing(
    sqlite_app: tuple[FastAPI, Engine],
) -> None:
    """The real save path on the loop's writer: a stale change is a 409 with the current
    value, and neither it nor its audit event is stored."""
    app, engine = sqlite_app
    with Session(engine, expire_on_commit=False) as session:
        reviewer, other = make_user(session), make_user(session)
        review = make_review(session, reviewers=(reviewer, other))
        plain, _ = tokens.create_token(session, by=Principal.system(), user=reviewer, name="test")
        session.commit()
    headers = {"Authorization": f"Bearer {plain}"}
    url = f"/api/v1/reviews/{review.id}/ratings/caseload-size"
    with TestClient(app) as client:
        first = client.put(url, headers=headers, json={"score": 3, "client_id": str(uuid4())})
        stale = client.put(
            url,
            headers=headers,
            json={"score": 5, "client_id": str(uuid4()), "base_revision": 0},
        )
    assert first.json()["revision"] == 1
    assert stale.status_code == 409
    assert stale.json()["current"]["score"] == 3
    with Session(engine) as session:
        ratings = session.exec(select(Rating).where(Rating.review_id == review.id)).all()
        saved = session.exec(select(AuditEvent).where(AuditEvent.action == "rating.saved")).all()
    assert [(r.score, r.revision) for r in ratings] == [(3.0, 1)]
    assert len(saved) == 1
