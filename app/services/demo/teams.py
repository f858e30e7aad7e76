"""The demo's teams: a dozen across the five regions, each with its municipalities and a
baseline quality that its reviews improve on year by year.
"""

from __future__ import annotations

from sqlmodel import Session, select

from app.models import ProgramType, Team, TeamMunicipality
from app.services.demo.summary import DemoSummary

# name, program type, municipality codes, region code, baseline quality (mean item score)
DEMO_TEAMS: list[tuple[str, ProgramType, tuple[int, ...], int, float]] = [
    ("IPS-team København", ProgramType.IPS, (101,), 1084, 3.9),
    ("IPS-team Frederiksberg", ProgramType.IPS, (147,), 1084, 3.3),
    ("Ungeindsatsen Gladsaxe", ProgramType.IPS_LIGNENDE, (159,), 1084, 3.0),
    ("IPS-team Roskilde", ProgramType.IPS, (265,), 1085, 3.5),
    ("IPS-team Næstved", ProgramType.IPS, (370,), 1085, 2.7),
    ("IPS-team Odense", ProgramType.IPS, (461,), 1083, 4.2),
    ("IPS-team Esbjerg og Fanø", ProgramType.IPS, (561, 563), 1083, 3.4),
    ("Ungeindsatsen Kolding", ProgramType.IPS_LIGNENDE, (621,), 1083, 3.1),
    ("IPS-team Aarhus", ProgramType.IPS, (751,), 1082, 3.8),
    ("IPS-team Herning", ProgramType.IPS, (657,), 1082, 2.9),
    ("IPS-team Aalborg", ProgramType.IPS, (851,), 1081, 3.6),
    ("IPS-team Hjørring", ProgramType.IPS, (860,), 1081, 3.2),
]


def add_teams(session: Session, *, summary: DemoSummary) -> dict[str, Team]:
    """The demo's teams by name, each made with its municipalities if missing."""
    teams = {}
    for name, program, municipalities, _, _ in DEMO_TEAMS:
        team = session.exec(select(Team).where(Team.name == name)).first()
        if team is None:
            team = Team(name=name, program_type=program)
            session.add(team)
            session.flush()
            for code in municipalities:
                session.add(TeamMunicipality(team_id=team.id or 0, municipality_code=code))
            summary.teams += 1
        teams[name] = team
    session.flush()
    return teams
