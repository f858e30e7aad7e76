"""The demo's outcomes: three years of STAR's quarterly figures for the demo teams'
municipalities, imported as one spreadsheet through the same path an analyst's file
takes, and one team's own figures for the latest quarter, whose municipal figures are
not in yet.

A municipality's share in paid hours or education loosely follows its team's baseline
quality (the better teams get more people into work and education) and rises a little
quarter by quarter, with noise, so the scatter of fidelity against outcomes shows a
relation without drawing a line.
"""

from __future__ import annotations

import random
from datetime import date

from sqlmodel import Session, func, select

from app.models import OutcomeFigure, OutcomeImport, Role, Team, User
from app.services import outcomes
from app.services.access import Principal
from app.services.demo.summary import DemoSummary
from app.services.demo.teams import DEMO_TEAMS
from app.services.outcome_sheet import quarter_label

QUARTERS = 12
LATE = 860  # Hjørring's figures for the latest quarter are not in yet: its team's own are
HEADER = (
    "Kvartal;Kommunekode;Målgruppe;Borgere i indsatsen;Ordinære timer;I beskæftigelse;"
    "I uddannelse;Ordinære timer eller uddannelse"
)


def add_outcomes(
    session: Session, *, summary: DemoSummary, users: dict[str, User], today: date
) -> None:
    """STAR's figures for the last three years, once, and Hjørring's own latest quarter."""
    if session.exec(select(func.count()).select_from(OutcomeImport)).one():
        return
    quarters = list(reversed(outcomes.recent_quarters(today, QUARTERS)))
    raw = demo_file(quarters)
    admin = users["admin"]
    by = Principal(
        user_id=admin.id, username=admin.username, display_name=admin.display_name,
        role=Role(admin.role), channel="cli",
    )  # fmt: skip
    outcomes.store_file(
        session, principal=by, filename="demo-monitorering.csv", raw=raw, today=today
    )
    summary.outcome_quarters += len(quarters)
    year, quarter = quarters[-1]
    team = next(name for name, _, codes, _, _ in DEMO_TEAMS if codes == (LATE,))
    figure_of_team = _figures(random.Random(f"own-{team}"), 3.2, QUARTERS - 1, 58)
    found = session.exec(select(Team).where(Team.name == team)).one()
    own = OutcomeFigure(
        year=year,
        quarter=quarter,
        target_group=found.program_type,
        team_id=found.id,
        entered_by_id=admin.id,
        participants=int(figure_of_team.pop("participants")),
    )
    for name, value in figure_of_team.items():
        setattr(own, name, value)
    session.add(own)
    session.flush()


def demo_file(quarters: list[tuple[int, int]]) -> bytes:
    """The demo's monitoring figures as Danish Excel would save them."""
    lines = [HEADER]
    for _name, program, codes, _, quality in DEMO_TEAMS:
        for code in codes:
            draw = random.Random(f"outcomes-{code}")
            large = code in (101, 751, 461, 851)  # the four largest cities
            people = draw.randint(220, 420) if large else draw.randint(40, 160)
            group = "IPS" if program == "ips" else "IPS-lignende"
            for n, (year, quarter) in enumerate(quarters):
                if code == LATE and n == len(quarters) - 1:
                    continue
                f = _figures(draw, quality, n, people)
                lines.append(
                    ";".join(
                        str(v)
                        for v in (
                            quarter_label(year, quarter),
                            code,
                            group,
                            f["participants"],
                            f["paid_hours"],
                            f["employment"],
                            f["education"],
                            f["work_or_education"],
                        )
                    )  # fmt: skip
                )
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def _figures(draw: random.Random, quality: float, n: int, people: int) -> dict[str, float]:
    """One quarter's counts: the share in paid hours or education follows quality."""
    participants = max(10, people + draw.randint(-12, 15) + 2 * n)
    share = 0.2 + 0.11 * (quality - 2.5) + 0.006 * n + draw.uniform(-0.05, 0.05)
    share = min(max(share, 0.05), 0.8)
    either = round(participants * share)
    education = round(either * draw.uniform(0.25, 0.4))
    paid = either - education + round(education * draw.uniform(0.05, 0.2))
    employment = round(paid * draw.uniform(0.55, 0.75))
    return {
        "participants": participants,
        "paid_hours": min(paid, participants),
        "employment": employment,
        "education": education,
        "work_or_education": either,
        "paid_hours_share": round(100 * min(paid, participants) / participants, 1),
        "employment_share": round(100 * employment / participants, 1),
        "education_share": round(100 * education / participants, 1),
        "work_or_education_share": round(100 * either / participants, 1),
    }
