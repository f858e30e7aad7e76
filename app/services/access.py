"""The one authorisation layer: who may see which teams and reviews, and do what.

Every service that reads or writes a team's data takes a ``Principal`` and goes through
this module. Lists are filtered in the query (``team_scope``, ``review_scope``), never
after it. A record outside the caller's scope is answered as if it did not exist
(``NotVisible``, a 404); an action the caller may not take on a record they can see is
``Forbidden`` (a 403).

The scopes:

- admin: everything.
- ambassador: the teams of their regions and every review of those teams, plus any review
  they are assigned to as a reviewer (and its team).
- team_leader: their own teams, and only those teams' finalised reviews.
- analyst: every team and every finalised review in the country; writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy import ColumnElement, false, or_, true
from sqlmodel import Session, col, select

from app.errors import Forbidden, NotFound, NotVisible
from app.models import (
    Channel,
    Municipality,
    Review,
    ReviewReviewer,
    ReviewStatus,
    Role,
    Team,
    TeamMunicipality,
    User,
    UserRegion,
    UserTeam,
)


@dataclass(frozen=True)
class Principal:
    """Who is asking, with their scope, and through which channel."""

    user_id: int | None
    username: str
    display_name: str
    role: Role
    regions: frozenset[int] = field(default_factory=frozenset)
    teams: frozenset[int] = field(default_factory=frozenset)
    channel: Channel = "web"
    session_id: int | None = None
    token_id: int | None = None
    csrf_token: str | None = None
    client_address: str | None = None

    @classmethod
    def system(cls, channel: Channel = "cli") -> Principal:
        """The operator at the command line: an administrator with no user row."""
        return cls(None, "(system)", "(system)", Role.ADMIN, channel=channel)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN


def principal_for(
    session: Session, *, user: User, channel: Channel = "web", **extra: object
) -> Principal:
    """A principal for ``user`` with the scope stored on them (only ambassadors and team
    leaders have one to read). Requests get theirs from ``credentials.Credential``."""
    assert user.id is not None
    connection = session.connection()
    regions: frozenset[int] = frozenset()
    teams: frozenset[int] = frozenset()
    if user.role == Role.AMBASSADOR:
        found = connection.execute(_REGIONS_OF, {"user_id": user.id}).scalars()
        regions = frozenset(int(code) for code in found)
    elif user.role in (Role.TEAM_LEADER, Role.CONSULTANT):
        found = connection.execute(_TEAMS_OF, {"user_id": user.id}).scalars()
        teams = frozenset(int(team) for team in found)
    return Principal(
        user.id,
        user.username,
        user.display_name,
        Role(user.role),
        regions=regions,
        teams=teams,
        channel=channel,
        **extra,  # type: ignore[arg-type]
    )


_REGIONS_OF = sa.select(col(UserRegion.region_code)).where(
    col(UserRegion.user_id) == sa.bindparam("user_id")
)
_TEAMS_OF = sa.select(col(UserTeam.team_id)).where(col(UserTeam.user_id) == sa.bindparam("user_id"))


def _teams_in_regions(regions: frozenset[int]) -> ColumnElement[bool]:
    in_regions = (
        select(TeamMunicipality.team_id)
        .join(Municipality, col(Municipality.code) == col(TeamMunicipality.municipality_code))
        .where(col(Municipality.region_code).in_(regions))
    )
    return col(Team.id).in_(in_regions)


def _assigned_reviews(principal: Principal) -> ColumnElement[bool]:
    """The reviews ``principal`` is on (one taken off a review no longer sees it through
    that review)."""
    assigned = select(ReviewReviewer.review_id).where(
        ReviewReviewer.user_id == principal.user_id, col(ReviewReviewer.removed_at).is_(None)
    )
    return col(Review.id).in_(assigned)


def team_scope(principal: Principal) -> ColumnElement[bool]:
    """A WHERE clause on ``Team``: the teams ``principal`` may see."""
    match principal.role:
        case Role.ADMIN | Role.ANALYST:
            return true()
        case Role.AMBASSADOR:
            assigned_teams = select(Review.team_id).where(_assigned_reviews(principal))
            return or_(_teams_in_regions(principal.regions), col(Team.id).in_(assigned_teams))
        case Role.TEAM_LEADER | Role.CONSULTANT:
            return col(Team.id).in_(principal.teams)
    return false()


def plannable_teams(principal: Principal) -> ColumnElement[bool]:
    """A WHERE clause on ``Team``: the teams ``principal`` may plan a review of (an
    administrator any; an ambassador those of their own regions, not the teams they see
    only because they reviewed them once)."""
    match principal.role:
        case Role.ADMIN:
            return true()
        case Role.AMBASSADOR:
            return _teams_in_regions(principal.regions)
    return false()


def review_scope(principal: Principal) -> ColumnElement[bool]:
    """A WHERE clause on ``Review``: the reviews ``principal`` may see."""
    finalised = col(Review.status) == ReviewStatus.FINALISED
    match principal.role:
        case Role.ADMIN:
            return true()
        case Role.ANALYST:
            return finalised
        case Role.AMBASSADOR:
            regional = select(Team.id).where(_teams_in_regions(principal.regions))
            return or_(col(Review.team_id).in_(regional), _assigned_reviews(principal))
        case Role.TEAM_LEADER | Role.CONSULTANT:
            return finalised & col(Review.team_id).in_(principal.teams)
    return false()


def review_scope_newest_first(principal: Principal) -> ColumnElement[bool]:
    """``review_scope`` for a list read newest first through the index by visit date.

    An ambassador's scope is an OR of two sets (their regions' teams, the reviews they
    are on), which SQLite answers by collecting both whole and sorting them: half a
    second for a region's 20,000 reviews before the first row. Written so that no index
    serves it (``+ 0``), the list walks the date index and stops at the page's end."""
    if principal.role != Role.AMBASSADOR:
        return review_scope(principal)
    regional = select(Team.id).where(_teams_in_regions(principal.regions))
    assigned = select(ReviewReviewer.review_id).where(
        ReviewReviewer.user_id == principal.user_id, col(ReviewReviewer.removed_at).is_(None)
    )
    return or_((col(Review.team_id) + 0).in_(regional), (col(Review.id) + 0).in_(assigned))


def visible_team(session: Session, *, principal: Principal, team_id: int) -> Team:
    """The team, if ``principal`` may see it; otherwise 404 whether or not it exists."""
    team = session.exec(select(Team).where(Team.id == team_id, team_scope(principal))).first()
    if team is not None:
        return team
    if session.get(Team, team_id) is not None:
        raise NotVisible.of("err_no_team", id=team_id)
    raise NotFound.of("err_no_team", id=team_id)


def sees_review(session: Session, *, principal: Principal, review_id: int) -> bool:
    """Whether ``principal`` may see the review (a reviewer taken off it no longer may,
    unless their region or role lets them)."""
    query = select(Review.id).where(Review.id == review_id, review_scope(principal))
    return session.exec(query).first() is not None


def visible_review(session: Session, *, principal: Principal, review_id: int) -> Review:
    """The review, if ``principal`` may see it; otherwise 404 whether or not it exists."""
    query = select(Review).where(Review.id == review_id, review_scope(principal))
    review = session.exec(query).first()
    if review is not None:
        return review
    if session.get(Review, review_id) is not None:
        raise NotVisible.of("err_no_review", id=review_id)
    raise NotFound.of("err_no_review", id=review_id)


def team_regions(session: Session, *, team_id: int) -> set[int]:
    """The codes of the regions the team's municipalities lie in."""
    query = (
        select(Municipality.region_code)
        .join(TeamMunicipality, col(TeamMunicipality.municipality_code) == Municipality.code)
        .where(TeamMunicipality.team_id == team_id)
    )
    return {int(code) for code in session.exec(query)}


# What each role may do. Checks that depend on the record take it as an argument.


def require_role(principal: Principal, *roles: Role) -> None:
    """Forbidden unless ``principal`` has one of ``roles``."""
    if principal.role not in roles:
        raise Forbidden("role_forbidden")


def require_admin(principal: Principal) -> None:
    """Forbidden unless ``principal`` is an administrator."""
    require_role(principal, Role.ADMIN)


def can_create_review(session: Session, *, principal: Principal, team: Team) -> bool:
    """Administrators plan reviews of any team, ambassadors of teams in their regions."""
    if principal.is_admin:
        return True
    if principal.role != Role.AMBASSADOR or team.id is None:
        return False
    return bool(team_regions(session, team_id=team.id) & principal.regions)


def can_score(principal: Principal, *, review: Review, reviewer_ids: set[int]) -> bool:
    """Only the reviewers assigned to a review score it, and only until it is finalised."""
    return review.status != ReviewStatus.FINALISED and principal.user_id in reviewer_ids


def can_write_team_feedback(principal: Principal, *, team: Team) -> bool:
    """The team's own leaders write its comments, pre-visit figures and action plan."""
    return principal.role == Role.TEAM_LEADER and team.id in principal.teams


def can_export(principal: Principal) -> bool:
    """Administrators and analysts download exports."""
    return principal.role in (Role.ADMIN, Role.ANALYST)


def can_read_national(principal: Principal) -> bool:
    """Administrators, analysts and ambassadors read the national overview."""
    return principal.role in (Role.ADMIN, Role.ANALYST, Role.AMBASSADOR)
