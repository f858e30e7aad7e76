"""``fidelity audit``: the audit trail as CSV, for archiving or a closer look elsewhere."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import database, fail, settings, unit_of_work
from app.db import read_session
from app.errors import DomainError
from app.services import audit

cli = typer.Typer(help="The audit trail.", no_args_is_help=True)


@cli.command("export")
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
            since=audit.parse_day(since, field="--since"),
            until=audit.parse_day(until, field="--until"),
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
            for line in audit.csv_lines(audit.csv_rows(session, found=found), sep=sep):
                target.write(line)
                count += 1
        finally:
            if output:
                target.close()
    if output:
        typer.echo(f"wrote {count - 1} audit event(s) to {output}", err=True)
