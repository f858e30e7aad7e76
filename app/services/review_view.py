"""A review as one caller may see it while it is scored and settled: the blind-scoring
rule (whose independent ratings the caller may see), the consensus screen's rows with what
each still needs, and the review's milestones. Reading only; the changes are in
``ratings`` (one item's rating) and ``consensus`` (submit, settle, finalise, reopen)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from app.models import (
    AuditEvent,
    RaterKind,
    Rating,
    Review,
    ReviewReviewer,
    ReviewStatus,
    Role,
    ScaleVersion,
    Team,
    User,
)
from app.scales.agreement import Agreement, agreement
from app.scales.schema import Item, ScaleDefinition
from app.scales.scoring import ItemScore, ReviewScore, score_review
from app.services import access
from app.services import scales as scale_service
from app.services.access import Principal


@dataclass
class ScoringView:
    """A review as one caller may see it for scoring: blind where the rules say so."""

    review: Review
    team: Team
    scale: ScaleVersion
    definition: ScaleDefinition
    reviewers: list[tuple[User, ReviewReviewer]]  # those on it now
    me: ReviewReviewer | None
    ratings: dict[int, dict[str, Rating]]  # by rater id: only the raters the caller may see
    consensus: dict[str, Rating] | None  # None while the caller may not see it
    removed: list[tuple[User, ReviewReviewer]] = field(default_factory=list)  # taken off it

    @property
    def my_ratings(self) -> dict[str, Rating]:
        if self.me is None:
            return {}
        return self.ratings.get(self.me.user_id, {})

    @property
    def is_lead(self) -> bool:
        return self.me is not None and self.me.is_lead

    @property
    def can_score(self) -> bool:
        return (
            self.me is not None
            and self.me.submitted_at is None
            and self.review.status == ReviewStatus.SCORING
        )

    @property
    def raters(self) -> list[tuple[User, ReviewReviewer]]:
        """The reviewers whose independent ratings the consensus compares: those on the
        review who scored (one taken on during the consensus has nothing to compare)."""
        if self.review.status == ReviewStatus.SCORING:
            return self.reviewers
        return [
            (user, link)
            for user, link in self.reviewers
            if link.user_id not in self.ratings or self.ratings[link.user_id]
        ]

    @property
    def all_submitted(self) -> bool:
        return all(link.submitted_at is not None for _, link in self.reviewers)

    def reviewer_names(self) -> dict[int, str]:
        return {user.id: user.display_name for user, _ in self.reviewers if user.id is not None}

    def score_of(self, ratings: Mapping[str, Rating]) -> ReviewScore:
        return score_review(self.definition, item_scores(ratings))

    def agreement(self) -> Agreement:
        ids = [link.user_id for _, link in self.raters]
        return agreement(
            definition=self.definition, raters=[self.ratings.get(rater, {}) for rater in ids]
        )


def item_scores(ratings: Mapping[str, Rating]) -> dict[str, ItemScore]:
    """Each rated item's score, or why it was not rated, as the scoring core reads them."""
    return {
        key: ItemScore(rating.score, rating.not_rated_reason) for key, rating in ratings.items()
    }


def scoring_view(session: Session, *, principal: Principal, review_id: int) -> ScoringView:
    """The review ``review_id`` for scoring, blind where the rules say so (404 outside the
    caller's scope)."""
    review = access.visible_review(session, principal=principal, review_id=review_id)
    team = session.get(Team, review.team_id)
    # The definition comes parsed from the cache; only its row's small columns are read.
    scale = session.get(
        ScaleVersion,
        review.scale_version_id,
        options=[defer(ScaleVersion.definition)],  # type: ignore[arg-type]
    )
    assert team is not None and scale is not None
    everyone = [
        (user, link)
        for user, link in session.exec(
            select(User, ReviewReviewer)
            .join(ReviewReviewer, col(ReviewReviewer.user_id) == col(User.id))
            .where(ReviewReviewer.review_id == review_id)
            .order_by(col(ReviewReviewer.is_lead).desc(), col(User.display_name))
        )
    ]
    reviewers = [(user, link) for user, link in everyone if link.removed_at is None]
    removed = [(user, link) for user, link in everyone if link.removed_at is not None]
    links = [link for _, link in reviewers]
    me = next((link for link in links if link.user_id == principal.user_id), None)
    visible = visible_raters(principal=principal, review=review, links=links)
    ratings: dict[int, dict[str, Rating]] = {rater: {} for rater in visible}
    # The consensus exists only once every reviewer has submitted, so it blinds no one.
    consensus: dict[str, Rating] | None = {} if review.status != ReviewStatus.SCORING else None
    rows = session.exec(select(Rating).where(Rating.review_id == review_id))
    for rating in rows:
        if rating.rater_kind == RaterKind.CONSENSUS:
            if consensus is not None:
                consensus[rating.item_key] = rating
        elif rating.rater_id in ratings:
            ratings[rating.rater_id][rating.item_key] = rating
    definition = scale_service.definition_of(scale)
    return ScoringView(review, team, scale, definition, reviewers, me, ratings, consensus, removed)


def visible_raters(
    *, principal: Principal, review: Review, links: Sequence[ReviewReviewer]
) -> set[int]:
    """Whose independent ratings the caller may see: the blind-scoring rule.

    A reviewer who has not submitted sees only their own. A reviewer who has submitted
    also sees the other reviewers who have submitted. Anyone else who may see the review
    sees the reviewers' ratings once every reviewer has submitted (an administrator at
    any time, since they do not score). After finalisation, everyone who may see the
    review sees them all, except a team's leader, who reads only the consensus.
    """
    everyone = {link.user_id for link in links}
    if principal.role in (Role.TEAM_LEADER, Role.CONSULTANT):
        return set()  # the team reads the consensus, not the reviewers' working notes
    if review.status == ReviewStatus.FINALISED:
        return everyone
    me = next((link for link in links if link.user_id == principal.user_id), None)
    if me is not None:
        if me.submitted_at is None:
            return {me.user_id}
        return {link.user_id for link in links if link.submitted_at is not None}
    if principal.is_admin or review.status == ReviewStatus.CONSENSUS:
        return everyone
    return set()


@dataclass(frozen=True)
class ConsensusItem:
    """One item on the consensus screen: what each reviewer said and what is still due."""

    item: Item
    reviewer_ratings: list[Rating | None]
    consensus: Rating | None
    agreed: bool
    needs_rationale: bool
    needs_recommendation: bool

    @property
    def settled(self) -> bool:
        rating = self.consensus
        return rating is not None and (rating.score is not None or bool(rating.not_rated_reason))

    @property
    def open_points(self) -> list[str]:
        points = []
        if not self.settled:
            points.append("missing_consensus")
        if self.needs_rationale:
            points.append("missing_rationale")
        if self.needs_recommendation:
            points.append("missing_recommendation")
        return points


def consensus_items(view: ScoringView) -> list[ConsensusItem]:
    """The consensus screen's rows: each item, what every reviewer said, and what is due."""
    rater_ids = [link.user_id for _, link in view.raters]
    consensus = view.consensus or {}
    threshold = view.definition.recommendation_threshold
    rows = []
    for item in view.definition.items:
        ratings = [view.ratings.get(rater, {}).get(item.key) for rater in rater_ids]
        said = {(r.score, r.not_rated_reason is not None) if r else None for r in ratings}
        agreed = (
            len(said) == 1 and None not in said and all(r and r.score is not None for r in ratings)
        )
        settled = consensus.get(item.key)
        differs = settled is not None and any(
            r is None or r.score != settled.score for r in ratings
        )
        rows.append(
            ConsensusItem(
                item=item,
                reviewer_ratings=ratings,
                consensus=settled,
                agreed=agreed,
                needs_rationale=bool(
                    settled is not None
                    and (settled.score is not None or settled.not_rated_reason)
                    and (not agreed or differs)
                    and not settled.rationale
                ),
                needs_recommendation=bool(
                    settled is not None
                    and settled.score is not None
                    and settled.score <= threshold
                    and not settled.recommendation
                ),
            )
        )
    return rows


def history(session: Session, *, review_id: int) -> list[Any]:
    """The review's milestones from the audit trail, oldest first."""
    milestones = (
        "review.created",
        "review.submitted",
        "review.reviewer_replaced",
        "review.reviewer_removed",
        "review.consensus_started",
        "review.finalised",
        "review.reopened",
    )
    query = (
        select(AuditEvent, User)
        .join(User, col(User.id) == col(AuditEvent.actor_id), isouter=True)
        .where(
            AuditEvent.entity_type == "review",
            AuditEvent.entity_id == str(review_id),
            col(AuditEvent.action).in_(milestones),
        )
        .order_by(col(AuditEvent.occurred_at), col(AuditEvent.id))
    )
    return list(session.exec(query))
