"""A team's fidelity profile: its finalised reviews over the years, how the latest moved
from the one before, the national figures beside it, and when the next review is due.

Everything here reads finalised reviews only, so a review in progress never reaches a
team's profile. The figures of a review come from what finalising stored
(``review.result``) and from its consensus ratings; nothing is scored again.

Comparisons across scale versions use only the items both versions share (items are
matched by their stable keys). The national figures come from ``comparison``; the list of
teams due for a review, across teams, from ``due``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from app.config import Settings
from app.models import RaterKind, Rating, Review, ReviewReviewer, ReviewStatus, ScaleVersion, User
from app.scales.compare import comparable_keys
from app.scales.schema import LevelBand, ScaleDefinition
from app.services import access
from app.services import scales as scale_service
from app.services.access import Principal

# The small-number rule is comparison's; the team page's charts and the national overview
# read it from here, beside the profile they show it with.
from app.services.comparison import NationalItem, national_items


@dataclass(frozen=True)
class ItemResult:
    """One item's consensus in a finalised review: a score, or why it was not rated."""

    score: float | None
    not_rated_reason: str | None = None
    recommendation: str | None = None


@dataclass(frozen=True)
class GroupResult:
    """A section's or principle's figures in a finalised review."""

    key: str
    title: dict[str, str]
    item_count: int
    rated_count: int
    total: float
    mean: float | None


@dataclass(frozen=True)
class ReviewResult:
    """One finalised review of a team, as its profile shows it."""

    review_id: int
    team_id: int
    visit_date: date
    scale_version_id: int
    scale_key: str
    scale_version: str
    definition: ScaleDefinition
    total: float
    maximum: float
    level: LevelBand | None
    sections: list[GroupResult]
    principles: list[GroupResult]
    items: dict[str, ItemResult]
    reviewers: list[str]

    @property
    def year(self) -> int:
        return self.visit_date.year

    def comparable_with(self, other: ReviewResult) -> frozenset[str]:
        """The item keys whose scores here and in ``other`` may be set side by side."""
        return comparable_keys(self.definition, other.definition)

    def shared_total(self, other: ReviewResult) -> tuple[float, int]:
        """This review's total over the items it shares with ``other`` (comparable across
        their versions: the crosswalk's question) and rated in both, and how many items
        that is."""
        comparable = self.comparable_with(other)
        keys = [
            key
            for key, result in self.items.items()
            if result.score is not None
            and key in comparable
            and key in other.items
            and other.items[key].score is not None
        ]
        return sum(self.items[key].score or 0.0 for key in keys), len(keys)


@dataclass(frozen=True)
class Change:
    """How the latest review's total moved from the one before."""

    difference: float
    same_version: bool
    compared_items: int  # the items rated in both reviews (and in both scale versions)

    def all_items(self, review: ReviewResult) -> bool:
        return self.same_version and self.compared_items == len(review.definition.items)


@dataclass
class TeamProfile:
    reviews: list[ReviewResult] = field(default_factory=list)  # oldest first
    national: dict[str, NationalItem] = field(default_factory=dict)  # for the latest review
    national_teams: int = 0  # teams behind the national figures (0: none shown)

    def next_due(self, settings: Settings) -> date | None:
        """When the team's next review is due (None: it has had none)."""
        if self.latest is None:
            return None
        return next_due(
            self.latest,
            months_below_good=settings.follow_up_months_below_good,
            months=settings.follow_up_months,
        )

    @property
    def latest(self) -> ReviewResult | None:
        return self.reviews[-1] if self.reviews else None

    @property
    def previous(self) -> ReviewResult | None:
        return self.reviews[-2] if len(self.reviews) > 1 else None

    def change(self) -> Change | None:
        latest, previous = self.latest, self.previous
        if latest is None or previous is None:
            return None
        # Over the items rated in both (and, across scale versions, in both versions): a
        # total with a not-rated item in it is not comparable with one without.
        mine, count = latest.shared_total(previous)
        theirs, _ = previous.shared_total(latest)
        same = latest.scale_version_id == previous.scale_version_id
        return Change(round(mine - theirs, 2), same, count)


def team_profile(session: Session, *, principal: Principal, team_id: int) -> TeamProfile:
    """A team's finalised reviews the caller may see, with the latest one's national figures."""
    access.visible_team(session, principal=principal, team_id=team_id)
    reviews = _finalised(
        session,
        select(Review).where(
            Review.team_id == team_id,
            Review.status == ReviewStatus.FINALISED,
            access.review_scope(principal),
        ),
    )
    profile = TeamProfile(reviews=reviews)
    if profile.latest is not None:
        profile.national, profile.national_teams = national_items(
            session, scale_version_id=profile.latest.scale_version_id, year=profile.latest.year
        )
    return profile


def finalised_review(session: Session, *, principal: Principal, review_id: int) -> ReviewResult:
    """One finalised review the caller may see (404 otherwise; 409 while in progress)."""
    from app.errors import Conflict  # noqa: PLC0415 (only this function raises it)

    review = access.visible_review(session, principal=principal, review_id=review_id)
    if review.status != ReviewStatus.FINALISED:
        raise Conflict.of("err_report_not_final")
    return _finalised(session, select(Review).where(Review.id == review_id))[0]


def level_of(definition: ScaleDefinition, *, key: str | None) -> LevelBand | None:
    """The scale's level band with this key (None: no level, or a key it lacks)."""
    return next((band for band in definition.levels.bands if band.key == key), None)


def _finalised(session: Session, query: Any) -> list[ReviewResult]:
    rows = list(session.exec(query.order_by(col(Review.visit_date), col(Review.id))))
    if not rows:
        return []
    ids = [row.id for row in rows]
    consensus = _consensus_of(session, ids)
    reviewers = _reviewers_of(session, ids)
    versions = {
        row.id: row
        for row in session.exec(
            select(ScaleVersion).where(
                col(ScaleVersion.id).in_({review.scale_version_id for review in rows})
            )
        )
    }
    results = []
    for review in rows:
        assert review.id is not None
        version = versions[review.scale_version_id]
        results.append(_result(review, version, consensus[review.id], reviewers[review.id]))
    return results


def _consensus_of(session: Session, ids: Iterable[int | None]) -> dict[int, dict[str, ItemResult]]:
    consensus: dict[int, dict[str, ItemResult]] = defaultdict(dict)
    for rating in session.exec(
        select(Rating).where(
            col(Rating.review_id).in_(ids), Rating.rater_kind == RaterKind.CONSENSUS
        )
    ):
        consensus[rating.review_id][rating.item_key] = ItemResult(
            rating.score, rating.not_rated_reason, rating.recommendation
        )
    return consensus


def _reviewers_of(session: Session, ids: Iterable[int | None]) -> dict[int, list[str]]:
    """Each review's reviewers' names, the lead first."""
    reviewers: dict[int, list[str]] = defaultdict(list)
    for review_id, name in session.exec(
        select(ReviewReviewer.review_id, User.display_name)
        .join(User, col(User.id) == col(ReviewReviewer.user_id))
        .where(
            col(ReviewReviewer.review_id).in_(ids),
            col(ReviewReviewer.removed_at).is_(None),  # taken off it: not among its reviewers
        )
        .order_by(col(ReviewReviewer.is_lead).desc(), col(User.display_name))
    ):
        reviewers[review_id].append(name)
    return reviewers


def _result(
    review: Review, version: ScaleVersion, items: dict[str, ItemResult], reviewers: list[str]
) -> ReviewResult:
    """A finalised review as its profile shows it, from what finalising stored."""
    assert review.id is not None
    definition = scale_service.definition_of(version)
    stored = review.result or {}
    return ReviewResult(
        review_id=review.id,
        team_id=review.team_id,
        visit_date=review.visit_date,
        scale_version_id=review.scale_version_id,
        scale_key=version.scale_key,
        scale_version=version.version,
        definition=definition,
        total=float(stored.get("total", review.total_score or 0.0)),
        maximum=float(stored.get("maximum", 5.0 * len(definition.items))),
        level=level_of(definition, key=review.level_key),
        sections=_groups(stored.get("sections", []), definition, "sections"),
        principles=_groups(stored.get("principles", []), definition, "principles"),
        items=items,
        reviewers=reviewers,
    )


def _groups(
    stored: list[dict[str, Any]], definition: ScaleDefinition, kind: str
) -> list[GroupResult]:
    titles = {
        group.key: group.title.model_dump()
        for group in (definition.sections if kind == "sections" else definition.principles)
    }
    return [
        GroupResult(
            key=group["key"],
            title=titles.get(group["key"], {"da": group["key"], "en": group["key"]}),
            item_count=int(group.get("item_count") or 0),
            rated_count=int(group.get("rated_count") or 0),
            total=float(group.get("total") or 0.0),
            mean=None if group.get("mean") is None else float(group["mean"]),
        )
        for group in stored
        if isinstance(group, dict) and "key" in group
    ]


# When the next review is due ---------------------------------------------------------------


def add_months(day: date, *, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it has no such day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def below_good(definition: ScaleDefinition, *, level: LevelBand | None) -> bool:
    """A level lower than the scale's "good" band, or no level at all.

    A scale without a band keyed "good" counts every level it gives as good enough."""
    good = next((band for band in definition.levels.bands if band.key == "good"), None)
    if level is None:
        return True
    return good is not None and level.min < good.min


def next_due(review: ReviewResult, *, months_below_good: int, months: int) -> date:
    """When the review after ``review`` is due: sooner after a result below "good"."""
    after = months_below_good if below_good(review.definition, level=review.level) else months
    return add_months(review.visit_date, months=after)
