"""Planning a review: which published scale versions fit a team, who may score, and the
new review itself with its reviewers and lead, in the scoring state."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.errors import Conflict, Forbidden, Invalid
from app.models import (
    Review,
    ReviewReviewer,
    ReviewStatus,
    Role,
    ScaleKind,
    ScaleStatus,
    ScaleVersion,
    Team,
    User,
)
from app.services import access, audit, rounds
from app.services import scales as scale_service
from app.services.access import Principal

FIRST_YEAR, LAST_YEAR = 2000, 2100


def scales_for(session: Session, *, team: Team) -> list[ScaleVersion]:
    """The published versions a review of ``team`` may use; the first is the default, the
    newest version of the first scale meant for the team's program type."""
    return [
        row
        for row in scale_service.list_scale_versions(session, published_only=True)
        if team.program_type in scale_service.definition_of(row).program_types
    ]


def default_scale(session: Session, *, team: Team) -> ScaleVersion | None:
    """The version a review of ``team`` uses when none is named."""
    usable = scales_for(session, team=team)
    return usable[0] if usable else None


def eligible_reviewers(session: Session) -> list[User]:
    """Who may be assigned to score a review: active ambassadors and administrators."""
    query = (
        select(User)
        .where(col(User.is_active), col(User.role).in_([Role.AMBASSADOR, Role.ADMIN]))
        .order_by(col(User.display_name))
    )
    return list(session.exec(query))


def plan_review(
    session: Session,
    *,
    principal: Principal,
    team_id: int,
    visit_date: date | None,
    reviewer_usernames: Sequence[str],
    lead_username: str | None,
    scale_key: str | None = None,
    scale_version: str | None = None,
    visit_end_date: date | None = None,
) -> Review:
    """A new review of ``team_id`` in the scoring state, with its reviewers and lead."""
    team = access.visible_team(session, principal=principal, team_id=team_id)
    if not access.can_create_review(session, principal=principal, team=team):
        raise Forbidden.of("err_cannot_plan")
    if not team.is_active:
        raise Invalid.of("err_team_inactive", team=team.name)
    open_review = session.exec(
        select(Review.id).where(Review.team_id == team_id, Review.status != ReviewStatus.FINALISED)
    ).first()
    if open_review is not None:
        raise Conflict.of("err_review_open", team=team.name, id=open_review)
    scale = _scale_for_review(session, team, scale_key, scale_version)
    _check_dates(visit_date, visit_end_date)
    assert visit_date is not None
    reviewers = _reviewers(session, reviewer_usernames)
    lead = _lead(lead_username, reviewers)
    assert scale.id is not None
    review = Review(
        team_id=team_id,
        scale_version_id=scale.id,
        visit_date=visit_date,
        visit_end_date=visit_end_date if visit_end_date != visit_date else None,
        status=ReviewStatus.SCORING,
        created_by_id=principal.user_id,
    )
    try:
        with session.begin_nested():
            session.add(review)
            session.flush()
    except IntegrityError:  # a second request for the same team got in first
        raise Conflict.of("err_review_open", team=team.name, id="?") from None
    _assign(session, principal, review, scale, reviewers, lead)
    rounds.link_review(session, review=review)
    return review


def _check_dates(visit_date: date | None, visit_end_date: date | None) -> None:
    if visit_date is None:
        raise Invalid.of("err_visit_date_required")
    for day in (visit_date, visit_end_date):
        if day is not None and not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise Invalid.of("err_visit_date_range", value=day.isoformat())
    if visit_end_date is not None and visit_end_date < visit_date:
        raise Invalid.of(
            "err_visit_dates_reversed", start=visit_date.isoformat(), end=visit_end_date.isoformat()
        )


def _lead(raw: str | None, reviewers: Sequence[User]) -> str:
    lead = (raw or "").strip().lower()
    if not lead:
        raise Invalid.of("err_lead_required")
    if lead not in {user.username for user in reviewers}:
        raise Invalid.of("err_lead_not_reviewer", username=lead)
    return lead


def _assign(
    session: Session,
    principal: Principal,
    review: Review,
    scale: ScaleVersion,
    reviewers: Sequence[User],
    lead: str,
) -> None:
    """The new review's reviewers and lead, and the audit event that records the plan."""
    assert review.id is not None
    for user in reviewers:
        assert user.id is not None
        session.add(
            ReviewReviewer(review_id=review.id, user_id=user.id, is_lead=user.username == lead)
        )
    audit.record(
        session,
        action="review.created",
        by=principal,
        entity_type="review",
        entity_id=review.id,
        after={
            "team_id": review.team_id,
            "scale": f"{scale.scale_key} {scale.version}",
            "visit_date": review.visit_date.isoformat(),
            "visit_end_date": review.visit_end_date.isoformat() if review.visit_end_date else None,
            "reviewers": sorted(user.username for user in reviewers),
            "lead": lead,
        },
    )
    session.flush()


def _scale_for_review(
    session: Session, team: Team, key: str | None, version: str | None
) -> ScaleVersion:
    if not key and not version:
        scale = default_scale(session, team=team)
        if scale is None:
            raise Invalid.of("err_no_scale_for_program", program=team.program_type)
        return scale
    if not key or not version:
        raise Invalid.of("err_scale_key_and_version")
    scale = scale_service.find_scale_version(session, key=key, version=version)
    if scale is None or scale.status == ScaleStatus.DRAFT or scale.kind != ScaleKind.FIDELITY:
        raise Invalid.of("err_unknown_scale", scale=f"{key} {version}")
    if scale.status != ScaleStatus.PUBLISHED:
        raise Invalid.of("err_scale_retired", scale=f"{key} {version}")
    if team.program_type not in scale_service.definition_of(scale).program_types:
        raise Invalid.of("err_scale_program", scale=f"{key} {version}", program=team.program_type)
    return scale


def _reviewers(session: Session, usernames: Sequence[str]) -> list[User]:
    wanted: list[str] = []
    for raw in usernames:
        name = raw.strip().lower()
        if name and name not in wanted:
            wanted.append(name)
    if len(wanted) < 2:
        raise Invalid.of("err_two_reviewers")
    users = {
        user.username: user
        for user in session.exec(select(User).where(col(User.username).in_(wanted)))
    }
    for name in wanted:
        user = users.get(name)
        if user is None:
            raise Invalid.of("err_no_user", username=name)
        if not user.is_active:
            raise Invalid.of("err_reviewer_disabled", username=name)
        if user.role not in (Role.AMBASSADOR, Role.ADMIN):
            raise Invalid.of("err_reviewer_role", username=name)
    return [users[name] for name in wanted]
