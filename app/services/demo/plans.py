"""The demo's action plans: what each team set out to do after its finalised reviews, and
its leader's comment on the latest one.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from app.models import (
    ActionItem,
    ActionStatus,
    RaterKind,
    Rating,
    Review,
    ReviewStatus,
    Team,
    TeamComment,
    User,
)
from app.services.demo.people import DEMO_TEAM_LEADERS

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


def add_action_plans(session: Session, *, users: dict[str, User], teams: dict[str, Team]) -> None:
    """Actions and a comment from the recommendations of every finalised demo review.

    The actions are made from each review's first recommendations (done after the older
    reviews, under way after the latest), and the comment on the latest review's first
    recommendation. A review that has any already is left as it is."""
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
