"""Fixtures: every database test runs once on SQLite and once on PostgreSQL.

Each backend gets a throwaway database for the whole run, built by the real migrations
(``alembic upgrade head``) and dropped afterwards. Each test works inside a transaction
that is rolled back, so tests never see each other's rows; the app's own commit point
commits a savepoint inside it.

PostgreSQL comes from FIDELITY_TEST_POSTGRES_URL (default: the local server as user
postgres). Without a reachable server its tests are skipped locally, but fail when
CI=true, so a CI run can never pass on SQLite alone.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import settings
from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url
from sqlmodel import Session

from app.config import Settings
from app.db import get_session
from app.db.engines import create_db_engine
from app.db.migrate import alembic_config
from app.main import create_app
from app.services import (
    comparison,
    follow_up,
    implementation_figures,
    national_overview,
    outcome_figures,
)

# A busy CI machine runs an example slower than a quiet one: no deadline there, so a
# property test fails on what it checks, never on the machine's load.
settings.register_profile("ci", deadline=None, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "default")

DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BACKENDS = ("sqlite", "postgresql")


def postgres_admin_url() -> URL:
    url = make_url(os.environ.get("FIDELITY_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    return url.set(drivername="postgresql+psycopg")


def _postgres_unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is required in CI but unavailable: {reason}")
    pytest.skip(f"PostgreSQL unavailable: {reason}")


class ThrowawayDatabases:
    """Creates empty databases and drops them all at the end of the run."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.postgres: list[str] = []
        self._admin: Engine | None = None

    def create(self, backend: str) -> str:
        name = f"fidelity_test_{uuid.uuid4().hex[:12]}"
        if backend == "sqlite":
            return f"sqlite:///{self.tmp / (name + '.db')}"
        admin = self._admin_engine()
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        self.postgres.append(name)
        return postgres_admin_url().set(database=name).render_as_string(hide_password=False)

    def _admin_engine(self) -> Engine:
        if self._admin is None:
            engine = sa.create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT")
            try:
                with engine.connect():
                    pass
            except sa.exc.OperationalError as error:
                _postgres_unavailable(str(error.orig).splitlines()[0])
            self._admin = engine
        return self._admin

    def drop_all(self) -> None:
        if self._admin is None:
            return
        with self._admin.connect() as connection:
            for name in self.postgres:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._admin.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThrowawayDatabases]:
    dbs = ThrowawayDatabases(tmp_path_factory.mktemp("db"))
    yield dbs
    dbs.drop_all()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def migrate(url: str) -> None:
    command.upgrade(alembic_config(url), "head")


@pytest.fixture(scope="session")
def database_url(backend: str, databases: ThrowawayDatabases) -> str:
    """A migrated database shared by the run's tests on this backend."""
    url = databases.create(backend)
    migrate(url)
    return url


@pytest.fixture
def empty_database_url(backend: str, databases: ThrowawayDatabases) -> str:
    """A brand-new, unmigrated database for this test alone."""
    return databases.create(backend)


def settings_for(url: str, **overrides: object) -> Settings:
    return Settings(database_url=url, environment="development", **overrides)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(settings_for(database_url))
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def figures_forgotten() -> Iterator[None]:
    """Figures kept between requests are keyed by the figures' version, which a rolled
    back test takes back too, so the next test's numbers come again: each test starts
    without them."""
    yield
    comparison.forget_figures()
    follow_up.forget_figures()
    national_overview.forget_figures()
    implementation_figures.forget_figures()
    outcome_figures.forget_figures()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose every change is rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def app(engine: Engine, session: Session, database_url: str) -> FastAPI:
    """The real app, its unit of work joined to the test's rolled-back transaction; so are
    the side units of work it opens for session upkeep and audit records."""
    application = create_app(settings_for(database_url), engine=engine)

    def test_session() -> Iterator[Session]:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise

    @contextmanager
    def side_unit() -> Iterator[Session]:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()  # as the app's own unit of work would
            raise

    @contextmanager
    def side_reader() -> Iterator[Session]:
        yield session

    application.dependency_overrides[get_session] = test_session
    application.state.unit_of_work = side_unit
    application.state.read_session = side_reader
    application.state.loop_engines = None  # the loop's reads and writes join it too
    application.state.read_connection = lambda: nullcontext(session.connection())
    return application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client
