"""A team's fidelity profile: its finalised reviews over the years, how they compare, the
national picture beside them, and when the next review is due.

Everything here reads finalised reviews only, so a review in progress never reaches a
team's profile. The figures of a review come from what finalising stored
(``review.result``) and from its consensus ratings; nothing is scored again.

Comparisons across scale versions use only the items both versions share (items are
matched by their stable keys). The national figures for an item are shown only when at
least ``NATIONAL_MINIMUM_TEAMS`` teams contribute a score to it, so no team's score is
shown on its own. They are a median and quartiles, which are actual scores: with exactly
five teams, someone who knows four of the five scores can work out the fifth.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.config import Settings
from app.models import (
    FINALISED,
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
from app.scales.schema import LevelBand, ScaleDefinition
from app.services import access, audit, teams
from app.services import scales as scale_service
from app.services.access import Principal

NATIONAL_MINIMUM_TEAMS = 5


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

    def shared_total(self, other: ReviewResult) -> tuple[float, int]:
        """This review's total over the items it shares with ``other`` and rated in both,
        and how many items that is."""
        keys = [
            key
            for key, result in self.items.items()
            if result.score is not None
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


@dataclass(frozen=True)
class NationalItem:
    """The spread of one item's consensus scores across the country's teams."""

    median: float
    lower_quartile: float
    upper_quartile: float
    teams: int


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


def team_profile(session: Session, principal: Principal, team_id: int) -> TeamProfile:
    """The finalised reviews of a team the caller may see, with the national figures for
    the latest one."""
    access.visible_team(session, principal, team_id)
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
            session, profile.latest.scale_version_id, profile.latest.year
        )
    return profile


def _finalised(session: Session, query: Any) -> list[ReviewResult]:
    rows = list(session.exec(query.order_by(col(Review.visit_date), col(Review.id))))
    if not rows:
        return []
    ids = [row.id for row in rows]
    consensus: dict[int, dict[str, ItemResult]] = defaultdict(dict)
    for rating in session.exec(
        select(Rating).where(
            col(Rating.review_id).in_(ids), Rating.rater_kind == RaterKind.CONSENSUS
        )
    ):
        consensus[rating.review_id][rating.item_key] = ItemResult(
            rating.score, rating.not_rated_reason, rating.recommendation
        )
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
        definition = scale_service.definition_of(version)
        stored = review.result or {}
        results.append(
            ReviewResult(
                review_id=review.id,
                team_id=review.team_id,
                visit_date=review.visit_date,
                scale_version_id=review.scale_version_id,
                scale_key=version.scale_key,
                scale_version=version.version,
                definition=definition,
                total=float(stored.get("total", review.total_score or 0.0)),
                maximum=float(stored.get("maximum", 5.0 * len(definition.items))),
                level=_level(definition, review.level_key),
                sections=_groups(stored.get("sections", []), definition, "sections"),
                principles=_groups(stored.get("principles", []), definition, "principles"),
                items=consensus[review.id],
                reviewers=reviewers[review.id],
            )
        )
    return results


def _level(definition: ScaleDefinition, key: str | None) -> LevelBand | None:
    return next((band for band in definition.levels.bands if band.key == key), None)


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


def national_items(
    session: Session, scale_version_id: int, year: int
) -> tuple[dict[str, NationalItem], int]:
    """Each item's median and quartiles over the teams finalised on this scale version in
    this year (a team's latest review of the year counts), and how many teams that is.
    Empty when fewer than ``NATIONAL_MINIMUM_TEAMS`` teams have such a review; an item
    fewer teams scored is left out.

    The database counts each score per item (a histogram: scores are few distinct
    values), so no rating row comes to Python. The result is kept per process under the
    figures' version (``audit.figures_version``): a review finalised or reopened
    anywhere moves it, in every worker alike."""
    in_year = [
        col(Review.scale_version_id) == scale_version_id,
        col(Review.status) == FINALISED,
        col(Review.visit_date) >= date(year, 1, 1),
        col(Review.visit_date) <= date(year, 12, 31),
    ]
    connection = session.connection()
    key = (scale_version_id, year, audit.figures_version(session))
    cached = _NATIONAL.get(key)
    if cached is not None:
        return cached
    later = aliased(Review, name="later")
    latest_of_team = sa.select(col(Review.id)).where(
        *in_year,
        ~sa.exists().where(
            col(later.team_id) == col(Review.team_id),
            col(later.scale_version_id) == scale_version_id,
            col(later.status) == FINALISED,
            col(later.visit_date) <= date(year, 12, 31),
            sa.or_(
                col(later.visit_date) > col(Review.visit_date),
                sa.and_(
                    col(later.visit_date) == col(Review.visit_date), col(later.id) > col(Review.id)
                ),
            ),
        ),
    )
    teams = connection.execute(
        sa.select(sa.func.count(sa.distinct(col(Review.team_id)))).where(*in_year)
    ).scalar_one()
    found: tuple[dict[str, NationalItem], int] = ({}, 0)
    if teams >= NATIONAL_MINIMUM_TEAMS:
        histogram: dict[str, dict[float, int]] = defaultdict(dict)
        for item_key, score, times in connection.execute(
            sa.select(col(Rating.item_key), col(Rating.score), sa.func.count())
            .where(
                col(Rating.review_id).in_(latest_of_team),
                col(Rating.rater_kind) == RaterKind.CONSENSUS,
                col(Rating.score).is_not(None),
            )
            .group_by(col(Rating.item_key), col(Rating.score))
        ):
            histogram[item_key][float(score or 0.0)] = int(times)  # never None here
        found = (
            {
                key: spread_of(counts)
                for key, counts in histogram.items()
                if sum(counts.values()) >= NATIONAL_MINIMUM_TEAMS
            },
            int(teams),
        )
    if len(_NATIONAL) >= 256:
        _NATIONAL.clear()
    _NATIONAL[key] = found
    return found


_NATIONAL: dict[tuple[int, int, int], tuple[dict[str, NationalItem], int]] = {}


def forget_figures() -> None:
    """Drop the figures kept between requests (tests roll back what they made)."""
    _NATIONAL.clear()
    _DUE.clear()


def spread_of(counts: dict[float, int]) -> NationalItem:
    """``spread`` over a histogram (score → how many teams gave it), without spelling
    out every score: the quantiles are read at their positions in the sorted scores."""
    ordered = sorted(counts.items())
    total = sum(counts.values())

    def at(position: int) -> float:  # the score at a 0-based position in sorted order
        for score, times in ordered:
            if position < times:
                return score
            position -= times
        return ordered[-1][0]

    def quantile(fraction: float) -> float:  # the inclusive method, as in statistics
        place = fraction * (total - 1)
        low = int(place)
        high = min(low + 1, total - 1)
        return at(low) + (at(high) - at(low)) * (place - low)

    return NationalItem(
        round(quantile(0.5), 2), round(quantile(0.25), 2), round(quantile(0.75), 2), total
    )


def spread(values: list[float]) -> NationalItem:
    """Median and quartiles (the inclusive method: the quartiles lie within the data)."""
    lower, median, upper = statistics.quantiles(sorted(values), n=4, method="inclusive")
    return NationalItem(round(median, 2), round(lower, 2), round(upper, 2), len(values))


# When the next review is due ---------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it has no such day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def below_good(definition: ScaleDefinition, level: LevelBand | None) -> bool:
    """A level lower than the scale's "good" band, or no level at all. (A scale without a
    band keyed "good" counts every level it gives as good enough.)"""
    good = next((band for band in definition.levels.bands if band.key == "good"), None)
    if level is None:
        return True
    return good is not None and level.min < good.min


def next_due(review: ReviewResult, *, months_below_good: int, months: int) -> date:
    """When the review after ``review`` is due: sooner after a result below "good"."""
    after = months_below_good if below_good(review.definition, review.level) else months
    return add_months(review.visit_date, after)


@dataclass(frozen=True)
class DueTeam:
    """A team whose next review is due soon or overdue (or that has never had one)."""

    team_id: int
    name: str
    last_visit: date | None
    due: date | None  # None: never reviewed
    in_progress: bool

    def overdue(self, today: date) -> bool:
        return self.due is None or self.due < today


DUE_SOON_DAYS = 60


@dataclass(frozen=True)
class DueList:
    """The first teams due for a review, most overdue first, and how many are due."""

    teams: list[DueTeam]
    total: int


_DUE: dict[tuple[Any, ...], DueList] = {}


def due_teams(
    session: Session,
    principal: Principal,
    *,
    today: date,
    months_below_good: int,
    months: int,
    limit: int = 20,
) -> DueList:
    """The active teams the caller may plan a review for whose next review is due within
    ``DUE_SOON_DAYS`` days or overdue: teams never reviewed first, then most overdue
    first, the first ``limit`` of them.

    One row per team: its latest finalised review the caller may see, found by one step
    into the index of finalised reviews by team and date. So the cost follows the number
    of teams, never the length of their history; and since every change it depends on
    (a review planned, finalised or reopened, a team changed, a reviewer taken off)
    raises the figures' version, the list is kept per process under that version."""
    assigned = principal.user_id if principal.role == Role.AMBASSADOR else None
    key = (
        principal.role, principal.regions, assigned, today, months_below_good, months, limit,
        audit.figures_version(session),
    )  # fmt: skip
    found = _DUE.get(key)
    if found is None:
        found = _due_teams(
            session, principal, today=today, months_below_good=months_below_good,
            months=months, limit=limit,
        )  # fmt: skip
        if len(_DUE) >= 64:
            _DUE.clear()
        _DUE[key] = found
    return found


def _due_teams(
    session: Session,
    principal: Principal,
    *,
    today: date,
    months_below_good: int,
    months: int,
    limit: int,
) -> DueList:
    newest = teams.newest_finalised(principal)
    open_review = (
        select(Review.id)
        .where(col(Review.team_id) == col(Team.id), col(Review.status) != ReviewStatus.FINALISED)
        .correlate(Team)
        .exists()
    )
    rows = session.connection().execute(
        sa.select(
            col(Team.id),
            col(Team.name),
            col(Review.visit_date),
            col(Review.scale_version_id),
            col(Review.level_key),
            open_review,
        )
        .select_from(Team)
        .outerjoin(Review, col(Review.id) == newest)
        .where(col(Team.is_active).is_(True), access.plannable_teams(principal))
    )
    soon = date.fromordinal(today.toordinal() + DUE_SOON_DAYS)
    after: dict[tuple[int, str | None], int] = {}  # a few (version, level) pairs for all
    found = []
    for team_id, name, visit, version_id, level_key, under_way in rows:
        due = None
        if visit is not None:
            key = (version_id, level_key)
            if key not in after:
                definition = scale_service.definition_for(session, version_id)
                level = _level(definition, level_key)
                after[key] = months_below_good if below_good(definition, level) else months
            due = add_months(visit, after[key])
        if due is None or due <= soon:
            found.append(DueTeam(team_id or 0, name, visit, due, bool(under_way)))
    found.sort(key=lambda t: (t.due is not None, t.due or today, t.name))
    return DueList(found[:limit], len(found))


def finalised_review(session: Session, principal: Principal, review_id: int) -> ReviewResult:
    """One finalised review the caller may see (404 otherwise; 409 while in progress)."""
    from app.errors import Conflict  # noqa: PLC0415 (only this function raises it)

    review = access.visible_review(session, principal, review_id)
    if review.status != ReviewStatus.FINALISED:
        raise Conflict.of("err_report_not_final")
    return _finalised(session, select(Review).where(Review.id == review_id))[0]
