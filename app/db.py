"""The database: engine, SQLite pragmas, the request's session (the one commit point) and
the health of the schema.

SQLite is the embedded default, so it is set up for several writers: WAL journal,
``synchronous=NORMAL``, foreign keys on, a busy timeout, and every transaction begun with
``BEGIN IMMEDIATE``. A plain deferred ``BEGIN`` lets two writers both read and then
deadlock on the upgrade to a write lock ("database is locked"); taking the write lock up
front makes them queue instead. A connection that only reads can ask for a deferred begin
with the execution option ``READ_ONLY`` (as the health check does), so it never waits
behind a writer: in WAL mode readers see the last commit without any lock. PostgreSQL
URLs work the same, with a sized pool.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import weakref
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from fastapi import Depends, Request
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.pool import SingletonThreadPool
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.config import PROJECT_ROOT, Settings, SettingsError

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
    if url.database and url.database != ":memory:":
        folder = Path(url.database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise SettingsError(
                f"cannot create the folder {folder} for the SQLite database: "
                f"{error.strerror}. Check FIDELITY_DATABASE_URL."
            ) from None
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

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
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

    if kind == "loop_reader":
        # Each statement is its own read transaction (the driver's autocommit), with no
        # BEGIN to send and no write turn to take; query_only refuses any write.
        return engine

    writer = turn or _WriteTurn()
    writer.attach(engine)
    _TURNS[engine] = writer

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
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

    return engine


def _fold(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _locked(error: OperationalError) -> bool:
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


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's unit of work: committed here, and only here, before the response.

    GET and HEAD requests only read: their transaction begins deferred, so on SQLite they
    never queue behind a writer, and a flush that would write raises instead.

    Used with ``scope="function"`` so that the commit runs before FastAPI sends the
    response; a commit that fails therefore turns into an error response instead of a
    200 for a write that never happened. An exception in the route rolls back.

    A coroutine, though the session is synchronous: making a Session touches no database,
    so only the end (commit, close) needs a worker thread, one hop instead of the two a
    plain generator dependency costs.
    """
    reading = request.method in READING_METHODS
    state = request.app.state
    session = Session(state.read_engine if reading else state.engine)
    if reading:
        session.info["read_only"] = True
    try:
        yield session
        await run_in_threadpool(_commit_and_close, session)
    except BaseException:
        await run_in_threadpool(session.close)  # closing rolls back what is not committed
        raise


T = TypeVar("T")


async def quick_read(request: Request, work: Callable[[Connection], T]) -> T:
    """Run a small read that nearly every request makes (authentication) on a read-only
    connection, and return what ``work`` returns.

    On a SQLite file it runs on the event loop itself, on the loop thread's own
    connection (``create_loop_engines``): an indexed lookup in an embedded database takes
    tens of microseconds, less than handing the work to a worker thread and back, and in
    WAL mode a reader does not wait for a writer (in the rare case that SQLite answers
    "busy" all the same, the read runs again in a worker thread). Elsewhere a read is a
    network round trip, which must not stall the loop, so it runs in a worker thread.
    """
    state = request.app.state
    loop: LoopEngines | None = state.loop_engines
    if loop is not None:
        connection = loop.reading()
        try:
            return work(connection)
        except OperationalError as error:
            connection.rollback()
            if not _locked(error):
                raise
            # Rare in WAL mode (a recovery, the last connection closing): never wait on
            # the loop; read again in a worker thread, which may wait.

    def in_thread() -> T:
        with state.read_connection() as connection:
            return work(connection)

    return await run_in_threadpool(in_thread)


async def in_unit_of_work(request: Request, work: Callable[[Session], T]) -> T:
    """Run ``work`` in a write transaction of its own, committed before this returns.

    For the write a tablet makes on every tap (a rating). On a SQLite file, when no one
    else in this process or another is writing at that moment, it runs on the event loop
    itself: SQLite takes one writer at a time anyway, and handing the work to a worker
    thread and back cost more than the write (with the GIL, the thread could not run
    beside the loop either). Otherwise, and on PostgreSQL, it runs in one worker thread,
    commit included, so SQLite's write lock is held only while the statements run, not
    while the commit waits for the event loop as with ``SessionDep``.
    """
    state = request.app.state
    loop: LoopEngines | None = state.loop_engines
    if loop is not None:
        writes: LoopWrites = state.loop_writes
        try:
            while True:
                try:
                    return writes.run(loop.writer, work)
                except TurnTaken as taken:
                    # A worker thread of this process is writing: the turn is kept for
                    # the loop when it is done (see _WriteTurn), so this wait is short.
                    await taken.turn.free()
        except WriterBusy:
            pass  # another process is writing: wait for SQLite's lock in a worker thread
    unit_of_work = state.unit_of_work

    def in_thread() -> T:
        with unit_of_work() as session:
            return work(session)

    return await run_in_threadpool(in_thread)


class LoopWrites:
    """Runs units of work on the event loop's writer, and checkpoints the WAL in a worker
    thread now and then (the loop's connection never checkpoints itself: a checkpoint
    syncs the disk, which must not stall the loop)."""

    CHECKPOINT_EVERY = 500  # commits; SQLite's own default is every 1000 pages

    def __init__(self, checkpoint_engine: Engine) -> None:
        self._engine = checkpoint_engine
        self._since_checkpoint = 0
        self._checkpointing: asyncio.Future[None] | None = None

    def run(self, engine: Engine, work: Callable[[Session], T]) -> T:
        with Session(engine, expire_on_commit=False) as session:
            try:
                session.connection()  # BEGIN IMMEDIATE, or WriterBusy before any work
            except OperationalError as error:
                if _locked(error):  # the connection could not even open: try a thread
                    raise WriterBusy("the database is locked") from None
                raise
            try:
                result = work(session)
            except WriterBusy as error:
                # Only the BEGIN above may say "busy" (nothing has run yet); from inside
                # the work it would mean a second transaction, and a retry could repeat
                # what the work already did.
                raise RuntimeError("a unit of work on the loop began a second one") from error
            session.commit()
        self._since_checkpoint += 1
        if self._since_checkpoint >= self.CHECKPOINT_EVERY and self._checkpointing is None:
            self._since_checkpoint = 0
            loop = asyncio.get_running_loop()
            self._checkpointing = loop.run_in_executor(None, self._checkpoint)
            self._checkpointing.add_done_callback(self._checkpointed)
        return result

    def _checkpoint(self) -> None:
        # On the driver's connection, outside any transaction (a checkpoint cannot run in
        # one) and without the write turn: a passive checkpoint waits for no one.
        connection = self._engine.raw_connection()
        try:
            connection.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")  # type: ignore[union-attr]
        finally:
            connection.close()

    def _checkpointed(self, done: asyncio.Future[None]) -> None:
        self._checkpointing = None
        if not done.cancelled() and done.exception() is not None:
            logger.warning("WAL checkpoint failed: %s", done.exception())


def _commit_and_close(session: Session) -> None:
    try:
        session.commit()
    finally:
        session.close()


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """A short write transaction of its own, committed if the block succeeds.

    For the few writes a reading request makes on the side: keeping a session alive,
    recording a denied request in the audit trail.
    """
    with Session(engine, expire_on_commit=False) as session:
        yield session
        session.commit()


def side_unit_of_work(request: Request) -> AbstractContextManager[Session]:
    """A unit of work of its own beside the request's, committed when its block ends.

    The request's session (``SessionDep``) is the one commit point for what a request
    changes. A few writes must stand apart from it, and every one of them opens its
    transaction here: the audit event of a refused request (whose own work is rolled
    back), a session kept alive or a view recorded after the response has gone, an
    export's record before its rows are streamed, and each change of an imported outbox
    file (a refused change leaves the others as they are).
    """
    factory: Callable[[], AbstractContextManager[Session]] = request.app.state.unit_of_work
    return factory()


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session that only reads, outside any request: for a response streamed after the
    request's own session has closed."""
    with Session(engine) as session:
        session.connection(execution_options=READ_ONLY)
        session.info["read_only"] = True
        yield session


READING_METHODS = frozenset({"GET", "HEAD"})
_WRITE_IN_READ = "a GET/HEAD request tried to write; state changes belong to POST/PUT"


@event.listens_for(Session, "before_flush")
def _refuse_flushes_when_reading(session: Session, _context: Any, _instances: Any) -> None:
    """A GET never changes data: it reads without SQLite's write lock, so it must not write."""
    if session.info.get("read_only") and (session.new or session.dirty or session.deleted):
        raise RuntimeError(_WRITE_IN_READ)


@event.listens_for(Session, "do_orm_execute")
def _refuse_statements_when_reading(state: ORMExecuteState) -> None:
    """The same for insert, update and delete statements run through the session."""
    writes = state.is_insert or state.is_update or state.is_delete
    if state.session.info.get("read_only") and writes:
        raise RuntimeError(_WRITE_IN_READ)


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def alembic_config(url: URL | str | None = None) -> Config:
    """Alembic's configuration for this project, pointed at ``url`` when given."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    if url is not None:
        rendered = url.render_as_string(hide_password=False) if isinstance(url, URL) else url
        config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


def known_revision(revision: str) -> bool:
    """Whether this code has the migration ``revision`` (a database or backup made by
    newer code has one it does not)."""
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        return False


@contextmanager
def migration_safeguards(connection: Connection) -> Iterator[None]:
    """What a migration run needs around it, on each backend.

    PostgreSQL: an advisory lock, so several containers starting at once migrate one at
    a time. SQLite: foreign keys off during the run, because a batch migration rebuilds a
    table by dropping it and the drop would cascade into its children; afterwards
    ``PRAGMA foreign_key_check`` must find no orphans that were not there before.
    """
    if connection.in_transaction():
        raise RuntimeError("migration_safeguards needs a connection outside a transaction")
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK_ID})")
        connection.commit()
        try:
            yield
        finally:
            if connection.in_transaction():
                connection.rollback()  # an aborted transaction would refuse the unlock
            connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_ID})")
            connection.commit()
        return
    driver = connection.connection.driver_connection
    assert driver is not None
    before = set(driver.execute("PRAGMA foreign_key_check").fetchall())
    driver.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
        orphans = set(driver.execute("PRAGMA foreign_key_check").fetchall()) - before
        if orphans:
            raise MigrationError(
                f"the migration left {len(orphans)} row(s) without their parent "
                f"(table, row, parent): {sorted(orphans)[:3]}; restore the backup taken "
                "before upgrading and report this"
            )
    finally:
        if connection.in_transaction():
            connection.rollback()  # PRAGMA foreign_keys is ignored inside a transaction
        driver.execute("PRAGMA foreign_keys=ON")


class MigrationError(RuntimeError):
    """A migration run that must not be trusted; the message says what to do."""


MIGRATION_LOCK_ID = 7_114_200_025  # any constant; identifies "IPS Fidelity migrations"


SchemaKind = Literal["ok", "unreachable", "unmigrated", "behind", "ahead"]


@dataclass(frozen=True)
class SchemaState:
    """Whether the database can serve requests, and if not, why and what to run."""

    kind: SchemaKind
    message: str
    current: str | None = None
    head: str | None = None

    @property
    def ok(self) -> bool:
        return self.kind == "ok"


def schema_state(engine: Engine) -> SchemaState:
    """Reachable and migrated to the newest revision, or a one-line reason and remedy."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    where = display_url(engine.url)
    try:
        with engine.connect() as connection:
            connection.execution_options(**READ_ONLY)
            current = MigrationContext.configure(connection).get_current_revision()
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        return SchemaState(
            "unreachable",
            f"cannot reach the database {where}: {reason}. Check FIDELITY_DATABASE_URL.",
        )
    except SQLAlchemyError as error:
        return SchemaState(
            "unreachable", f"cannot use the database {where}: {error.__class__.__name__}"
        )
    if current is None:
        return SchemaState(
            "unmigrated",
            f"the database {where} is not migrated: run `fidelity db upgrade`",
            None,
            head,
        )
    if current != head and not known_revision(current):
        return SchemaState(
            "ahead",
            f"the database {where} is at migration {current}, which this version of IPS "
            "Fidelity does not know: it was migrated by newer code. Run that version, or "
            "restore a backup made with this one",
            current,
            head,
        )
    if current != head:
        return SchemaState(
            "behind",
            f"the database {where} is at migration {current}, the code expects {head}: "
            "run `fidelity db upgrade`",
            current,
            head,
        )
    return SchemaState("ok", "ok", current, head)
