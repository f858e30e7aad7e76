"""Engines: SQLite set up for several writers, PostgreSQL with a sized pool.

SQLite is the embedded default, so it is set up for several writers: WAL journal,
``synchronous=NORMAL``, foreign keys on, a busy timeout, and every transaction begun with
``BEGIN IMMEDIATE``. A plain deferred ``BEGIN`` lets two writers both read and then
deadlock on the upgrade to a write lock ("database is locked"); taking the write lock up
front makes them queue instead. A connection that only reads can ask for a deferred begin
with the execution option ``READ_ONLY`` (as the health check does), so it never waits
behind a writer: in WAL mode readers see the last commit without any lock. Writers of one
process take turns at a lock of their own first (``_WriteTurn``), and the event loop has
connections of its own (``LoopEngines``).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import weakref
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.pool import SingletonThreadPool

from app.config import Settings, SettingsError

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 10_000
READ_ONLY = {"fidelity_read_only": True}


def parse_database_url(raw: str) -> URL:
    """The URL with its driver made explicit, or a SettingsError a person can act on."""
    try:
        url = make_url(raw)
    except ArgumentError:
        raise SettingsError(
            f"FIDELITY_DATABASE_URL={raw!r} is not a database URL; expected e.g. "
            "sqlite:///./var/fidelity.db or postgresql+psycopg://user@host:5432/fidelity"
        ) from None
    if url.drivername in {"postgresql", "postgres"}:
        url = url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() not in {"sqlite", "postgresql"}:
        raise SettingsError(
            f"FIDELITY_DATABASE_URL uses {url.get_backend_name()!r}; "
            "IPS Fidelity runs on sqlite or postgresql"
        )
    return url


def display_url(url: URL | str) -> str:
    """The URL as it may be printed: without its password."""
    return (url if isinstance(url, URL) else make_url(url)).render_as_string(hide_password=True)


def create_db_engine(settings: Settings) -> Engine:
    """An engine for the configured database, with the pragmas or pool it needs."""
    url = parse_database_url(settings.database_url)
    try:
        if url.get_backend_name() == "sqlite":
            return _sqlite_engine(url, settings)
        return create_engine(
            url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_pre_ping=True,
        )
    except (NoSuchModuleError, ImportError):
        raise SettingsError(
            f"FIDELITY_DATABASE_URL names the driver {url.drivername!r}, which is not "
            "installed; use sqlite:/// or postgresql+psycopg://"
        ) from None


@dataclass(frozen=True)
class LoopEngines:
    """A SQLite file's connections for the event loop's own thread (see ``quick_read``
    and ``in_unit_of_work``): one that only reads and one that writes when it can do so
    at once."""

    reader: Engine
    writer: Engine
    _held: threading.local = field(default_factory=threading.local)

    def reading(self) -> Connection:
        """The calling thread's reader connection, kept open between reads: each of its
        statements is a read transaction of its own (autocommit), so keeping it holds
        nothing back, and it saves a pool checkout on every request."""
        connection: Connection | None = getattr(self._held, "connection", None)
        if connection is None or connection.closed or connection.invalidated:
            connection = self._held.connection = self.reader.connect()
        return connection

    def dispose(self) -> None:
        self.reader.dispose()
        self.writer.dispose()


def create_loop_engines(engine: Engine, settings: Settings) -> LoopEngines | None:
    """For a SQLite file: connections that belong to the event loop's thread. None for
    other databases (and for an in-memory one, which a second connection would not see)."""
    url = engine.url
    turn = _TURNS.get(engine)
    if turn is None or not url.database or url.database == ":memory:":
        return None
    return LoopEngines(
        reader=_sqlite_engine(url, settings, kind="loop_reader"),
        writer=_sqlite_engine(url, settings, kind="loop_writer", turn=turn),
    )


EngineKind = Literal["pool", "loop_reader", "loop_writer"]


def _sqlite_engine(
    url: URL, settings: Settings, *, kind: EngineKind = "pool", turn: _WriteTurn | None = None
) -> Engine:
    """An engine on a SQLite file: its pragmas on every connection, and (except for the
    loop's reader) every transaction begun with BEGIN IMMEDIATE after the write turn."""
    _make_folder(url)
    in_memory = not url.database or url.database == ":memory:"
    pool: dict[str, Any] = (
        {}
        if in_memory
        else {"pool_size": settings.db_pool_size, "max_overflow": settings.db_max_overflow}
    )  # an in-memory database lives in one connection: no pool to size
    waits = kind == "pool"  # the event loop's connections never wait for a lock
    if not waits:
        pool = {"poolclass": SingletonThreadPool, "pool_size": 2}  # a connection per loop
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 10 if waits else 0},
        **pool,
    )
    event.listen(engine, "connect", partial(_on_connect, kind=kind))
    if kind == "loop_reader":
        # Each statement is its own read transaction (the driver's autocommit), with no
        # BEGIN to send and no write turn to take; query_only refuses any write.
        return engine
    writer = turn or _WriteTurn()
    writer.attach(engine)
    _TURNS[engine] = writer
    event.listen(engine, "begin", partial(_on_begin, writer=writer, waits=waits))
    return engine


def _make_folder(url: URL) -> None:
    """The SQLite file's folder, made if it is missing, or a message saying why not."""
    if not url.database or url.database == ":memory:":
        return
    folder = Path(url.database).parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SettingsError(
            f"cannot create the folder {folder} for the SQLite database: "
            f"{error.strerror}. Check FIDELITY_DATABASE_URL."
        ) from None


def _on_connect(dbapi_connection: Any, _record: Any, *, kind: EngineKind) -> None:
    """A new SQLite connection's pragmas, and the fold function text search uses."""
    waits = kind == "pool"
    # Take transaction control away from pysqlite so that "begin" below decides.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    # The loop never waits: a lock held elsewhere sends its work to a thread.
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS if waits else 0}")
    if kind == "loop_writer":
        # Checkpoints sync the disk, so they run in a worker thread (LoopWrites).
        cursor.execute("PRAGMA wal_autocheckpoint=0")
    if kind == "loop_reader":
        cursor.execute("PRAGMA query_only=ON")
    cursor.close()
    # SQLite's lower() folds only A-Z: models.folded() calls this instead.
    dbapi_connection.create_function("fold", 1, _fold, deterministic=True)


def _on_begin(connection: Any, *, writer: _WriteTurn, waits: bool) -> None:
    """BEGIN IMMEDIATE once the write turn is taken; a read-only connection's plain BEGIN."""
    if connection.get_execution_options().get("fidelity_read_only", False):
        connection.exec_driver_sql("BEGIN")
        return
    dbapi_connection = connection.connection.dbapi_connection
    writer.take(dbapi_connection, wait=waits)
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except OperationalError as error:
        writer.give_back(dbapi_connection)
        if not waits and "locked" in str(error.orig):
            raise WriterBusy("another process is writing") from None
        raise
    except BaseException:
        writer.give_back(dbapi_connection)
        raise


def _fold(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def is_locked(error: OperationalError) -> bool:
    """Whether SQLite refused for a lock another writer holds."""
    return "locked" in str(error.orig) or "busy" in str(error.orig)


class WriterBusy(Exception):
    """The loop's writer found SQLite's write lock held by another process: the write
    goes to a worker thread, which waits for it."""


class TurnTaken(WriterBusy):
    """The loop's writer found the write turn held by a worker thread of this process:
    the loop waits (``_WriteTurn.free``) and tries again."""

    def __init__(self, turn: _WriteTurn) -> None:
        super().__init__("a worker thread is writing")
        self.turn = turn


class _WriteTurn:
    """Writers of one process take turns at a lock of their own before SQLite's.

    SQLite lets one writer in at a time; the others wait in its busy handler, which sleeps
    in growing steps (up to 100 ms) and wakes late. Under a few concurrent saves that
    turned 20 ms saves into a p95 near a second. Queueing the threads of this process on a
    lock hands the turn over the moment the writer before commits or rolls back. Other
    processes (more workers, the CLI) still meet at SQLite's own lock.

    The turn is given back wherever the transaction ends: the dialect's commit and
    rollback (which the pool's reset also uses) and a connection closed or invalidated.
    One turn serves the pool's engine and the event loop's writer alike.
    """

    RESERVATION_SECONDS = 0.2  # how long a turn kept for a waiting event loop stays kept

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holder: int | None = None  # id() of the DBAPI connection holding the turn
        self._guard = threading.Lock()  # orders a release against a waiter's registration
        self._waiting: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []
        # A thread that gives the turn back while an event loop waits for it keeps the
        # lock taken and hands it to the loop: threads blocked on the lock are woken by
        # the OS at once, the loop only when it next runs, so it would lose every race.
        self._reserved = False

    def attach(self, engine: Engine) -> None:
        dialect = engine.dialect
        commit, rollback = dialect.do_commit, dialect.do_rollback

        def do_commit(dbapi_connection: Any) -> None:
            try:
                commit(dbapi_connection)
            finally:
                self.give_back(dbapi_connection)

        def do_rollback(dbapi_connection: Any) -> None:
            try:
                rollback(dbapi_connection)
            finally:
                self.give_back(dbapi_connection)

        dialect.do_commit = do_commit  # type: ignore[method-assign]
        dialect.do_rollback = do_rollback  # type: ignore[method-assign]
        event.listen(engine, "close", lambda dbapi, _record: self.give_back(dbapi))
        event.listen(engine, "invalidate", lambda dbapi, _record, _e: self.give_back(dbapi))

    def take(self, dbapi_connection: Any, *, wait: bool = True) -> None:
        """Take the turn; a thread waits for it (``wait``), the event loop does not and
        gets TurnTaken instead, unless the turn was kept for it."""
        if not wait:
            with self._guard:
                reserved, self._reserved = self._reserved, False
            if not reserved and not self._lock.acquire(blocking=False):
                raise TurnTaken(self)
        elif not self._lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            raise sqlite3.OperationalError("database is locked (waited for another writer)")
        self._holder = id(_raw(dbapi_connection))

    def give_back(self, dbapi_connection: Any) -> None:
        if self._holder is None or self._holder != id(_raw(dbapi_connection)):
            return
        with self._guard:
            self._holder = None
            waiting, self._waiting = self._waiting, []
            if waiting:
                self._reserved = True  # the lock stays taken, for the waiting loop
            else:
                self._lock.release()
        for loop, freed in waiting:
            loop.call_soon_threadsafe(self._wake, loop, freed)

    def _wake(self, loop: asyncio.AbstractEventLoop, freed: asyncio.Future[None]) -> None:
        """On the loop: wake its waiter, and give the kept turn back to everyone if no
        writer of the loop has claimed it soon (its request may have been cancelled)."""
        if not freed.done():
            freed.set_result(None)
        loop.call_later(self.RESERVATION_SECONDS, self._unreserve)

    def _unreserve(self) -> None:
        with self._guard:
            if self._reserved:
                self._reserved = False
                self._lock.release()

    async def free(self) -> None:
        """Wait, on the event loop, until the turn is free or kept for the loop; after
        SQLite's busy timeout, OperationalError ("database is locked")."""
        loop = asyncio.get_running_loop()
        freed: asyncio.Future[None] = loop.create_future()
        with self._guard:
            if self._reserved or not self._lock.locked():
                return
            self._waiting.append((loop, freed))
        try:
            await asyncio.wait_for(freed, SQLITE_BUSY_TIMEOUT_MS / 1000)
        except TimeoutError:
            raise sqlite3.OperationalError(
                "database is locked (waited for another writer)"
            ) from None


_TURNS: weakref.WeakKeyDictionary[Engine, _WriteTurn] = weakref.WeakKeyDictionary()


def _raw(connection: Any) -> Any:
    """The driver's own connection, whether given it or the pool's wrapper of it."""
    return getattr(connection, "dbapi_connection", connection)
