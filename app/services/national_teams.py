"""The national overview's table of teams: every active team in the caller's scope and
the filters, with its latest finalised review up to the end of a year, the change since
the one before, and when the next is due; sorted as the reader asks, in Danish order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Row
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from app.models import FINALISED, Municipality, Region, Review, Team, TeamMunicipality
from app.scales.schema import LevelBand, ScaleDefinition, Text
from app.services import access, profiles
from app.services import scales as scale_service
from app.services.access import Principal
from app.services.national_filters import Filters, team_conditions

TEAMS_PER_PAGE = 100
TEAM_SORTS = ("name", "region", "visit", "total", "level", "change", "due")
LEVEL_RANK = {"exemplary": 0, "good": 1, "fair": 2, "not-ips": 3}


@dataclass(frozen=True)
class TeamRow:
    """A team in the table of teams, with its latest result up to the chosen year."""

    team_id: int
    name: str
    program_type: str
    regions: str
    visit_date: date | None
    scale: str | None
    total: float | None
    level_key: str | None
    level_title: Text | None
    change: float | None  # since the review before, when both are on the same scale version
    due: date | None


# What a (scale version, level) pair means for a row: the scale's name, the level's band
# and the months until the next review.
Outcome = tuple[str, LevelBand | None, int]


def team_rows(
    session: Session,
    *,
    principal: Principal,
    filters: Filters,
    definitions: dict[int, ScaleDefinition],
    year: int,
    months_below_good: int,
    months: int,
) -> list[TeamRow]:
    """Every team in scope and filters, with its latest result up to the end of ``year``."""
    regions = _team_regions(session, filters)
    outcomes: dict[tuple[int, str | None], Outcome] = {}
    rows = []
    for found in _latest_two(session, principal, filters, definitions, year):
        raw_id, name, program_type, visit, version_id, total, level_key, *before = found
        team_id = int(raw_id or 0)
        place = regions.get(team_id, "")
        if visit is None:
            rows.append(TeamRow(team_id, name, program_type, place, *(None,) * 7))
            continue
        key = (version_id, level_key)
        if key not in outcomes:  # a handful of (version, level) pairs for thousands of teams
            outcomes[key] = _outcome(
                session,
                definitions,
                version_id,
                level_key,
                months_below_good=months_below_good,
                months=months,
            )
        scale, band, after = outcomes[key]
        rows.append(
            TeamRow(
                team_id=team_id,
                name=name,
                program_type=program_type,
                regions=place,
                visit_date=visit,
                scale=scale,
                total=total,
                level_key=level_key,
                level_title=band.title if band else None,
                change=_change(total, version_id, *before),
                due=profiles.add_months(visit, months=after),
            )
        )
    return rows


def _latest_two(
    session: Session,
    principal: Principal,
    filters: Filters,
    definitions: dict[int, ScaleDefinition],
    year: int,
) -> Sequence[Row[*tuple[Any, ...]]]:
    """One row per team: the team, its latest review's facts and the one before's."""
    # For each team the index on (team_id, visit_date, id) of finalised reviews is read
    # backwards from the year's end, one and two entries deep. A window function over
    # every review did the same in three times the time on SQLite.
    latest, previous = aliased(Review, name="latest"), aliased(Review, name="previous")
    version_ids = list(definitions) if filters.scale is not None else None
    return (
        session.connection()
        .execute(
            sa.select(
                col(Team.id),
                col(Team.name),
                col(Team.program_type),
                col(latest.visit_date),
                col(latest.scale_version_id),
                col(latest.total_score),
                col(latest.level_key),
                col(previous.scale_version_id),
                col(previous.total_score),
            )
            .select_from(Team)
            .outerjoin(latest, col(latest.id) == _nth_review(0, year, version_ids))
            .outerjoin(previous, col(previous.id) == _nth_review(1, year, version_ids))
            .where(
                col(Team.is_active).is_(True),
                access.team_scope(principal),
                *team_conditions(filters=filters, team_id=Team.id),
            )
            .order_by(col(Team.name))
        )
        .all()
    )


def _nth_review(offset: int, year: int, version_ids: list[int] | None) -> Any:
    """The id of a team's finalised review ``offset`` back from the end of ``year``."""
    candidate = aliased(Review, name=f"candidate_{offset}")
    return (
        sa.select(col(candidate.id))
        .where(
            col(candidate.team_id) == col(Team.id),
            col(candidate.status) == FINALISED,
            col(candidate.visit_date) < date(year + 1, 1, 1),
            *(
                [col(candidate.scale_version_id).in_(version_ids)]
                if version_ids is not None
                else []
            ),
        )
        .order_by(col(candidate.visit_date).desc(), col(candidate.id).desc())
        .limit(1)
        .offset(offset)
        .correlate(Team)
        .scalar_subquery()
    )


def _outcome(
    session: Session,
    definitions: dict[int, ScaleDefinition],
    version_id: int,
    level_key: str | None,
    *,
    months_below_good: int,
    months: int,
) -> Outcome:
    """A review's scale name, level band and months until the next review is due."""
    definition = definitions.get(version_id) or scale_service.definition_for(
        session, scale_version_id=version_id
    )
    band = next((band for band in definition.levels.bands if band.key == level_key), None)
    after = months_below_good if profiles.below_good(definition, level=band) else months
    return f"{definition.key} {definition.version}", band, after


def _change(
    total: float | None, version_id: int, before_version: int | None, before_total: float | None
) -> float | None:
    """The total's change since the review before, when both are on the same version."""
    if before_version == version_id and total is not None and before_total is not None:
        return round(total - before_total, 2)
    return None


def _team_regions(session: Session, filters: Filters) -> dict[int, str]:
    """The regions of every team the filters allow, as text."""
    found: dict[int, list[str]] = defaultdict(list)
    for team_id, name in session.connection().execute(
        sa.select(col(TeamMunicipality.team_id), col(Region.name))
        .join(Municipality, col(Municipality.code) == col(TeamMunicipality.municipality_code))
        .join(Region, col(Region.code) == col(Municipality.region_code))
        .where(*team_conditions(filters=filters, team_id=TeamMunicipality.team_id))
        .distinct()
        .order_by(col(TeamMunicipality.team_id), col(Region.name))
    ):
        found[team_id].append(name)
    return {team_id: ", ".join(names) for team_id, names in found.items()}


def sort_teams(*, rows: list[TeamRow], sort: str, descending: bool) -> list[TeamRow]:
    """The table of teams in the order asked for; teams without a value go last."""

    def key(row: TeamRow) -> Any:
        value: Any
        match sort:
            case "region":
                value = row.regions
            case "visit":
                value = row.visit_date
            case "total":
                value = row.total
            case "level":
                value = None if row.level_key is None else -LEVEL_RANK.get(row.level_key, 9)
            case "change":
                value = row.change
            case "due":
                value = row.due
            case _:
                value = danish(row.name)
        return value

    present = [row for row in rows if key(row) is not None]
    missing = [row for row in rows if key(row) is None]
    present.sort(key=lambda row: (key(row), danish(row.name)), reverse=descending)
    return present + sorted(missing, key=lambda row: danish(row.name))


_DANISH_LAST = str.maketrans({"æ": "z{", "ø": "z|", "å": "z}"})


def danish(text: str) -> str:
    """A sort key in Danish alphabetical order: Æ, Ø and Å after Z, in that order."""
    return text.casefold().translate(_DANISH_LAST)
