"""The small-number rule of the national figures.

Analysts and administrators see every figure. An ambassador sees the same national
figures, but a figure made from fewer than ``NATIONAL_MINIMUM_TEAMS`` teams is shown only
when those teams are all in their own scope, so that no single team elsewhere can be
picked out of it: a year's levels, a region's, an item's or a principle's mean.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy import ColumnElement
from sqlmodel import Session, col, func, select

from app.models import Rating, Review, Role, Team
from app.scales.schema import ScaleDefinition
from app.services import access
from app.services.access import Principal
from app.services.comparison import NATIONAL_MINIMUM_TEAMS
from app.services.national_filters import CONSENSUS


class _Keyed(Protocol):
    @property
    def key(self) -> str: ...


ItemT = TypeVar("ItemT", bound=_Keyed)
PrincipleT = TypeVar("PrincipleT", bound=_Keyed)


def sees_all_teams(*, principal: Principal) -> bool:
    """Whether the rule leaves ``principal``'s figures alone (analysts, administrators)."""
    return principal.role in (Role.ADMIN, Role.ANALYST)


def may_show(session: Session, *, principal: Principal, team_ids: set[int]) -> bool:
    """Whether figures made from these teams' reviews may be shown to ``principal``."""
    if len(team_ids) >= NATIONAL_MINIMUM_TEAMS or not team_ids:
        return True
    visible = session.exec(
        select(func.count())
        .select_from(Team)
        .where(col(Team.id).in_(team_ids), access.team_scope(principal))
    ).one()
    return visible == len(team_ids)


def hidden_years(
    session: Session, *, principal: Principal, every_year: list[ColumnElement[bool]]
) -> set[int]:
    """The years whose levels would show a few teams that are not all the caller's own."""
    if sees_all_teams(principal=principal):
        return set()
    teams_by_year: dict[int, set[int]] = defaultdict(set)
    for day, team_id in session.connection().execute(
        sa.select(col(Review.visit_date), col(Review.team_id)).where(*every_year).distinct()
    ):
        teams_by_year[day.year].add(team_id)
    return {
        year for year, team_ids in teams_by_year.items()
        if not may_show(session, principal=principal, team_ids=team_ids)
    }  # fmt: skip


def region_shown(
    session: Session, *, principal: Principal, region_code: int, pairs: sa.Subquery
) -> bool:
    """Whether a region's levels may be shown (``pairs``: its reviews' team and region)."""
    if sees_all_teams(principal=principal) or region_code in principal.regions:
        return True
    team_ids = set(
        session.exec(select(pairs.c.team_id).where(pairs.c.region_code == region_code).distinct())
    )
    return may_show(session, principal=principal, team_ids=team_ids)


def without_few(
    session: Session,
    *,
    principal: Principal,
    in_year: list[ColumnElement[bool]],
    definitions: dict[int, ScaleDefinition],
    items: list[ItemT],
    principles: list[PrincipleT],
) -> tuple[list[ItemT], list[PrincipleT]]:
    """The item and principle means the rule lets ``principal`` see of those given."""
    # An item of one scale version, say, that only two teams in the country were
    # measured on: its mean, and the means of its principles, are left out.
    if sees_all_teams(principal=principal):
        return items, principles
    shown = _items_shown(session, principal, in_year, list(definitions))
    principle_items: dict[str, set[str]] = defaultdict(set)
    for definition in definitions.values():
        for item in definition.items:
            for principle in item.principles:
                principle_items[principle].add(item.key)
    return (
        [item for item in items if item.key in shown],
        [p for p in principles if principle_items[p.key] <= shown],
    )


def _items_shown(
    session: Session,
    principal: Principal,
    in_year: list[ColumnElement[bool]],
    version_ids: list[int],
) -> set[str]:
    """The keys of the items whose scores come from enough teams, or from the caller's own."""
    own = sa.select(col(Team.id)).where(access.team_scope(principal))
    teams = func.count(func.distinct(Review.team_id))
    own_teams = func.count(
        func.distinct(sa.case((col(Review.team_id).in_(own), col(Review.team_id))))
    )
    shown: set[str] = set()
    for key, counted, counted_own in session.connection().execute(
        sa.select(col(Rating.item_key), teams, own_teams)
        .join(Review, col(Review.id) == col(Rating.review_id))
        .where(
            *in_year,
            col(Review.scale_version_id).in_(version_ids),
            col(Rating.rater_kind) == CONSENSUS,
            col(Rating.score).is_not(None),
        )
        .group_by(col(Rating.item_key))
    ):
        if counted >= NATIONAL_MINIMUM_TEAMS or counted == counted_own:
            shown.add(key)
    return shown
