"""Migrations: Alembic pointed at this project, the safeguards every upgrade runs inside,
and the schema's state for /healthz and the CLI (reachable, migrated, behind or ahead).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from app.config import PROJECT_ROOT
from app.db.engines import READ_ONLY, display_url


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
