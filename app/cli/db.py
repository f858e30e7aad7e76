"""``fidelity db``: migrating the schema, and backing the database up and restoring it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from alembic import command
from alembic.util.exc import CommandError
from sqlalchemy.exc import SQLAlchemyError

from app.cli.common import database, fail, reason, shown
from app.db.engines import display_url
from app.db.migrate import MigrationError, alembic_config, known_revision, schema_state
from app.errors import DomainError
from app.services import backup

cli = typer.Typer(help="The database schema.", no_args_is_help=True)


@cli.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration to the configured database."""
    with database(migrated=False) as engine:
        before = schema_state(engine)
        if before.kind == "ahead":
            fail(before.message)
        try:
            command.upgrade(alembic_config(engine.url), "head")
        except SQLAlchemyError as error:
            fail(
                f"cannot migrate {display_url(engine.url)}: {reason(error)}. "
                "Check FIDELITY_DATABASE_URL."
            )
        except (CommandError, MigrationError) as error:
            fail(f"cannot migrate {display_url(engine.url)}: {error}")
        state = schema_state(engine)
    if not state.ok:
        fail(state.message)
    typer.echo(f"{display_url(engine.url)} is at migration {state.current} (newest)")


@cli.command("backup")
def db_backup(
    file: Annotated[Path, typer.Argument(help="The backup file to make (must not exist).")],
) -> None:
    """Copy the configured database into FILE while the app keeps running: SQLite's
    online backup (no sqlite3 tool needed), or pg_dump for PostgreSQL."""
    with database() as engine:
        url = engine.url
    try:
        made = backup.backup(url=url, target=file)
    except DomainError as error:
        fail(error.detail)
    typer.echo(f"backed up {display_url(url)} to {shown(made.path)} ({_size(made.bytes)})")
    if made.migration:
        typer.echo(f"  migration {made.migration}{_counts(made)}")


@cli.command("restore")
def db_restore(
    file: Annotated[Path, typer.Argument(help="A backup made by `fidelity db backup`.")],
    yes: Annotated[
        bool, typer.Option("--yes", help="Confirm: every row now in the database is replaced.")
    ] = False,
) -> None:
    """Replace everything in the configured database with the backup FILE. Stop the app
    first: its sessions and cached figures belong to the data being replaced."""
    with database(migrated=False) as engine:
        url = engine.url
    if not yes:
        fail(
            f"restoring replaces every row in {display_url(url)} with {shown(file)}; "
            "stop the app, then run again with --yes"
        )
    try:
        put_back = backup.restore(url=url, source=file, known=known_revision)
    except DomainError as error:
        fail(error.detail)
    with database(migrated=False) as engine:
        state = schema_state(engine)
    typer.echo(f"restored {display_url(url)} from {shown(file)}")
    if put_back.migration and put_back.reviews is not None:
        typer.echo(f"  {_counts(put_back).removeprefix(': ')}")
    if not state.ok:
        typer.echo(f"  {state.message}")


def _counts(summary: backup.Summary) -> str:
    """ ": 37 reviews, 2709 ratings, 3 audit events", or nothing where they were not counted."""
    if summary.reviews is None:
        return ""
    return (
        f": {summary.reviews} reviews, {summary.ratings} ratings, "
        f"{summary.audit_events} audit events"
    )


def _size(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 100_000 else f"{count / 1e3:.1f} kB"
