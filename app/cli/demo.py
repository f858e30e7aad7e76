"""``fidelity demo``: demo teams, users and reviews, and synthetic reviews for scale tests.

A command of the top level, not a group: its Typer app is merged into ``fidelity``.
"""

from __future__ import annotations

import time
from typing import Annotated

import typer

from app.cli.common import fail, settings, unit_of_work
from app.services import demo as demo_service
from app.services import synthetic as synthetic_service

cli = typer.Typer()


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
        f"{summary.ratings} ratings, {summary.rounds} yearly measurements, "
        f"{summary.outcome_quarters} quarters of outcomes, "
        f"{summary.corps_work} agreements and activities of the corps"
    )


def _synthetic(count: int) -> None:
    started = time.monotonic()

    def progress(done: int) -> None:
        if done % 10_000 == 0 or done == count:
            typer.echo(f"  {done} of {count} synthetic reviews written", err=True)

    with unit_of_work() as session:
        made = synthetic_service.add_synthetic_reviews(
            session, count=count, scales_dir=settings().scales_dir, progress=progress
        )
    typer.echo(
        f"synthetic data added: {made.reviews} finalised reviews, {made.ratings} ratings, "
        f"{made.rounds} yearly measurements, {made.teams} new teams "
        f"({time.monotonic() - started:.1f} s)"
    )
