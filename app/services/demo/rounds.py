"""The demo's yearly measurements: for every team and year with a finalised review, the
team's own part (implementation self-assessment, figures, documents), submitted before
the visit, and the ambassadors' confirmed assessment; this year's rounds of the two
teams with demo leaders (København submitted and waiting for its visit, Aarhus open).

The implementation ratings tell a story a reader can follow in the charts:
- regional agreements come one municipality at a time: some were signed before 2023,
  most in the second year (2024), a few in 2025, and two teams are still negotiating;
- training lags behind the rest: basic training and follow-up courses start a step or
  two below the other points and catch up slowly;
- teams rate themselves a little higher than the ambassadors do, so about one point in
  eight is adjusted down at the visit, with a note.
The team's figures are the reviewers' own raw figures for the same year, as the team
would have reported them, now and then a little off (which the reviewers then correct).
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, select

from app.models import (
    ImplementationRater,
    ImplementationRating,
    MeasurementRound,
    RaterKind,
    Rating,
    Review,
    ReviewStatus,
    RoundStatus,
    ScaleVersion,
    Team,
    TeamFigure,
    User,
)
from app.scales.implementation import ImplementationDefinition, TeamInput
from app.scales.maturity import implementation_result
from app.services import round_view, rounds
from app.services import scales as scale_service
from app.services.demo.people import DEMO_TEAM_LEADERS, reviewer_pair
from app.services.demo.reviews import FINALISED_YEARS, IN_PROGRESS_VISIT
from app.services.demo.summary import DemoSummary
from app.services.demo.teams import DEMO_TEAMS

THIS_YEAR = IN_PROGRESS_VISIT.year
# The year each team's regional agreement was signed (None: still being negotiated).
AGREEMENT_SIGNED: dict[str, int | None] = {
    "IPS-team København": 2022,
    "IPS-team Frederiksberg": 2024,
    "Ungeindsatsen Gladsaxe": 2025,
    "IPS-team Roskilde": 2024,
    "IPS-team Næstved": 2024,
    "IPS-team Odense": 2022,
    "IPS-team Esbjerg og Fanø": 2024,
    "Ungeindsatsen Kolding": None,
    "IPS-team Aarhus": 2024,
    "IPS-team Herning": None,
    "IPS-team Aalborg": 2023,
    "IPS-team Hjørring": 2025,
}
TRAINING = {"basic-training", "follow-up-resources", "case-supervision"}
DESCRIPTIONS = {
    1: "Ikke sat i gang endnu.",
    2: "Drøftet i ledelsen; en plan er på vej.",
    3: "Er i gang, men ikke fuldt på plads i hele organisationen.",
    4: "På plads og beskrevet; bruges i hverdagen.",
    5: "På plads og fulgt op ved de faste statusmøder.",
}
ADJUSTED = "Ved besøget så vi, at det endnu ikke er helt på plads; derfor et trin lavere."
DOCUMENTS = ["implementation-plan", "team-meeting-minutes", "employer-contact-logs"]


def add_rounds(
    session: Session,
    *,
    summary: DemoSummary,
    users: dict[str, User],
    teams: dict[str, Team],
    today: date,
) -> None:
    """Every demo team's measurements of ``FINALISED_YEARS``, and this year's two, if missing."""
    instrument_row = scale_service.latest_instrument(session)
    if instrument_row is None:
        return
    instrument = scale_service.instrument_of(instrument_row)
    for name, _, _, region, baseline in DEMO_TEAMS:
        team = teams[name]
        lead, _ = reviewer_pair(users, region=region)
        for year in FINALISED_YEARS:
            review = _review_of(session, team, year)
            if review is None:
                continue
            maker = _Maker(session, summary, instrument_row, instrument, team, year)
            maker.add(review=review, lead=lead, users=users, baseline=baseline, assessed=True)
    copenhagen = teams["IPS-team København"]
    maker = _Maker(session, summary, instrument_row, instrument, copenhagen, THIS_YEAR)
    maker.add(
        review=_review_of(session, copenhagen, THIS_YEAR),
        lead=users["amb.hovedstaden"],
        users=users,
        baseline=3.9,
        assessed=False,
    )
    aarhus = teams["IPS-team Aarhus"]
    maker = _Maker(session, summary, instrument_row, instrument, aarhus, THIS_YEAR)
    maker.add_open(lead=users["amb.midt"], deadline=today + timedelta(days=21))


def _review_of(session: Session, team: Team, year: int) -> Review | None:
    return session.exec(
        select(Review).where(
            Review.team_id == team.id,
            Review.visit_date >= date(year, 1, 1),
            Review.visit_date <= date(year, 12, 31),
        )
    ).first()


class _Maker:
    """One team's round of one year, made with a generator seeded by both."""

    def __init__(
        self,
        session: Session,
        summary: DemoSummary,
        instrument_row: ScaleVersion,
        instrument: ImplementationDefinition,
        team: Team,
        year: int,
    ) -> None:
        self.session, self.summary = session, summary
        self.instrument_row, self.instrument = instrument_row, instrument
        self.team, self.year = team, year
        self.rng = random.Random(f"round/{team.name}/{year}")

    def exists(self) -> bool:
        found = self.session.exec(
            select(MeasurementRound.id).where(
                MeasurementRound.team_id == self.team.id, MeasurementRound.year == self.year
            )
        ).first()
        return found is not None

    def add_open(self, *, lead: User, deadline: date) -> None:
        """A round opened for the team and not yet filled in."""
        if self.exists():
            return
        self.session.add(
            MeasurementRound(
                team_id=self.team.id or 0,
                year=self.year,
                instrument_id=self.instrument_row.id or 0,
                deadline=deadline,
                opened_by_id=lead.id,
            )
        )
        self.session.flush()

    def add(
        self,
        *,
        review: Review | None,
        lead: User,
        users: dict[str, User],
        baseline: float,
        assessed: bool,
    ) -> None:
        if self.exists():
            return
        visit = review.visit_date if review else date(self.year, 11, 1)
        deadline = visit - timedelta(days=7)
        submitter = _leader_of(users, self.team)
        measurement = MeasurementRound(
            team_id=self.team.id or 0,
            year=self.year,
            instrument_id=self.instrument_row.id or 0,
            review_id=review.id if review else None,
            status=RoundStatus.SUBMITTED,
            deadline=deadline,
            opened_at=_at(visit - timedelta(days=35)),
            opened_by_id=lead.id,
            submitted_at=_at(deadline - timedelta(days=2)),
            submitted_by_id=submitter.id if submitter else None,
            documents=DOCUMENTS[: 1 + self.rng.randrange(len(DOCUMENTS))],
        )
        self.session.add(measurement)
        self.session.flush()
        team_levels = self._team_ratings(measurement, baseline, submitter)
        self._figures(measurement, review, submitter)
        if review is not None and review.status == ReviewStatus.FINALISED:
            self._keep_figures_on(review)
        program = self.team.program_type
        measurement.team_result = implementation_result(
            self.instrument, program_type=program, levels=team_levels
        ).to_dict()
        if assessed:
            ours = self._ambassador_ratings(measurement, team_levels, lead)
            result = implementation_result(self.instrument, program_type=program, levels=ours)
            measurement.assessed_at = _at(visit + timedelta(days=1))
            measurement.assessed_by_id = lead.id
            measurement.assessment_note = "Gennemgået med teamlederen ved besøget."
            measurement.result = result.to_dict()
            measurement.overall_status = result.status.key if result.status else None
            rounds.store_statuses(self.session, measurement=measurement, result=result)
        self.session.add(measurement)
        self.summary.rounds += 1

    def _keep_figures_on(self, review: Review) -> None:
        """The team's figures beside the reviewers', on the finalised review, as
        finalising it would have kept them."""
        self.session.flush()
        scale = self.session.get(ScaleVersion, review.scale_version_id)
        assert scale is not None
        definition = scale_service.definition_of(scale)
        figures = round_view.team_figures_for_review(
            self.session, review_id=review.id or 0, definition=definition
        )
        consensus = {
            rating.item_key: rating
            for rating in self.session.exec(
                select(Rating).where(
                    Rating.review_id == review.id, Rating.rater_kind == RaterKind.CONSENSUS
                )
            )
        }
        if figures:
            kept = round_view.figure_comparison(figures, consensus, [])
            review.result = {**(review.result or {}), "team_figures": kept}
            self.session.add(review)

    def _step(self, key: str, baseline: float) -> int:
        """The team's own step on ``key`` this year."""
        if key == "regional-agreement":
            signed = AGREEMENT_SIGNED.get(self.team.name)
            if signed is None:
                return 2 if self.year < THIS_YEAR - 1 else 3  # planned, then negotiated
            if self.year < signed:
                return 2 if signed - self.year > 1 else 3
            return 4 if self.year - signed < 2 else 5
        years_in = self.year - FINALISED_YEARS[0]
        value = baseline - 0.4 + 0.35 * years_in + self.rng.gauss(0, 0.45)
        if key in TRAINING:
            value -= 1.4 - 0.3 * years_in  # training lags, and slowly catches up
        return max(1, min(5, round(value)))

    def _team_ratings(
        self, measurement: MeasurementRound, baseline: float, submitter: User | None
    ) -> dict[str, int | None]:
        levels: dict[str, int | None] = {}
        for item in self.instrument.items_for(self.team.program_type):
            level = self._step(item.key, baseline)
            levels[item.key] = level
            evidence = item.key in ("regional-agreement", "vision-and-plan") and level >= 4
            self._rating(
                measurement,
                item.key,
                ImplementationRater.TEAM,
                level,
                DESCRIPTIONS[level],
                submitter,
                evidence_document="Samarbejdsaftale med regionspsykiatrien"
                if evidence and item.key == "regional-agreement"
                else ("Implementeringsplan" if evidence else None),
                evidence_date=date(AGREEMENT_SIGNED.get(self.team.name) or self.year, 5, 1)
                if evidence and item.key == "regional-agreement"
                else None,
            )
        return levels

    def _ambassador_ratings(
        self, measurement: MeasurementRound, team: dict[str, int | None], lead: User
    ) -> dict[str, int | None]:
        ours: dict[str, int | None] = {}
        for key, level in team.items():
            adjusted = level is not None and level > 1 and self.rng.random() < 0.125
            ours[key] = (level - 1) if adjusted and level is not None else level
            note = ADJUSTED if adjusted else None
            self._rating(measurement, key, ImplementationRater.AMBASSADORS, ours[key], note, lead)
        return ours

    def _rating(
        self,
        measurement: MeasurementRound,
        key: str,
        rater: ImplementationRater,
        level: int | None,
        description: str | None,
        author: User | None,
        *,
        evidence_document: str | None = None,
        evidence_date: date | None = None,
    ) -> None:
        self.session.add(
            ImplementationRating(
                round_id=measurement.id or 0,
                item_key=key,
                rater=rater,
                level=level,
                description=description,
                evidence_document=evidence_document,
                evidence_date=evidence_date,
                updated_at=measurement.submitted_at or _at(date(self.year, 1, 1)),
                updated_by_id=author.id if author else None,
            )
        )

    def _figures(
        self, measurement: MeasurementRound, review: Review | None, submitter: User | None
    ) -> None:
        found = _review_figures(self.session, review)
        consultants = 2 + self.rng.randrange(4)
        fte = round(consultants * self.rng.uniform(0.7, 1.0), 1)
        caseload = found.get("caseload-size") or round(18 + self.rng.uniform(-4, 10))
        participants = round(float(caseload) * fte)
        values: dict[str, Any] = {
            "consultants": consultants,
            "consultant-fte": fte,
            "participants": participants,
            "in-work-or-education": round(participants * self.rng.uniform(0.3, 0.55)),
            "job-starts": round(participants * self.rng.uniform(0.4, 0.9)),
            "written-plan-share": round(self.rng.uniform(60, 100)),
        }
        for entry in self.instrument.team_inputs:
            if not entry.fidelity_items or entry.key in values:
                continue
            reviewed = [found[key] for key in entry.fidelity_items if key in found]
            values[entry.key] = reviewed[0] if reviewed else self._plausible(entry, consultants)
        for entry in self.instrument.team_inputs:
            value = values.get(entry.key)
            if value is None:
                continue
            if isinstance(value, list):
                figure = TeamFigure(round_id=measurement.id or 0, input_key=entry.key)
                figure.consultants = [float(v) for v in value]
            else:
                if self.rng.random() < 0.15 and entry.maximum > 10:  # a little off
                    value = min(entry.maximum, max(entry.minimum, round(float(value) * 1.15)))
                figure = TeamFigure(
                    round_id=measurement.id or 0, input_key=entry.key, value=float(value)
                )
            figure.updated_at = measurement.submitted_at or _at(date(self.year, 1, 1))
            figure.updated_by_id = submitter.id if submitter else None
            self.session.add(figure)

    def _plausible(self, entry: TeamInput, consultants: int) -> float | list[float]:
        """A figure a team might report where no review of the year says what it was."""
        if entry.unit.en == "%":
            low, high = 45.0, 95.0
        elif entry.unit.en == "days":
            low, high = 14.0, 90.0
        else:
            low, high = 2.0, 7.0

        def one() -> float:
            return round(self.rng.uniform(low, high), entry.precision)

        return [one() for _ in range(consultants)] if entry.per_consultant else one()


def _review_figures(session: Session, review: Review | None) -> dict[str, Any]:
    """The raw figures the consensus of ``review`` was based on, by fidelity item key: a
    number, or one per consultant."""
    if review is None:
        return {}
    found: dict[str, Any] = {}
    rows = session.exec(
        select(Rating.item_key, Rating.inputs).where(
            Rating.review_id == review.id, Rating.rater_kind == RaterKind.CONSENSUS
        )
    )
    for key, inputs in rows:
        if not inputs:
            continue
        if "figure" in inputs:
            found[key] = inputs["figure"]
        elif inputs.get("consultants") and all("figure" in c for c in inputs["consultants"]):
            found[key] = [c["figure"] for c in inputs["consultants"]]
    return found


def _leader_of(users: dict[str, User], team: Team) -> User | None:
    for username, names in DEMO_TEAM_LEADERS.items():
        if team.name in names:
            return users[username]
    return None


def _at(day: date) -> datetime:
    return datetime.combine(day, time(10), tzinfo=UTC)
