"""Demo data: a dozen teams across the five regions, three years of finalised reviews,
one review in progress, a yearly measurement (the team's own part and the ambassadors'
assessment of the implementation status) beside each review, one user of each kind,
the expert panel's first two drafts of new scale versions, three years of STAR's
quarterly outcome figures for the teams' municipalities, and the corps' agreements and a
year of its activities in each region.

Everything is derived from a seeded random generator, so a run produces the same data on
every machine, and each piece is looked up by its natural key before it is made: running
the loader twice changes nothing the second time. Demo users and teams are fictional;
there is no data about citizens.

This package's face is ``load_demo`` and the checks around it; each of its modules makes
one kind of thing: ``people`` (users and their scopes), ``teams``, ``reviews`` (with their
ratings), ``plans`` (the teams' actions and comments), ``rounds`` (the yearly
measurements), ``workshop`` (the panel's drafts), ``outcomes`` (STAR's quarterly
figures) and ``corps`` (agreements and activities).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlmodel import Session, col, func, select

from app.models import ScaleVersion, Team, User
from app.scales.loader import load_definition_file, load_scale_file, scale_file_path
from app.services import audit, scales
from app.services.demo.corps import add_corps_work, add_status_reports
from app.services.demo.outcomes import add_outcomes
from app.services.demo.people import DEMO_PASSWORD, DEMO_USERS, add_scopes, add_users
from app.services.demo.plans import add_action_plans
from app.services.demo.reviews import DemoScales, add_finalised_reviews, add_review_in_progress
from app.services.demo.rounds import add_rounds
from app.services.demo.summary import DemoSummary
from app.services.demo.teams import add_teams
from app.services.demo.workshop import add_drafts

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_SCALES",
    "DEMO_USERS",
    "DemoSummary",
    "has_demo_users",
    "is_database_empty",
    "load_demo",
    "publish_demo_instrument",
    "publish_demo_scales",
]

DEMO_SCALES = (("ips-25", "2019"), ("ips-lignende", "2024"))
DEMO_INSTRUMENT = ("implementeringsstatus", "2026")


def is_database_empty(session: Session) -> bool:
    """No teams and no users: a fresh installation."""
    teams = session.exec(select(func.count()).select_from(Team)).one()
    users = session.exec(select(func.count()).select_from(User)).one()
    return teams == 0 and users == 0


def has_demo_users(session: Session) -> bool:
    """Whether the demo's accounts exist (so their logins are worth printing)."""
    names = [username for username, *_ in DEMO_USERS]
    found = session.exec(select(func.count()).where(col(User.username).in_(names))).one()
    return found == len(names)


def load_demo(session: Session, *, scales_dir: Path) -> DemoSummary:
    """Create whatever part of the demo data is missing."""
    summary = DemoSummary()
    versions = _publish_scales(session, scales_dir, summary)
    _publish_instrument(session, scales_dir, summary)
    users = add_users(session, summary=summary)
    teams = add_teams(session, summary=summary)
    add_scopes(session, users=users, teams=teams)
    add_finalised_reviews(session, summary=summary, users=users, teams=teams, versions=versions)
    add_review_in_progress(
        session, summary=summary, team=teams["IPS-team København"], versions=versions, users=users
    )
    add_action_plans(session, users=users, teams=teams)
    add_rounds(session, summary=summary, users=users, teams=teams, today=date.today())
    add_drafts(session, scales_dir=scales_dir, users=users, summary=summary)
    add_outcomes(session, summary=summary, users=users, today=date.today())
    summary.corps_work += add_corps_work(session, users=users, today=date.today())
    summary.corps_work += add_status_reports(session, users=users, today=date.today())
    if summary.created_anything:
        audit.record(
            session,
            action="demo.loaded",
            channel="cli",
            after={
                "users": summary.users,
                "teams": summary.teams,
                "scales": summary.scales,
                "reviews": summary.reviews,
                "ratings": summary.ratings,
                "rounds": summary.rounds,
                "outcome_quarters": summary.outcome_quarters,
                "corps_work": summary.corps_work,
            },
        )
    return summary


def publish_demo_scales(session: Session, *, scales_dir: Path) -> DemoScales:
    """The demo's scale versions by "key/version", registered and published if missing."""
    return _publish_scales(session, scales_dir, DemoSummary())


def _publish_scales(session: Session, scales_dir: Path, summary: DemoSummary) -> DemoScales:
    """The demo's two scale versions: as registered already (in any status), else from
    their files, published. Other files in the scales folder are none of the demo's
    business."""
    versions = {}
    for key, version in DEMO_SCALES:
        row = scales.find_scale_version(session, key=key, version=version)
        if row is None:
            definition = load_scale_file(scale_file_path(scales_dir, key, version))
            row = scales.register_scale(session, scale=definition, channel="cli").scale_version
            summary.scales += 1
        versions[f"{key}/{version}"] = (row, scales.definition_of(row))
    return versions


def publish_demo_instrument(session: Session, *, scales_dir: Path) -> ScaleVersion:
    """The demo's implementation-status instrument, registered and published if missing."""
    return _publish_instrument(session, scales_dir, DemoSummary())


def _publish_instrument(session: Session, scales_dir: Path, summary: DemoSummary) -> ScaleVersion:
    """The implementation-status instrument the demo's measurement rounds use."""
    key, version = DEMO_INSTRUMENT
    row = scales.find_scale_version(session, key=key, version=version)
    if row is None:
        definition = load_definition_file(scale_file_path(scales_dir, key, version))
        row = scales.register_scale(session, scale=definition, channel="cli").scale_version
        summary.scales += 1
    return row
