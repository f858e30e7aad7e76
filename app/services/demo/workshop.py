"""The demo's workshop: the two first drafts the expert panel works on (a 2026 IPS-25 that
settles the principle mapping as a proposal, and an education supplement for the youth
teams), registered as drafts from their files, and a 2027 draft of the implementation-
status instrument started in the product from the published one, with a few of the
panel's comments."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session

from app.models import ScaleVersion, User
from app.scales.loader import load_definition_file, scale_file_path
from app.services import scales, workshop
from app.services.access import principal_for
from app.services.demo.summary import DemoSummary

DEMO_DRAFTS = (("ips-25", "2026"), ("ips-unge-uddannelse", "2026"))
# A draft the panel starts from a published version, as the workshop's page does.
DEMO_STARTED = (("implementeringsstatus", "2026", "2027"),)

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
        "implementeringsstatus",
        "2027",
        None,
        "panel.dahl",
        "Statusgrænserne er et forslag. Skal et element først være forankret ved et "
        "gennemsnit på 4,5, eller er 4,0 nok, når alle punkter er på plads?",
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
        _comment(session, row, users)
    for key, base_version, version in DEMO_STARTED:
        base = scales.find_scale_version(session, key=key, version=base_version)
        if base is None or scales.find_scale_version(session, key=key, version=version):
            continue
        who = principal_for(session, user=users["panel.dahl"])
        row = workshop.start_draft(session, principal=who, base=base, version=version)
        summary.scales += 1
        _comment(session, row, users)


def _comment(session: Session, row: ScaleVersion, users: dict[str, User]) -> None:
    """The panel's demo comments on the draft ``row``."""
    for scale_key, scale_version, item_key, username, body in DEMO_COMMENTS:
        if (scale_key, scale_version) == (row.scale_key, row.version):
            who = principal_for(session, user=users[username])
            workshop.add_comment(session, principal=who, row=row, body=body, item_key=item_key)


def _published_id(session: Session, key: str) -> int | None:
    for row in scales.list_scale_versions(session, published_only=True):
        if row.scale_key == key:
            return row.id
    return None
