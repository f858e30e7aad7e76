"""The demo's workshop: the two first drafts the expert panel works on (a 2026 IPS-25 that
settles the principle mapping as a proposal, and an education supplement for the youth
teams), registered as drafts from their files, with a few of the panel's comments."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session

from app.models import User
from app.scales.loader import load_definition_file, scale_file_path
from app.services import scales, workshop
from app.services.access import principal_for
from app.services.demo.summary import DemoSummary

DEMO_DRAFTS = (("ips-25", "2026"), ("ips-unge-uddannelse", "2026"))

# (scale, version, item, who, what): the panel's first words on the drafts.
DEMO_COMMENTS = (
    (
        "ips-25",
        "2026",
        "caseworker-collaboration",
        "panel.dahl",
        "Er samarbejdet med sagsbehandlerne nok til at bære princip 4 sammen med item 12? "
        "Vejledning om ydelser sker også hos andre end sagsbehandlerne.",
    ),
    (
        "ips-25",
        "2026",
        None,
        "panel.bjerg",
        "Forslaget ændrer kun koblingen til principperne. Ordlyd og grænser er som i 2019, så "
        "udviklingskurverne kan fortsætte uden brud.",
    ),
    (
        "ips-unge-uddannelse",
        "2026",
        "rapid-education-contact",
        "panel.bjerg",
        "Er otte uger den rigtige frist? Optag til uddannelser sker typisk to gange om året.",
    ),
)


def add_drafts(
    session: Session, *, scales_dir: Path, users: dict[str, User], summary: DemoSummary
) -> None:
    """The drafts and their comments, each made if missing."""
    author = principal_for(session, user=users["panel.bjerg"])
    for key, version in DEMO_DRAFTS:
        if scales.find_scale_version(session, key=key, version=version) is not None:
            continue
        definition = load_definition_file(scale_file_path(scales_dir, key, version))
        row = scales.register_scale(
            session, scale=definition, status="draft", channel="cli", actor_id=author.user_id
        ).scale_version
        row.created_by_id = author.user_id
        row.based_on_id = _published_id(session, key)
        row.revision = 1
        summary.scales += 1
        session.flush()
        for scale_key, scale_version, item_key, username, body in DEMO_COMMENTS:
            if (scale_key, scale_version) == (key, version):
                who = principal_for(session, user=users[username])
                workshop.add_comment(session, principal=who, row=row, body=body, item_key=item_key)


def _published_id(session: Session, key: str) -> int | None:
    for row in scales.list_scale_versions(session, published_only=True):
        if row.scale_key == key:
            return row.id
    return None
