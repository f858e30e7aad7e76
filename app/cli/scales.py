"""``fidelity scales``: checking scale files, and registering, publishing and retiring
the versions the database holds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.cli.common import fail, settings, shown, unit_of_work
from app.scales.loader import (
    ScaleFileError,
    load_definition_file,
    scale_file_path,
    scale_files,
    validate_scale_file,
)
from app.services import scales as scale_service

cli = typer.Typer(help="Versioned scale definitions.", no_args_is_help=True)


@cli.command("validate")
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


@cli.command("list")
def scales_list() -> None:
    """List scale files and what the database holds of each."""
    scales_dir = settings().scales_dir
    with unit_of_work() as session:
        stored = {
            (row.scale_key, row.version): row
            for row in scale_service.list_scale_versions(session, kind=None)
        }
    files = {(path.parent.name, path.stem): path for path in scale_files(scales_dir)}
    typer.echo(f"{'scale':<22} {'version':<9} {'kind':<15} {'status':<15} {'items':>5}  file")
    for key, version in sorted(set(stored) | set(files)):
        row = stored.get((key, version))
        status = row.status if row else "not registered"
        kind = row.kind if row else "-"
        items = str(row.item_count) if row else "-"
        found = files.get((key, version))
        where = shown(found) if found else "(no file)"
        typer.echo(f"{key:<22} {version:<9} {kind:<15} {status:<15} {items:>5}  {where}")


@cli.command("publish")
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
        scale = load_definition_file(path)
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


@cli.command("retire")
def scales_retire(key: str, version: str) -> None:
    """Stop offering a published version for new reviews (old reviews keep it)."""
    with unit_of_work() as session:
        scale_service.retire_scale(session, key=key, version=version, channel="cli")
    typer.echo(f"retired {key} {version}")
