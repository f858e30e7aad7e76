"""Demo data: a dozen teams across the five regions, three years of finalised reviews,
one review in progress, and one user of each kind.

Everything is derived from a seeded random generator, so a run produces the same data on
every machine, and each piece is looked up by its natural key before it is made: running
the loader twice changes nothing the second time. Raw figures, ticks and per-consultant
scores are generated to agree with the score through the same scoring core the product
uses. Demo users and teams are fictional; there is no data about citizens.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, func, select

from app.models import (
    ActionItem,
    ActionStatus,
    ProgramType,
    RaterKind,
    Rating,
    Review,
    ReviewReviewer,
    ReviewStatus,
    Role,
    ScaleVersion,
    Team,
    TeamComment,
    TeamMunicipality,
    User,
    UserRegion,
    UserTeam,
)
from app.scales import scoring
from app.scales.loader import load_scale_file, scale_file_path
from app.scales.schema import Item, ScaleDefinition
from app.security import hash_password
from app.services import audit, scales

DEMO_PASSWORD = "ips-demo-2026"
DEMO_SCALES = (("ips-25", "2019"), ("ips-lignende", "2024"))
FINALISED_YEARS = (2023, 2024, 2025)
IN_PROGRESS_VISIT = date(2026, 11, 10)

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
    ("analytiker.star", "Anders Andersen (analytiker, STAR)", Role.ANALYST, ()),
]

# The team leaders' scope: Aarhus sees its own reviews only; København's leader does not
# see the review in progress there until it is finalised.
DEMO_TEAM_LEADERS = {
    "leder.aarhus": ("IPS-team Aarhus",),
    "leder.kobenhavn": ("IPS-team København",),
}

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

# Items that Danish teams commonly find hard (negative) or easy (positive).
ITEM_DIFFICULTY = {
    "work-incentives-planning": -0.8,
    "job-development-quality": -0.6,
    "job-development-frequency": -0.7,
    "executive-team-support": -0.4,
    "community-based-services": -0.5,
    "diversity-of-employers": -0.3,
    "zero-exclusion-criteria": 0.6,
    "rapid-job-search": 0.4,
    "competitive-jobs": 0.5,
    "time-unlimited-follow-along": 0.3,
}

NOTES = {
    1: "Praksis ses kun i enkelte sager; teamet kender ikke metodens krav her.",
    2: "Praksis er i gang, men uensartet mellem konsulenterne.",
    3: "Rimelig praksis; dokumentationen er mangelfuld i flere sager.",
    4: "God praksis i de fleste sager, som teamet selv følger op på.",
    5: "Stærk og gennemgående praksis, også set ved observation af teammødet.",
}


@dataclass
class DemoSummary:
    """What a demo load created; all zeros when the data was already there."""

    users: int = 0
    teams: int = 0
    scales: int = 0
    reviews: int = 0
    ratings: int = 0

    @property
    def created_anything(self) -> bool:
        return any((self.users, self.teams, self.scales, self.reviews))


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
    users = _users(session, summary)
    teams = _teams(session, summary)
    _scopes(session, users, teams)
    for name, program, _, region, baseline in DEMO_TEAMS:
        team = teams[name]
        lead, second = _reviewers(users, region)
        for year in FINALISED_YEARS:
            scale_row = _scale_for(versions, program, year)
            if scale_row is None:
                continue
            visit = date(year, 3 + (team.id or 0) % 8, 4 + (team.id or 0) % 20)
            quality = baseline + 0.2 * (year - FINALISED_YEARS[0])
            _finalised_review(session, summary, team, scale_row, visit, quality, lead, second)
    _in_progress_review(session, summary, teams["IPS-team København"], versions, users)
    _action_plans(session, users, teams)
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
            },
        )
    return summary


def publish_demo_scales(
    session: Session, scales_dir: Path
) -> dict[str, tuple[ScaleVersion, ScaleDefinition]]:
    """The demo's scale versions by "key/version", registered and published if missing."""
    return _publish_scales(session, scales_dir, DemoSummary())


def _publish_scales(
    session: Session, scales_dir: Path, summary: DemoSummary
) -> dict[str, tuple[ScaleVersion, ScaleDefinition]]:
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


def _scale_for(
    versions: dict[str, tuple[ScaleVersion, ScaleDefinition]], program: ProgramType, year: int
) -> tuple[ScaleVersion, ScaleDefinition] | None:
    """The scale a team of ``program`` would have been measured with in ``year``."""
    if program == ProgramType.IPS_LIGNENDE:
        # The variant exists from 2024; before that such teams were measured on IPS-25.
        return versions.get("ips-lignende/2024") if year >= 2024 else versions.get("ips-25/2019")
    return versions.get("ips-25/2019")


def _users(session: Session, summary: DemoSummary) -> dict[str, User]:
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


def _teams(session: Session, summary: DemoSummary) -> dict[str, Team]:
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


def _scopes(session: Session, users: dict[str, User], teams: dict[str, Team]) -> None:
    """Regions for the ambassadors, teams for the team leaders (where not set already)."""
    for username, _, role, regions in DEMO_USERS:
        user_id = users[username].id or 0
        if role == Role.AMBASSADOR and session.get(UserRegion, (user_id, regions[0])) is None:
            session.add_all(UserRegion(user_id=user_id, region_code=code) for code in regions)
    for username, team_names in DEMO_TEAM_LEADERS.items():
        user_id = users[username].id or 0
        for name in team_names:
            team_id = teams[name].id or 0
            if session.get(UserTeam, (user_id, team_id)) is None:
                session.add(UserTeam(user_id=user_id, team_id=team_id))
    session.flush()


def _reviewers(users: dict[str, User], region: int) -> tuple[User, User]:
    ambassadors = [(u, regions) for u, _, role, regions in DEMO_USERS if role == Role.AMBASSADOR]
    lead = next(name for name, regions in ambassadors if region in regions)
    names = [name for name, _ in ambassadors]
    second = names[(names.index(lead) + 1) % len(names)]
    return users[lead], users[second]


def _finalised_review(
    session: Session,
    summary: DemoSummary,
    team: Team,
    scale: tuple[ScaleVersion, ScaleDefinition],
    visit: date,
    quality: float,
    lead: User,
    second: User,
) -> None:
    row, definition = scale
    if _review_exists(session, team, visit):
        return
    rng = random.Random(f"{team.name}/{visit.isoformat()}")
    finalised_at = datetime.combine(visit + timedelta(days=21), time(10), tzinfo=UTC)
    review = Review(
        team_id=team.id or 0,
        scale_version_id=row.id or 0,
        visit_date=visit,
        visit_end_date=visit + timedelta(days=1),
        status=ReviewStatus.FINALISED,
        created_by_id=lead.id,
        finalised_at=finalised_at,
    )
    session.add(review)
    session.flush()
    _add_reviewers(session, review, lead, second, submitted_at=finalised_at - timedelta(days=7))
    consensus: dict[str, scoring.ItemScore] = {}
    consultants = 2 + rng.randrange(4)
    for item in definition.items:
        target = _clamp(round(quality + ITEM_DIFFICULTY.get(item.key, 0.0) + rng.gauss(0, 0.6)))
        score, inputs = _scored_inputs(item, target, consultants, rng)
        individual = [_clamp(round(score) + rng.choice((0, 0, 0, 0, 1, -1))) for _ in range(2)]
        agreed = all(s == round(score) for s in individual)
        for reviewer, own in zip((lead, second), individual, strict=True):
            _add_rating(
                session,
                summary,
                review,
                item.key,
                RaterKind.REVIEWER,
                reviewer,
                score=float(own),
                at=finalised_at - timedelta(days=8),
                rng=rng,
            )
        _add_rating(
            session,
            summary,
            review,
            item.key,
            RaterKind.CONSENSUS,
            lead,
            score=score,
            inputs=inputs,
            at=finalised_at - timedelta(days=1),
            rng=rng,
            rationale=None
            if agreed
            else "Afklaret på konsensusmødet ud fra "
            "interview med teamleder og gennemgang af sagerne.",
            recommendation=RECOMMENDATION.format(item=item.title.da.lower())
            if score <= definition.recommendation_threshold
            else None,
        )
        consensus[item.key] = scoring.ItemScore(score=score)
    result = scoring.score_review(definition, consensus)
    review.strengths = STRENGTHS
    review.summary = SUMMARY
    review.total_score = result.total
    review.level_key = result.level.key if result.level else None
    review.result = result.to_dict()
    summary.reviews += 1


def _in_progress_review(
    session: Session,
    summary: DemoSummary,
    team: Team,
    versions: dict[str, tuple[ScaleVersion, ScaleDefinition]],
    users: dict[str, User],
) -> None:
    scale = versions.get("ips-25/2019")
    if scale is None or _review_exists(session, team, IN_PROGRESS_VISIT):
        return
    row, definition = scale
    lead, second = users["amb.hovedstaden"], users["amb.sjaelland"]
    review = Review(
        team_id=team.id or 0,
        scale_version_id=row.id or 0,
        visit_date=IN_PROGRESS_VISIT,
        visit_end_date=IN_PROGRESS_VISIT,
        status=ReviewStatus.SCORING,
        created_by_id=lead.id,
    )
    session.add(review)
    session.flush()
    _add_reviewers(session, review, lead, second, submitted_at=None)
    rng = random.Random("in-progress")
    at = datetime.combine(IN_PROGRESS_VISIT, time(14), tzinfo=UTC)
    for item in definition.items[:9]:
        score, inputs = _scored_inputs(item, _clamp(round(4 + rng.gauss(0, 0.7))), 3, rng)
        _add_rating(
            session,
            summary,
            review,
            item.key,
            RaterKind.REVIEWER,
            lead,
            score=score,
            inputs=inputs,
            at=at,
            rng=rng,
        )
    summary.reviews += 1


# What a team set out to do after a review: (what, who), for its first recommendations.
DEMO_ACTIONS = (
    ("Gennemgå alle aktive forløb på teammødet og aftal næste skridt for hver borger.",
     "Teamleder"),
    ("Aftal faste møder med behandlerne i psykiatrien hver anden uge.", "Jobkonsulenterne"),
    ("Lav en fælles liste over virksomheder, som konsulenterne har kontakt til.",
     "Jobkonsulent Mads"),
)  # fmt: skip
DEMO_COMMENT = (
    "Vi er enige i vurderingen. Vi har allerede drøftet anbefalingen på teammødet og "
    "tager den med i handlingsplanen."
)


def _action_plans(session: Session, users: dict[str, User], teams: dict[str, Team]) -> None:
    """Actions from the first recommendations of every finalised demo review (done after
    the older reviews, under way after the latest), and the team's comment on the latest
    review's first recommendation. A review that has any already is left as it is."""
    leaders = {
        team_name: users[username]
        for username, team_names in DEMO_TEAM_LEADERS.items()
        for team_name in team_names
    }
    for name, team in teams.items():
        query = (
            select(Review)
            .where(Review.team_id == team.id, Review.status == ReviewStatus.FINALISED)
            .order_by(col(Review.visit_date))
        )
        finalised = list(session.exec(query))
        for review in finalised:
            if session.exec(select(ActionItem.id).where(ActionItem.review_id == review.id)).first():
                continue
            latest = review is finalised[-1]
            _plan_for(session, review, leaders.get(name), latest=latest)
    session.flush()


def _plan_for(session: Session, review: Review, leader: User | None, *, latest: bool) -> None:
    recommended = session.exec(
        select(Rating.item_key)
        .where(
            Rating.review_id == review.id,
            Rating.rater_kind == RaterKind.CONSENSUS,
            col(Rating.recommendation).is_not(None),
        )
        .order_by(col(Rating.id))
    ).all()
    assert review.finalised_at is not None
    made = review.finalised_at + timedelta(days=5)
    statuses = (
        (ActionStatus.IN_PROGRESS, ActionStatus.OPEN, ActionStatus.DONE)
        if latest
        else (ActionStatus.DONE,) * 3
    )
    for number, (item_key, (what, who), status) in enumerate(
        zip(recommended, DEMO_ACTIONS, statuses, strict=False)
    ):
        session.add(
            ActionItem(
                team_id=review.team_id,
                review_id=review.id or 0,
                item_key=item_key,
                what=what,
                who=who,
                due_date=review.visit_date + timedelta(days=120 * (number + 1)),
                status=status,
                created_at=made,
                created_by_id=leader.id if leader else None,
                updated_at=made,
                updated_by_id=leader.id if leader else None,
                completed_at=made + timedelta(days=60) if status == ActionStatus.DONE else None,
            )
        )
    if latest and recommended:
        session.add(
            TeamComment(
                review_id=review.id or 0,
                item_key=recommended[0],
                body=DEMO_COMMENT,
                created_at=made,
                updated_at=made,
                updated_by_id=leader.id if leader else None,
            )
        )


def _review_exists(session: Session, team: Team, visit: date) -> bool:
    statement = select(Review.id).where(Review.team_id == team.id, Review.visit_date == visit)
    return session.exec(statement).first() is not None


def _add_reviewers(
    session: Session, review: Review, lead: User, second: User, *, submitted_at: datetime | None
) -> None:
    for user, is_lead in ((lead, True), (second, False)):
        session.add(
            ReviewReviewer(
                review_id=review.id or 0,
                user_id=user.id or 0,
                is_lead=is_lead,
                submitted_at=submitted_at,
            )
        )


def _add_rating(
    session: Session,
    summary: DemoSummary,
    review: Review,
    item_key: str,
    kind: RaterKind,
    author: User,
    *,
    score: float,
    at: datetime,
    rng: random.Random,
    inputs: dict[str, Any] | None = None,
    rationale: str | None = None,
    recommendation: str | None = None,
) -> None:
    session.add(
        Rating(
            review_id=review.id or 0,
            item_key=item_key,
            rater_kind=kind,
            rater_id=author.id if kind == RaterKind.REVIEWER else None,
            score=score,
            note=NOTES[_clamp(round(score))] if rng.random() < 0.3 else None,
            rationale=rationale,
            recommendation=recommendation,
            evidence=rng.sample(["MIS", "DOC", "INT", "OBS"], k=2),
            inputs=inputs,
            updated_at=at,
            updated_by_id=author.id,
        )
    )
    summary.ratings += 1


RECOMMENDATION = (
    "Læg en plan for at styrke {item}: aftal med teamlederen, hvad der konkret skal "
    "ændres, hvem der gør det, og følg op på det ved næste teammøde."
)
STRENGTHS = (
    "Teamet arbejder målrettet med borgernes egne ønsker til job.\n\n"
    "- Jobsøgningen starter hurtigt\n"
    "- Godt samarbejde med jobcentrets sagsbehandlere"
)
SUMMARY = (
    "Teamet arbejder tæt på IPS-modellen på de fleste områder. Anbefalingerne nedenfor "
    "peger på de items, hvor en indsats vil løfte fideliteten mest."
)


def _clamp(score: int) -> int:
    return max(1, min(5, score))


def _scored_inputs(
    item: Item, target: int, consultants: int, rng: random.Random
) -> tuple[float, dict[str, Any] | None]:
    """A score near ``target`` and raw inputs that the scoring core turns into that score."""
    if item.per_consultant:
        entries = []
        for number in range(1, consultants + 1):
            own, own_inputs = _scored_inputs(
                item.model_copy(update={"per_consultant": False}),
                _clamp(target + rng.choice((-1, 0, 0, 1))),
                1,
                rng,
            )
            entries.append({"label": f"Konsulent {number}", "score": own, **(own_inputs or {})})
        score = scoring.consultant_average([entry["score"] for entry in entries])
        return score, {"consultants": entries}
    if item.kind == "banded" and item.banding is not None:
        band = min(item.banding.bands, key=lambda b: (abs(b.score - target), b.score))
        low = band.min if band.min is not None else item.banding.minimum or 0.0
        high = (
            band.max
            if band.max is not None
            else (item.banding.maximum if item.banding.maximum is not None else low + 20)
        )
        figure = round(rng.uniform(low, high), item.banding.precision)
        return float(scoring.band_value(item.banding, figure)), {"figure": figure}
    if item.kind == "checklist" and item.checklist is not None:
        scores = item.checklist.scores
        count = min(scores, key=lambda c: (abs(scores[c] - target), c))
        keys = [entry.key for entry in item.checklist.entries]
        ticked = sorted(rng.sample(keys, k=count))
        return float(scoring.checklist_score(item.checklist, ticked)), {"ticked": ticked}
    return float(target), None
