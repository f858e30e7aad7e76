"""Backups an operator can rely on: a copy of the live database taken while the app goes
on writing, and a restore that puts such a copy back.

- **SQLite**: the database's own online backup (``sqlite3.Connection.backup``), which
  copies every page inside one read transaction, so the copy is the database as it was
  at one moment, every commit before it included, whatever writers do meanwhile. (A
  plain ``cp`` of a live WAL database lost hundreds of committed rows in a test.) It is
  written beside the target and renamed into place only once ``PRAGMA integrity_check``
  has passed, so a half-made backup never carries the target's name. Restoring copies
  the backup's pages into the configured database the same way, under its write lock.
- **PostgreSQL**: ``pg_dump`` in its custom format (one consistent snapshot), and
  ``pg_restore --clean --single-transaction``: all or nothing. The password goes to the
  tools through the environment, never on a command line others can read.

A backup is refused if its file exists (nothing is overwritten by accident) and is
readable by its owner only (it holds password hashes and every team's results); a
restore checks that the file is a backup of this product at a migration this code knows
before touching anything.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL

from app.errors import Conflict, Invalid

PG_TIMEOUT_S = 3600


@dataclass(frozen=True)
class Summary:
    """What a backup holds, to print and to compare (the counts: read from a SQLite file;
    a PostgreSQL dump is not opened to count them)."""

    path: Path
    bytes: int
    migration: str | None
    reviews: int | None = None
    ratings: int | None = None
    audit_events: int | None = None


def backup(*, url: URL, target: Path) -> Summary:
    """Copy the database at ``url`` into the new file ``target``."""
    if target.exists():
        raise Conflict.of("err_backup_exists", path=str(target))
    if not target.parent.is_dir():
        raise Invalid.of("err_backup_folder", path=str(target.parent))
    if url.get_backend_name() == "sqlite":
        return _sqlite_backup(_sqlite_path(url), target)
    return _pg_backup(url, target)


def restore(*, url: URL, source: Path, known: Callable[[str], bool]) -> Summary:
    """Replace everything in the database at ``url`` with the backup ``source``;
    ``known`` tells whether this code has a migration (a backup made by newer code is
    refused before anything is touched)."""
    if not source.is_file():
        raise Invalid.of("err_restore_missing", path=str(source))
    if url.get_backend_name() == "sqlite":
        return _sqlite_restore(_sqlite_path(url), source, known)
    return _pg_restore(url, source, known)


# SQLite ---------------------------------------------------------------------------------


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise Invalid.of("err_backup_memory")
    return Path(url.database)


def _sqlite_backup(database: Path, target: Path) -> Summary:
    if not database.is_file():
        raise Invalid.of("err_restore_missing", path=str(database))
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    _private(partial)
    source = sqlite3.connect(database, timeout=30)
    copy = sqlite3.connect(partial)
    try:
        source.backup(copy)  # every page, in one read transaction: one moment's data
        _check_integrity(copy, partial)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal
    finally:
        copy.close()
        source.close()
    os.replace(partial, target)
    return _sqlite_summary(target)


def _sqlite_restore(database: Path, source: Path, known: Callable[[str], bool]) -> Summary:
    found = _sqlite_summary(source)  # refuses what is not a backup of this product
    if found.migration is None or not known(found.migration):
        raise Conflict.of("err_backup_newer", path=str(source), migration=found.migration)
    backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    live = sqlite3.connect(database, timeout=30)
    try:
        _check_integrity(backup_db, source)
        backup_db.backup(live)  # under the live database's write lock, all at once
        live.execute("PRAGMA journal_mode=WAL")
        _check_integrity(live, database)
    finally:
        live.close()
        backup_db.close()
    return Summary(
        database, database.stat().st_size, found.migration, found.reviews, found.ratings,
        found.audit_events,
    )  # fmt: skip


def _private(path: Path) -> None:
    """Make ``path`` an empty file only its owner may read: a backup holds password
    hashes and every team's results, and the default umask lets everyone read."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _check_integrity(connection: sqlite3.Connection, path: Path) -> None:
    try:
        verdict = connection.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise Invalid.of("err_backup_not_sqlite", path=str(path), reason=str(error)) from None
    if verdict != "ok":
        raise Invalid.of("err_backup_damaged", path=str(path), reason=str(verdict))


def _sqlite_summary(path: Path) -> Summary:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            migration = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            counts = [
                connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
                for table in ("review", "rating", "audit_event")
            ]
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise Invalid.of("err_backup_not_ours", path=str(path), reason=str(error)) from None
    return Summary(path, path.stat().st_size, migration[0] if migration else None, *counts)


# PostgreSQL -----------------------------------------------------------------------------


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise Invalid.of("err_pg_tool_missing", tool=name)
    return found


def _pg_env(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq address without the password, and an environment that carries it."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _pg_run(command: list[str], env: dict[str, str]) -> str:
    """Run a PostgreSQL tool; its standard output, or Conflict with its last complaint."""
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=PG_TIMEOUT_S, check=False
    )
    if done.returncode != 0:
        reason = (done.stderr or done.stdout).strip().splitlines()
        raise Conflict.of(
            "err_pg_tool_failed", tool=Path(command[0]).name, reason=reason[-1] if reason else ""
        )
    return done.stdout


OUR_TABLES = ("alembic_version", "review", "rating", "audit_event", "team")


def _pg_migration(source: Path, env: dict[str, str]) -> str:
    """The migration a pg_dump file of this product was made at; Invalid for a file that
    is not one (its table of contents lacks the product's tables)."""
    try:
        contents = _pg_run([_pg_tool("pg_restore"), "--list", str(source)], env)
    except Conflict as error:
        raise Invalid.of("err_backup_not_ours", path=str(source), reason=error.detail) from None
    missing = [t for t in OUR_TABLES if f" TABLE DATA public {t} " not in contents]
    if missing:
        reason = "no table " + ", ".join(missing)
        raise Invalid.of("err_backup_not_ours", path=str(source), reason=reason)
    data = _pg_run(
        [_pg_tool("pg_restore"), "--data-only", "--table=alembic_version", "--file=-",
         str(source)],
        env,
    )  # fmt: skip
    lines = data.splitlines()
    for number, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line and number + 1 < len(lines):
            return lines[number + 1].strip()
    raise Invalid.of("err_backup_not_ours", path=str(source), reason="no migration recorded")


def _pg_backup(url: URL, target: Path) -> Summary:
    address, env = _pg_env(url)
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)
    _private(partial)
    _pg_run(
        [_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial), address],
        env,
    )
    migration = _pg_migration(partial, env)  # it reads back, whole, as one of ours
    os.replace(partial, target)
    return Summary(target, target.stat().st_size, migration)


def _pg_restore(url: URL, source: Path, known: Callable[[str], bool]) -> Summary:
    address, env = _pg_env(url)
    migration = _pg_migration(source, env)  # before anything is touched
    if not known(migration):
        raise Conflict.of("err_backup_newer", path=str(source), migration=migration)
    _pg_run(
        [
            _pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            address,
            str(source),
        ],
        env,
    )
    return Summary(source, source.stat().st_size, migration)
