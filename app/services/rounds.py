"""The yearly measurement round: opening it for the team, who sees it, the team's
deadline and submission, and the ambassadors' confirmation of the implementation status.

A round belongs to one team and one year. Its parts:
- the team's own part (``self_report``): its implementation self-assessment, its
  figures and the documents it shows, filled in by the team's leader and invited
  consultants while the round is open and the deadline has not passed, submitted once;
- the ambassadors' implementation assessment: they confirm or adjust the team's rating
  of each point, with a note, once the team's part is in (submitted, or its deadline
  passed); confirming stores the result and makes it part of the national figures;
- the fidelity review, linked when it is planned (or when the round is opened after it).

Who sees what: ambassadors and administrators see the rounds of the teams in their scope
as they are; the team's leader and consultants see their own team's round, but the
ambassadors' ratings only once confirmed; analysts see confirmed rounds only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, delete, select

from app.errors import Conflict, Forbidden, Invalid, NotVisible
from app.models import (
    ImplementationRater,
    ImplementationRating,
    ImplementationStatus,
    MeasurementRound,
    Review,
    Role,
    RoundStatus,
    ScaleVersion,
    Team,
    utcnow,
)
from app.scales.implementation import ImplementationDefinition
from app.scales.maturity import ImplementationResult, implementation_result
from app.scales.rules import clean_text
from app.scales.schema import LevelBand
from app.services import access, audit
from app.services import scales as scale_service
from app.services.access import Principal

FIRST_YEAR, LAST_YEAR = 2000, 2100
NOTE_MAX = 5000
TEAM_ROLES = (Role.TEAM_LEADER, Role.CONSULTANT)

SelfReportState = Literal["open", "closed", "submitted"]


@dataclass(frozen=True)
class RoundContext:
    """A round with its team and instrument, as the services and pages need them."""

    round: MeasurementRound
    team: Team
    instrument_row: ScaleVersion
    instrument: ImplementationDefinition

    @property
    def id(self) -> int:
        assert self.round.id is not None
        return self.round.id


# Who may see and do what --------------------------------------------------------------


def is_team_member(principal: Principal, *, team_id: int) -> bool:
    """The team's own leader or one of its invited consultants."""
    return principal.role in TEAM_ROLES and team_id in principal.teams


def can_plan(session: Session, *, principal: Principal, team: Team) -> bool:
    """Whoever may plan the team's review may open its round and move its deadline."""
    return access.can_create_review(session, principal=principal, team=team)


def can_assess(session: Session, *, principal: Principal, context: RoundContext) -> bool:
    """The ambassadors of the team's region, the round's reviewers, and administrators."""
    if principal.is_admin:
        return True
    if principal.role != Role.AMBASSADOR:
        return False
    if can_plan(session, principal=principal, team=context.team):
        return True
    review_id = context.round.review_id
    return review_id is not None and access.sees_review(
        session, principal=principal, review_id=review_id
    )


def sees_ambassador_ratings(principal: Principal, *, measurement: MeasurementRound) -> bool:
    """The team sees what the ambassadors made of its points only once they confirmed it."""
    if principal.role in TEAM_ROLES:
        return measurement.assessed_at is not None
    return True


def self_report_state(measurement: MeasurementRound, *, today: date) -> SelfReportState:
    """Whether the team may still fill in its part."""
    if measurement.status == RoundStatus.SUBMITTED:
        return "submitted"
    return "open" if today <= measurement.deadline else "closed"


def visible_round(session: Session, *, principal: Principal, round_id: int) -> RoundContext:
    """The round ``round_id`` if ``principal`` may see it; NotVisible otherwise."""
    measurement = session.get(MeasurementRound, round_id)
    unseen = measurement is None or (
        principal.role == Role.ANALYST and measurement.assessed_at is None
    )
    try:
        if measurement is None or unseen:
            raise NotVisible("hidden")
        team = access.visible_team(session, principal=principal, team_id=measurement.team_id)
    except NotVisible:  # the same answer whether it is missing or someone else's
        raise NotVisible.of("err_round_not_found", id=round_id) from None
    return _context(session, measurement, team)


def locked(session: Session, context: RoundContext) -> RoundContext:
    """The round's row locked for the rest of the transaction and read again, so the
    state a write checks is the state it writes against. On PostgreSQL writers of one
    round queue on its row (a save cannot slip in beside a submission or a
    confirmation); on SQLite every write transaction already begins with BEGIN IMMEDIATE."""
    session.exec(
        select(MeasurementRound.id).where(MeasurementRound.id == context.id).with_for_update()
    ).one()
    session.refresh(context.round)
    return context


def rounds_of_team(
    session: Session, *, principal: Principal, team_id: int, limit: int = 20
) -> list[MeasurementRound]:
    """The team's rounds, newest year first (at most ``limit``: one per year)."""
    access.visible_team(session, principal=principal, team_id=team_id)
    statement = select(MeasurementRound).where(MeasurementRound.team_id == team_id)
    if principal.role == Role.ANALYST:
        statement = statement.where(col(MeasurementRound.assessed_at).is_not(None))
    statement = statement.order_by(col(MeasurementRound.year).desc()).limit(limit)
    return list(session.exec(statement))


def confirmed_status(session: Session, *, measurement: MeasurementRound) -> LevelBand | None:
    """The confirmed overall status as its instrument names it (None before confirmation)."""
    if measurement.assessed_at is None or measurement.overall_status is None:
        return None
    row = session.get(ScaleVersion, measurement.instrument_id)
    assert row is not None
    bands = scale_service.instrument_of(row).status.bands
    return next((band for band in bands if band.key == measurement.overall_status), None)


def open_for_team(
    session: Session, *, principal: Principal, today: date, limit: int = 10
) -> list[tuple[MeasurementRound, str]]:
    """The rounds a team's leader or consultant can fill in now, with the team's name
    (soonest deadline first): what their front page asks them to do."""
    if principal.role not in TEAM_ROLES or not principal.teams:
        return []
    statement = (
        select(MeasurementRound, Team.name)
        .join(Team, col(Team.id) == col(MeasurementRound.team_id))
        .where(
            col(MeasurementRound.team_id).in_(principal.teams),
            MeasurementRound.status == RoundStatus.OPEN,
            col(MeasurementRound.deadline) >= today,
        )
        .order_by(col(MeasurementRound.deadline), col(MeasurementRound.id))
        .limit(limit)
    )
    return [(measurement, name) for measurement, name in session.exec(statement)]


def _context(session: Session, measurement: MeasurementRound, team: Team) -> RoundContext:
    row = session.get(ScaleVersion, measurement.instrument_id)
    assert row is not None
    return RoundContext(measurement, team, row, scale_service.instrument_of(row))


# Opening a round and its deadline ----------------------------------------------------


def open_round(
    session: Session,
    *,
    principal: Principal,
    team_id: int,
    year: int | None,
    deadline: date | None,
    today: date,
) -> RoundContext:
    """Open ``year``'s round of the team for the team to fill in until ``deadline``."""
    team = access.visible_team(session, principal=principal, team_id=team_id)
    if not can_plan(session, principal=principal, team=team):
        raise Forbidden.of("err_round_cannot_open")
    if not team.is_active:
        raise Invalid.of("err_team_inactive", team=team.name)
    if year is None or not FIRST_YEAR <= year <= LAST_YEAR:
        raise Invalid.of("err_round_year", first=FIRST_YEAR, last=LAST_YEAR)
    _check_deadline(deadline, today=today)
    assert deadline is not None
    instrument = scale_service.latest_instrument(session)
    if instrument is None or instrument.id is None:
        raise Conflict.of("err_round_no_instrument")
    existing = session.exec(
        select(MeasurementRound.id).where(
            MeasurementRound.team_id == team_id, MeasurementRound.year == year
        )
    ).first()
    if existing is not None:
        raise Conflict.of("err_round_exists", team=team.name, year=year)
    measurement = MeasurementRound(
        team_id=team_id,
        year=year,
        instrument_id=instrument.id,
        deadline=deadline,
        opened_by_id=principal.user_id,
        review_id=_unlinked_review(session, team_id=team_id, year=year),
    )
    try:
        with session.begin_nested():
            session.add(measurement)
            session.flush()
    except IntegrityError:  # another request opened it first
        raise Conflict.of("err_round_exists", team=team.name, year=year) from None
    audit.record(
        session,
        action="round.opened",
        by=principal,
        entity_type="measurement_round",
        entity_id=measurement.id,
        after={
            "team_id": team_id,
            "year": year,
            "deadline": deadline.isoformat(),
            "instrument": f"{instrument.scale_key} {instrument.version}",
            "review_id": measurement.review_id,
        },
    )
    return _context(session, measurement, team)


def set_deadline(
    session: Session, *, principal: Principal, round_id: int, deadline: date | None, today: date
) -> RoundContext:
    """Move the team's deadline (also to open a closed round again); not once submitted
    or confirmed."""
    context = visible_round(session, principal=principal, round_id=round_id)
    if not can_plan(session, principal=principal, team=context.team):
        raise Forbidden.of("err_round_cannot_open")
    locked(session, context)
    if context.round.status == RoundStatus.SUBMITTED:
        raise Conflict.of("err_round_submitted")
    if context.round.assessed_at is not None:
        raise Conflict.of("err_round_assessed")
    _check_deadline(deadline, today=today)
    assert deadline is not None
    before = context.round.deadline
    context.round.deadline = deadline
    session.add(context.round)
    audit.record(
        session,
        action="round.deadline_set",
        by=principal,
        entity_type="measurement_round",
        entity_id=context.id,
        before={"deadline": before.isoformat()},
        after={"deadline": deadline.isoformat()},
    )
    return context


def _check_deadline(deadline: date | None, *, today: date) -> None:
    if deadline is None:
        raise Invalid.of("err_round_deadline_required")
    if deadline < today:
        raise Invalid.of("err_round_deadline_past", date=deadline.isoformat())
    if deadline.year > LAST_YEAR:
        raise Invalid.of("err_round_year", first=FIRST_YEAR, last=LAST_YEAR)


def _unlinked_review(session: Session, *, team_id: int, year: int) -> int | None:
    """The team's review visited in ``year`` that no round holds yet, if there is one."""
    held = select(MeasurementRound.review_id).where(col(MeasurementRound.review_id).is_not(None))
    return session.exec(
        select(Review.id)
        .where(
            Review.team_id == team_id,
            col(Review.visit_date) >= date(year, 1, 1),
            col(Review.visit_date) <= date(year, 12, 31),
            col(Review.id).not_in(held),
        )
        .order_by(col(Review.visit_date).desc())
    ).first()


def link_review(session: Session, *, review: Review) -> None:
    """Put a newly planned review into its team's round of the visit's year, if one is
    open and holds no review yet."""
    measurement = session.exec(
        select(MeasurementRound).where(
            MeasurementRound.team_id == review.team_id,
            MeasurementRound.year == review.visit_date.year,
            col(MeasurementRound.review_id).is_(None),
        )
    ).first()
    if measurement is not None:
        measurement.review_id = review.id
        session.add(measurement)
        session.flush()


# Submitting and confirming ------------------------------------------------------------


def submit(session: Session, *, principal: Principal, round_id: int, today: date) -> RoundContext:
    """The team's part handed in by its leader: it no longer changes."""
    context = visible_round(session, principal=principal, round_id=round_id)
    if not (principal.role == Role.TEAM_LEADER and context.team.id in principal.teams):
        raise Forbidden.of("err_round_submit_leader")
    locked(session, context)
    state = self_report_state(context.round, today=today)
    if state == "submitted":
        raise Conflict.of("err_round_submitted")
    if state == "closed":
        raise Conflict.of("err_round_closed", date=context.round.deadline.isoformat())
    result = team_result(session, context=context)
    context.round.status = RoundStatus.SUBMITTED
    context.round.submitted_at = utcnow()
    context.round.submitted_by_id = principal.user_id
    context.round.team_result = result.to_dict()
    session.add(context.round)
    audit.record(
        session,
        action="round.submitted",
        by=principal,
        entity_type="measurement_round",
        entity_id=context.id,
        after={"rated": result.rated_count, "items": result.item_count},
    )
    return context


def confirm_assessment(
    session: Session, *, principal: Principal, round_id: int, note: str | None, today: date
) -> RoundContext:
    """The ambassadors' implementation assessment confirmed: each point takes their rating,
    or the team's where they left it as it was; the result joins the national figures."""
    context = visible_round(session, principal=principal, round_id=round_id)
    if not can_assess(session, principal=principal, context=context):
        raise Forbidden.of("err_round_cannot_assess")
    locked(session, context)
    if self_report_state(context.round, today=today) == "open":
        raise Conflict.of("err_round_still_open", date=context.round.deadline.isoformat())
    if context.round.assessed_at is not None:
        raise Conflict.of("err_round_assessed")
    cleaned = clean_text(note, limit=NOTE_MAX, key="err_note_long")
    levels = confirmed_levels(session, context=context)
    applicable = context.instrument.items_for(context.team.program_type)
    missing = [item.number for item in applicable if levels.get(item.key) is None]
    if missing:
        raise Invalid.of(
            "err_round_unrated",
            count=len(missing),
            numbers=", ".join(str(number) for number in missing),
        )
    _copy_team_ratings(session, context=context, principal=principal)
    result = implementation_result(
        context.instrument, program_type=context.team.program_type, levels=levels
    )
    measurement = context.round
    measurement.assessed_at, measurement.assessed_by_id = utcnow(), principal.user_id
    measurement.assessment_note = cleaned
    measurement.result = result.to_dict()
    measurement.overall_status = result.status.key if result.status else None
    if measurement.team_result is None:  # closed at its deadline without a submission
        measurement.team_result = team_result(session, context=context).to_dict()
    session.add(measurement)
    store_statuses(session, measurement=measurement, result=result)
    audit.record(
        session,
        action="round.assessed",
        by=principal,
        entity_type="measurement_round",
        entity_id=context.id,
        after={"status": measurement.overall_status, "mean": result.mean},
    )
    return context


def reopen_assessment(
    session: Session, *, principal: Principal, round_id: int, reason: str | None
) -> RoundContext:
    """Take back a confirmation to correct it; the reason goes into the audit trail."""
    context = visible_round(session, principal=principal, round_id=round_id)
    if not can_assess(session, principal=principal, context=context):
        raise Forbidden.of("err_round_cannot_assess")
    locked(session, context)
    if context.round.assessed_at is None:
        raise Conflict.of("err_round_not_assessed")
    why = clean_text(reason, limit=1000, key="err_reason_long")
    if why is None:
        raise Invalid.of("err_round_reopen_reason")
    before = {"status": context.round.overall_status, "result": context.round.result}
    context.round.assessed_at = None
    context.round.assessed_by_id = None
    context.round.result = None
    context.round.overall_status = None
    session.add(context.round)
    session.execute(
        delete(ImplementationStatus).where(col(ImplementationStatus.round_id) == context.id)
    )
    audit.record(
        session,
        action="round.assessment_reopened",
        by=principal,
        entity_type="measurement_round",
        entity_id=context.id,
        before=before,
        after={"reason": why},
    )
    return context


def store_statuses(
    session: Session, *, measurement: MeasurementRound, result: ImplementationResult
) -> None:
    """The confirmed statuses as the national figures count them: a row per element and
    one overall (``element_key`` empty), in place of any the round had."""
    assert measurement.id is not None
    session.execute(
        delete(ImplementationStatus).where(col(ImplementationStatus.round_id) == measurement.id)
    )
    rows = [("", result.status.key if result.status else None, result.mean)]
    rows += [
        (element.key, element.status.key if element.status else None, element.mean)
        for element in result.elements
    ]
    session.add_all(
        ImplementationStatus(
            round_id=measurement.id,
            element_key=key,
            team_id=measurement.team_id,
            year=measurement.year,
            status_key=status,
            mean=mean,
        )
        for key, status, mean in rows
    )
    session.flush()


def team_result(session: Session, *, context: RoundContext) -> ImplementationResult:
    """The status the team's own ratings give, on the points that apply to the team now
    (a point rated before the team's programme changed no longer counts)."""
    applicable = {item.key for item in context.instrument.items_for(context.team.program_type)}
    levels = {
        key: level
        for key, level in team_levels(session, round_id=context.id).items()
        if key in applicable
    }
    return implementation_result(
        context.instrument, program_type=context.team.program_type, levels=levels
    )


def team_levels(session: Session, *, round_id: int) -> dict[str, int | None]:
    """The team's own step on each point it rated."""
    return _levels(session, round_id=round_id, rater=ImplementationRater.TEAM)


def ambassador_levels(session: Session, *, round_id: int) -> dict[str, int | None]:
    """The ambassadors' step on each point they rated."""
    return _levels(session, round_id=round_id, rater=ImplementationRater.AMBASSADORS)


def confirmed_levels(session: Session, *, context: RoundContext) -> dict[str, int | None]:
    """The ambassadors' step where they set one, else the team's: what a confirmation keeps."""
    team = team_levels(session, round_id=context.id)
    ours = ambassador_levels(session, round_id=context.id)
    keys = [item.key for item in context.instrument.items_for(context.team.program_type)]
    return {key: ours[key] if ours.get(key) is not None else team.get(key) for key in keys}


def _levels(
    session: Session, *, round_id: int, rater: ImplementationRater
) -> dict[str, int | None]:
    rows = session.exec(
        select(ImplementationRating.item_key, ImplementationRating.level).where(
            ImplementationRating.round_id == round_id, ImplementationRating.rater == rater
        )
    )
    return dict(rows.all())


def _copy_team_ratings(session: Session, *, context: RoundContext, principal: Principal) -> None:
    """The points the ambassadors left as the team rated them get an ambassadors' row with
    the team's step: the confirmed assessment is then one complete set of rows."""
    ours = {
        row.item_key: row
        for row in session.exec(
            select(ImplementationRating).where(
                ImplementationRating.round_id == context.id,
                ImplementationRating.rater == ImplementationRater.AMBASSADORS,
            )
        )
    }
    team = team_levels(session, round_id=context.id)
    for item in context.instrument.items_for(context.team.program_type):
        row = ours.get(item.key)
        if row is not None and row.level is not None:
            continue
        if row is None:
            row = ImplementationRating(
                round_id=context.id, item_key=item.key, rater=ImplementationRater.AMBASSADORS
            )
        else:
            row.revision += 1
        row.level = team.get(item.key)
        row.updated_at, row.updated_by_id = utcnow(), principal.user_id
        session.add(row)
    session.flush()
