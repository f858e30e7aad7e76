"""``fidelity serve`` and ``fidelity start``: the web application under uvicorn.

Commands of the top level, not a group: their Typer app is merged into ``fidelity``.
``start`` is the one start-up path of ``make run`` and the Docker image.
"""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from app.cli.common import database, settings, unit_of_work
from app.cli.db import db_upgrade
from app.cli.demo import demo
from app.services import demo as demo_service

cli = typer.Typer()

HostOption = Annotated[str, typer.Option(envvar="FIDELITY_HOST", help="Address to listen on.")]
PortOption = Annotated[int, typer.Option(envvar="FIDELITY_PORT", help="Port to listen on.")]
WorkersOption = Annotated[
    int, typer.Option(envvar="FIDELITY_WORKERS", min=1, help="Worker processes.")
]


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
