"""What every command shares: the settings, the database, one unit of work, and the one
line a command fails with.

A command never prompts and never ends in a traceback: whatever stops it becomes one
``error: …`` line on standard error and exit status 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import typer
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.config import Settings, SettingsError, get_settings
from app.db.engines import create_db_engine
from app.db.migrate import schema_state
from app.errors import DomainError
from app.scales.loader import ScaleFileError


def shown(path: Path) -> str:
    """A path as a person typed it: relative to the current folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def fail(message: str) -> NoReturn:
    """Say what went wrong in one line on standard error, and exit with status 1."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def settings() -> Settings:
    """The server's settings (FIDELITY_* variables), or one line saying what is wrong."""
    try:
        return get_settings()
    except SettingsError as error:
        fail(str(error))


@contextmanager
def database(*, migrated: bool = True) -> Iterator[Engine]:
    """An engine for the configured database; by default it must be reachable and migrated."""
    try:
        engine = create_db_engine(settings())
    except SettingsError as error:
        fail(str(error))
    try:
        if migrated:
            state = schema_state(engine)
            if not state.ok:
                fail(state.message)
        yield engine
    finally:
        engine.dispose()


def reason(error: SQLAlchemyError) -> str:
    """The first line of what the database driver said."""
    return str(getattr(error, "orig", None) or error).strip().splitlines()[0]


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """A session on a reachable, migrated database, committed if the block succeeds."""
    with database() as engine, Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except DomainError as error:
            session.rollback()
            fail(error.detail)
        except ScaleFileError as error:
            session.rollback()
            for problem in error.problems:
                typer.echo(str(problem), err=True)
            fail("a scale file has problems (listed above); nothing was changed")
        except SQLAlchemyError as error:
            session.rollback()
            fail(f"the database refused the change: {reason(error)}")
