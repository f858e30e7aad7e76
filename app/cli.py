"""The ``fidelity`` command: database, demo data, scale files and the server.

Every command reads the same settings as the server (FIDELITY_* variables), never
prompts, and fails with one line that says what to do rather than a traceback. Commands
that change data run as one unit of work: everything or nothing is committed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
import uvicorn
from alembic import command
from alembic.util.exc import CommandError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.config import Settings, SettingsError, get_settings
from app.db import read_session
from app.db.engines import create_db_engine, display_url
from app.db.migrate import MigrationError, alembic_config, known_revision, schema_state
from app.errors import DomainError
from app.models import Role
from app.scales.loader import (
    ScaleFileError,
    load_scale_file,
    scale_file_path,
    scale_files,
    validate_scale_file,
)
from app.services import accounts, audit, backup
from app.services import demo as demo_service
from app.services import scales as scale_service
from app.services import synthetic as synthetic_service
from app.services.access import Principal

cli = typer.Typer(
    help="IPS Fidelity: fidelity reviews of municipal IPS teams.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_cli = typer.Typer(help="The database schema.", no_args_is_help=True)
scales_cli = typer.Typer(help="Versioned scale definitions.", no_args_is_help=True)
users_cli = typer.Typer(help="User accounts, roles, scopes and API tokens.", no_args_is_help=True)
audit_cli = typer.Typer(help="The audit trail.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(scales_cli, name="scales")
cli.add_typer(users_cli, name="users")
cli.add_typer(audit_cli, name="audit")

HostOption = Annotated[str, typer.Option(envvar="FIDELITY_HOST", help="Address to listen on.")]
PortOption = Annotated[int, typer.Option(envvar="FIDELITY_PORT", help="Port to listen on.")]
WorkersOption = Annotated[
    int, typer.Option(envvar="FIDELITY_WORKERS", min=1, help="Worker processes.")
]


def shown(path: Path) -> str:
    """A path as a person typed it: relative to the current folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def settings() -> Settings:
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


def _reason(error: SQLAlchemyError) -> str:
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
            fail(f"the database refused the change: {_reason(error)}")


@db_cli.command("upgrade")
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
                f"cannot migrate {display_url(engine.url)}: {_reason(error)}. "
                "Check FIDELITY_DATABASE_URL."
            )
        except (CommandError, MigrationError) as error:
            fail(f"cannot migrate {display_url(engine.url)}: {error}")
        state = schema_state(engine)
    if not state.ok:
        fail(state.message)
    typer.echo(f"{display_url(engine.url)} is at migration {state.current} (newest)")


@db_cli.command("backup")
def db_backup(
    file: Annotated[Path, typer.Argument(help="The backup file to make (must not exist).")],
) -> None:
    """Copy the configured database into FILE while the app keeps running: SQLite's
    online backup (no sqlite3 tool needed), or pg_dump for PostgreSQL."""
    with database() as engine:
        url = engine.url
    try:
        made = backup.backup(url, file)
    except DomainError as error:
        fail(error.detail)
    typer.echo(f"backed up {display_url(url)} to {shown(made.path)} ({_size(made.bytes)})")
    if made.migration:
        typer.echo(f"  migration {made.migration}{_counts(made)}")


@db_cli.command("restore")
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
        put_back = backup.restore(url, file, known=known_revision)
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


@cli.command("demo")
def demo(
    if_empty: Annotated[
        bool,
        typer.Option("--if-empty", help="Only load when the database has no teams and no users."),
    ] = False,
    synthetic_reviews: Annotated[
        int,
        typer.Option(
            "--synthetic-reviews",
            min=0,
            max=10_000_000,
            help="Then add this many synthetic finalised reviews (and teams) for scale tests.",
        ),
    ] = 0,
) -> None:
    """Load demo teams, users and three years of reviews (safe to run again); with
    --synthetic-reviews N, add N synthetic finalised reviews on top (each run adds more)."""
    if settings().environment == "production":
        fail(
            "demo data includes accounts with a public password, so it is never loaded when "
            "FIDELITY_ENVIRONMENT=production; use FIDELITY_ENVIRONMENT=demo for a demo site"
        )
    with unit_of_work() as session:
        if if_empty and not demo_service.is_database_empty(session):
            typer.echo("the database already holds data; demo data not loaded")
            return
        summary = demo_service.load_demo(session, scales_dir=settings().scales_dir)
    if synthetic_reviews:
        _synthetic(synthetic_reviews)
    if not summary.created_anything:
        if not synthetic_reviews:
            typer.echo("demo data already present; nothing changed")
        return
    typer.echo(
        f"demo data loaded: {summary.teams} teams, {summary.users} users, "
        f"{summary.scales} scale versions, {summary.reviews} reviews, "
        f"{summary.ratings} ratings"
    )


def _synthetic(count: int) -> None:
    started = time.monotonic()

    def progress(done: int) -> None:
        if done % 10_000 == 0 or done == count:
            typer.echo(f"  {done} of {count} synthetic reviews written", err=True)

    with unit_of_work() as session:
        made = synthetic_service.add_synthetic_reviews(
            session, count, scales_dir=settings().scales_dir, progress=progress
        )
    typer.echo(
        f"synthetic data added: {made.reviews} finalised reviews, {made.ratings} ratings, "
        f"{made.teams} new teams ({time.monotonic() - started:.1f} s)"
    )


@scales_cli.command("validate")
def scales_validate(
    files: Annotated[
        list[Path] | None,
        typer.Argument(help="Scale files to check; default: every file under the scales folder."),
    ] = None,
) -> None:
    """Check scale files; print file:line: problem for each problem, exit 1 if any."""
    paths = files or scale_files(settings().scales_dir)
    if not paths:
        fail(f"no scale files found under {settings().scales_dir}")
    failed = 0
    for path in paths:
        problems = validate_scale_file(Path(shown(path)))
        for problem in problems:
            typer.echo(str(problem), err=True)
        if problems:
            failed += 1
        else:
            typer.echo(f"{shown(path)}: ok")
    if failed:
        fail(f"{failed} of {len(paths)} scale file(s) have problems")


@scales_cli.command("list")
def scales_list() -> None:
    """List scale files and what the database holds of each."""
    scales_dir = settings().scales_dir
    with unit_of_work() as session:
        stored = {
            (row.scale_key, row.version): row for row in scale_service.list_scale_versions(session)
        }
    files = {(path.parent.name, path.stem): path for path in scale_files(scales_dir)}
    typer.echo(f"{'scale':<16} {'version':<9} {'status':<12} {'items':>5}  file")
    for key, version in sorted(set(stored) | set(files)):
        row = stored.get((key, version))
        status = row.status if row else "not registered"
        items = str(row.item_count) if row else "-"
        found = files.get((key, version))
        where = shown(found) if found else "(no file)"
        typer.echo(f"{key:<16} {version:<9} {status:<12} {items:>5}  {where}")


@scales_cli.command("publish")
def scales_publish(
    key: Annotated[str, typer.Argument(help="Scale key, e.g. ips-25.")],
    version: Annotated[str, typer.Argument(help="Version, e.g. 2019.")],
    draft: Annotated[
        bool,
        typer.Option(
            "--draft", help="Register as a draft (can still change) instead of publishing."
        ),
    ] = False,
) -> None:
    """Register scales/KEY/VERSION.yaml in the database and publish it."""
    path = scale_file_path(settings().scales_dir, key, version)
    if not path.exists():
        fail(f"no scale file {path}")
    try:
        scale = load_scale_file(path)
    except ScaleFileError as error:
        for problem in error.problems:
            typer.echo(str(problem), err=True)
        fail(f"{path} is not a valid scale version; nothing was registered")
    with unit_of_work() as session:
        result = scale_service.register_scale(
            session, scale=scale, status="draft" if draft else "published", channel="cli"
        )
        sha = result.scale_version.sha256
    messages = {
        "published": f"published {key} {version} ({len(scale.items)} items, sha256 {sha[:12]})",
        "drafted": f"registered {key} {version} as a draft (sha256 {sha[:12]})",
        "unchanged": f"{key} {version} is already registered with this content; nothing changed",
    }
    typer.echo(messages[result.outcome])


@scales_cli.command("retire")
def scales_retire(key: str, version: str) -> None:
    """Stop offering a published version for new reviews (old reviews keep it)."""
    with unit_of_work() as session:
        scale_service.retire_scale(session, key=key, version=version, channel="cli")
    typer.echo(f"retired {key} {version}")


def _read_password(password_stdin: bool) -> str | None:
    if not password_stdin:
        return None
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        fail("--password-stdin read an empty line; pipe the password in, e.g. from a file")
    return password


@users_cli.command("create")
def users_create(
    username: str,
    role: Annotated[str, typer.Option(help="admin, ambassador, team_leader or analyst.")],
    region: Annotated[
        list[int] | None,
        typer.Option(help="Official region code (e.g. 1084), for ambassadors; repeatable."),
    ] = None,
    team: Annotated[
        list[int] | None, typer.Option(help="Team id, for team leaders; repeatable.")
    ] = None,
    display_name: Annotated[str, typer.Option(help="The name shown in the app.")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a user with a role and scope (without a password they cannot sign in yet)."""
    if role not in {r.value for r in Role}:
        fail(f"unknown role {role!r}; choose one of {', '.join(r.value for r in Role)}")
    password = _read_password(password_stdin)
    with unit_of_work() as session:
        user = accounts.create_user(
            session,
            Principal.system(),
            username=username,
            display_name=display_name,
            role=Role(role),
            password=password,
            regions=region or [],
            teams=team or [],
        )
    scope = f" regions {region}" if region else f" teams {team}" if team else ""
    typer.echo(f"created {user.username} ({role}{scope}), id {user.id}")
    if password is None:
        typer.echo(
            "no password set: set one with `fidelity users password USERNAME --password-stdin`"
        )


@users_cli.command("password")
def users_password(
    username: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Set a user's password; their sessions end."""
    password = _read_password(password_stdin)
    if password is None:
        fail("give the new password on standard input with --password-stdin")
    with unit_of_work() as session:
        user = accounts.get_user_by_name(session, username)
        accounts.set_password(session, Principal.system(), user, password)
    typer.echo(f"password set for {username}; their sessions have ended")


def _set_active(username: str, active: bool) -> None:
    with unit_of_work() as session:
        user = accounts.get_user_by_name(session, username)
        regions, teams = accounts.user_scope(session, user.id or 0)
        accounts.update_user(
            session,
            Principal.system(),
            user,
            display_name=user.display_name,
            role=Role(user.role),
            is_active=active,
            regions=regions,
            teams=teams,
        )


@users_cli.command("disable")
def users_disable(username: str) -> None:
    """Disable a user: they cannot sign in, their sessions end and their tokens stop."""
    _set_active(username, False)
    typer.echo(f"{username} is disabled")


@users_cli.command("enable")
def users_enable(username: str) -> None:
    """Enable a disabled user again."""
    _set_active(username, True)
    typer.echo(f"{username} is enabled")


@users_cli.command("list")
def users_list() -> None:
    """Every user with role, scope and status."""
    with unit_of_work() as session:
        for user in accounts.list_users(session):
            regions, teams = accounts.user_scope(session, user.id or 0)
            scope = (
                f"regions {','.join(map(str, regions))}"
                if regions
                else f"teams {','.join(map(str, teams))}"
                if teams
                else "all"
            )
            state = "active" if user.is_active else "disabled"
            typer.echo(f"{user.username:<24} {user.role:<12} {scope:<20} {state}")


@users_cli.command("token")
def users_token(
    username: str,
    name: Annotated[str, typer.Option(help="What the token is for.")] = "command line",
) -> None:
    """Create an API token for a user and print it once; only its hash is stored."""
    with unit_of_work() as session:
        user = accounts.get_user_by_name(session, username)
        plain, token = accounts.create_token(session, Principal.system(), user, name)
    typer.echo(plain)
    typer.echo(
        f"token {token.prefix}… for {username} ({name!r}); it is shown only now. "
        "Send it as 'Authorization: Bearer <token>'.",
        err=True,
    )


@audit_cli.command("export")
def audit_export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="CSV file to write; default stdout.")
    ] = None,
    since: Annotated[str | None, typer.Option(help="From this date (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option(help="Up to and including this date.")] = None,
    action: Annotated[
        str | None,
        typer.Option(help="Only this action (auth.signed_in) or group of actions (auth)."),
    ] = None,
    sep: Annotated[str, typer.Option(help="Column separator: ',' or ';' (Danish Excel).")] = ",",
) -> None:
    """Write the audit trail as CSV (UTF-8, oldest first). The export is itself audited."""
    if sep not in (",", ";"):
        fail("--sep takes ',' or ';'")
    try:
        found = audit.event_filter(
            action=action,
            since=audit.parse_day(since, "--since"),
            until=audit.parse_day(until, "--until"),
            timezone=settings().timezone,
        )
    except DomainError as error:
        fail(error.detail)
    filters = {k: v for k, v in {"since": since, "until": until, "action": action}.items() if v}
    with unit_of_work() as session:
        audit.record(
            session,
            action="audit.exported",
            channel="cli",
            after={"filters": filters, "output": str(output) if output else "stdout"},
        )
    count = 0
    with database() as engine, read_session(engine) as session:  # no write lock while writing
        target = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
        try:
            for line in audit.csv_lines(audit.csv_rows(session, found), sep=sep):
                target.write(line)
                count += 1
        finally:
            if output:
                target.close()
    if output:
        typer.echo(f"wrote {count - 1} audit event(s) to {output}", err=True)


@cli.command("serve")
def serve(
    host: HostOption = "127.0.0.1", port: PortOption = 8000, workers: WorkersOption = 1
) -> None:
    """Serve the web application (the database must be migrated)."""
    with database():
        pass  # refuse to start on an unreachable or unmigrated database
    _serve(host, port, workers)


@cli.command("start")
def start(
    host: HostOption = "127.0.0.1", port: PortOption = 8000, workers: WorkersOption = 1
) -> None:
    """Migrate, load demo data into an empty database (outside production), and serve.

    The one start-up path of `make run` and the Docker image.
    """
    db_upgrade()
    if settings().should_load_demo:
        demo(if_empty=True)
        with unit_of_work() as session:
            has_demo_users = demo_service.has_demo_users(session)
        if has_demo_users:
            typer.echo(
                f"demo logins (password {demo_service.DEMO_PASSWORD!r}): "
                + ", ".join(f"{user} ({role})" for user, _, role, _ in demo_service.DEMO_USERS)
            )
    _serve(host, port, workers)


def _serve(host: str, port: int, workers: int) -> None:
    address = "localhost" if host in {"0.0.0.0", "::"} else host
    typer.echo(f"IPS Fidelity is serving on http://{address}:{port}/  (Ctrl+C stops it)")
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
    )


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        sys.exit(130)
