"""The demo's people: an administrator, an ambassador for each region, two team leaders,
a consultant, an analyst and two members of the expert panel, all with the public demo
password; their scopes; and which two ambassadors review a team in a region.
"""

from __future__ import annotations

from sqlmodel import Session, select

from app.models import Role, Team, User, UserRegion, UserTeam
from app.security import hash_password
from app.services.demo.summary import DemoSummary

DEMO_PASSWORD = "ips-demo-2026"

# username, display name, role, region codes (the ambassadors' scope). Each region has
# its ambassador; the team leaders' teams are in DEMO_TEAM_LEADERS below.
DEMO_USERS: list[tuple[str, str, Role, tuple[int, ...]]] = [
    ("admin", "Demo Administrator", Role.ADMIN, ()),
    ("amb.nord", "Nanna Nielsen (ambassadør, Nordjylland)", Role.AMBASSADOR, (1081,)),
    ("amb.midt", "Morten Madsen (ambassadør, Midtjylland)", Role.AMBASSADOR, (1082,)),
    ("amb.syd", "Sara Schmidt (ambassadør, Syddanmark)", Role.AMBASSADOR, (1083,)),
    ("amb.hovedstaden", "Henrik Holm (ambassadør, Hovedstaden)", Role.AMBASSADOR, (1084,)),
    ("amb.sjaelland", "Sofie Sørensen (ambassadør, Sjælland)", Role.AMBASSADOR, (1085,)),
    ("leder.aarhus", "Lars Lund (teamleder, Aarhus)", Role.TEAM_LEADER, ()),
    ("leder.kobenhavn", "Karen Krogh (teamleder, København)", Role.TEAM_LEADER, ()),
    ("konsulent.aarhus", "Kim Kjær (IPS-konsulent, Aarhus)", Role.CONSULTANT, ()),
    ("analytiker.star", "Anders Andersen (analytiker, STAR)", Role.ANALYST, ()),
    ("panel.bjerg", "Birgitte Bjerg (ekspertpanelet)", Role.PANEL_MEMBER, ()),
    ("panel.dahl", "David Dahl (ekspertpanelet)", Role.PANEL_MEMBER, ()),
]

# The team leaders' scope: Aarhus sees its own reviews only; København's leader does not
# see the review in progress there until it is finalised.
DEMO_TEAM_LEADERS = {
    "leder.aarhus": ("IPS-team Aarhus",),
    "leder.kobenhavn": ("IPS-team København",),
}


# A consultant the Aarhus leader has invited to help fill in the team's part.
DEMO_CONSULTANTS = {"konsulent.aarhus": ("IPS-team Aarhus",)}


def add_users(session: Session, *, summary: DemoSummary) -> dict[str, User]:
    """The demo's users by username, each made if missing."""
    users = {}
    # One hash for all: the demo password is public, and Argon2 is slow on purpose.
    password_hash: str | None = None
    for username, display_name, role, _ in DEMO_USERS:
        user = session.exec(select(User).where(User.username == username)).first()
        if user is None:
            password_hash = password_hash or hash_password(DEMO_PASSWORD)
            user = User(
                username=username,
                display_name=display_name,
                role=role,
                password_hash=password_hash,
            )
            session.add(user)
            summary.users += 1
        users[username] = user
    session.flush()
    return users


def add_scopes(session: Session, *, users: dict[str, User], teams: dict[str, Team]) -> None:
    """Regions for the ambassadors, teams for the team leaders (where not set already)."""
    for username, _, role, regions in DEMO_USERS:
        user_id = users[username].id or 0
        if role == Role.AMBASSADOR and session.get(UserRegion, (user_id, regions[0])) is None:
            session.add_all(UserRegion(user_id=user_id, region_code=code) for code in regions)
    for username, team_names in (DEMO_TEAM_LEADERS | DEMO_CONSULTANTS).items():
        user_id = users[username].id or 0
        for name in team_names:
            team_id = teams[name].id or 0
            if session.get(UserTeam, (user_id, team_id)) is None:
                session.add(UserTeam(user_id=user_id, team_id=team_id))
    session.flush()


def reviewer_pair(users: dict[str, User], *, region: int) -> tuple[User, User]:
    """The region's ambassador as lead, and the next region's as second reviewer."""
    ambassadors = [(u, regions) for u, _, role, regions in DEMO_USERS if role == Role.AMBASSADOR]
    lead = next(name for name, regions in ambassadors if region in regions)
    names = [name for name, _ in ambassadors]
    second = names[(names.index(lead) + 1) % len(names)]
    return users[lead], users[second]
