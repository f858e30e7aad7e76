"""The ``fidelity`` command: database, demo data, scale files, users, the audit trail
and the server.

Every command reads the same settings as the server (FIDELITY_* variables), never
prompts, and fails with one line that says what to do rather than a traceback. Commands
that change data run as one unit of work: everything or nothing is committed.

Each group of commands is a Typer app in a module of its own (``db``, ``scales``,
``users``, ``audit``); the commands of the top level (``demo``, ``serve``, ``start``) are
Typer apps without a name, merged into this one. The order they are added in is the
order ``fidelity --help`` lists them.
"""

from __future__ import annotations

import sys

import typer

from app.cli import audit, db, demo, scales, server, users

cli = typer.Typer(
    help="IPS Fidelity: fidelity reviews of municipal IPS teams.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
cli.add_typer(demo.cli)
cli.add_typer(server.cli)
cli.add_typer(db.cli, name="db")
cli.add_typer(scales.cli, name="scales")
cli.add_typer(users.cli, name="users")
cli.add_typer(audit.cli, name="audit")


def main() -> None:
    """The console script: ``fidelity``, with Ctrl+C ending it quietly (status 130)."""
    try:
        cli()
    except KeyboardInterrupt:
        sys.exit(130)
