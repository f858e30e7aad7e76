"""The database: the request's session (the one commit point), the few units of work
beside it, and reads outside a request. The engines are in ``app.db.engines``; the
migrations and the schema's health in ``app.db.migrate``.

A route changes data through ``SessionDep``, committed before the response is sent; the
tablet's rating save through ``in_unit_of_work``; a write that must stand apart from the
request's through ``side_unit_of_work``. Nothing else commits.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import ORMExecuteState
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.db.engines import READ_ONLY, LoopEngines, TurnTaken, WriterBusy, is_locked

logger = logging.getLogger(__name__)


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
            if not is_locked(error):
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
                if is_locked(error):  # the connection could not even open: try a thread
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
