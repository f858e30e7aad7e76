"""What the national figures and the exports are narrowed to: the filters a form or a
script writes (an unknown value is refused, naming the values that are allowed), the
scale versions they allow, and the WHERE clauses that say so to the database.

Only finalised reviews ever pass, so no filter can show work in progress.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from app.errors import Invalid
from app.models import (
    FINALISED,
    Municipality,
    ProgramType,
    RaterKind,
    Region,
    Review,
    ScaleKind,
    ScaleStatus,
    ScaleVersion,
    Team,
    TeamMunicipality,
)

YEARS = range(1990, 2101)

# Written into the SQL as they are, not as parameters: a database can use an index made
# for "status = 'finalised'" only when the query says so in so many words.
CONSENSUS = sa.literal(RaterKind.CONSENSUS.value, literal_execute=True)


@dataclass(frozen=True)
class Filters:
    """What the national figures and exports are narrowed to; None is "all"."""

    year: int | None = None
    region: int | None = None
    program_type: str | None = None
    scale: str | None = None  # "ips-25/2019" (one version) or "ips-25" (all its versions)

    def as_query(self) -> dict[str, str]:
        """The filters that are set, as query parameters."""
        return {
            name: str(value)
            for name in ("year", "region", "program_type", "scale")
            if (value := getattr(self, name)) is not None
        }


def parse_filters(
    session: Session,
    *,
    year: str | None = None,
    region: str | None = None,
    program_type: str | None = None,
    scale: str | None = None,
) -> Filters:
    """Filters as a form or a script writes them; an unknown value is refused (``Invalid``)."""
    # Checked in this order, so the first wrong field is the one the refusal names.
    return Filters(
        _year(year) if year else None,
        _region(session, region) if region else None,
        _program_type(program_type) if program_type else None,
        _scale(session, scale) if scale else None,
    )


def _year(year: str) -> int:
    text = year.strip()
    if not (text.isascii() and text.isdigit() and int(text) in YEARS):
        raise Invalid.of("err_filter_year", value=year[:20])
    return int(text)


def _region(session: Session, region: str) -> int:
    regions = {str(r.code): r for r in region_choices(session)}
    if region.strip() not in regions:
        allowed = ", ".join(f"{code} ({r.name})" for code, r in regions.items())
        raise Invalid.of("err_filter_region", value=region[:20], allowed=allowed)
    return int(region.strip())


def _program_type(program_type: str) -> str:
    programs = [p.value for p in ProgramType]
    if program_type.strip() not in programs:
        raise Invalid.of("err_filter_program", value=program_type[:40], allowed=", ".join(programs))
    return program_type.strip()


def _scale(session: Session, scale: str) -> str:
    allowed_scales = scale_values(session)
    if scale.strip() not in allowed_scales:
        raise Invalid.of("err_filter_scale", value=scale[:80], allowed=", ".join(allowed_scales))
    return scale.strip()


def region_choices(session: Session) -> list[Region]:
    """Every region, by code: what the region filter accepts."""
    return list(session.exec(select(Region).order_by(col(Region.code))))


def scale_versions(session: Session) -> list[ScaleVersion]:
    """The scale versions reviews can have been made on (never drafts), newest first per scale."""
    query = (
        select(ScaleVersion)
        .where(ScaleVersion.status != ScaleStatus.DRAFT, ScaleVersion.kind == ScaleKind.FIDELITY)
        .order_by(col(ScaleVersion.scale_key), col(ScaleVersion.version).desc())
    )
    return list(session.exec(query))


def scale_values(session: Session) -> list[str]:
    """What the scale filter accepts: each scale's key, and each of its versions."""
    values: list[str] = []
    for row in scale_versions(session):
        if row.scale_key not in values:
            values.append(row.scale_key)
        values.append(f"{row.scale_key}/{row.version}")
    return values


def chosen_versions(session: Session, *, filters: Filters) -> list[ScaleVersion]:
    """The scale versions the filters allow, newest first within each scale."""
    rows = scale_versions(session)
    if filters.scale is None:
        return rows
    key, _, version = filters.scale.partition("/")
    return [r for r in rows if r.scale_key == key and (not version or r.version == version)]


def review_conditions(
    *, filters: Filters, version_ids: list[int] | None = None, with_year: bool = True
) -> list[ColumnElement[bool]]:
    """WHERE clauses on ``Review``: finalised, within the filters and ``version_ids``."""
    conditions: list[ColumnElement[bool]] = [col(Review.status) == FINALISED]
    if with_year and filters.year is not None:
        conditions += [
            col(Review.visit_date) >= date(filters.year, 1, 1),
            col(Review.visit_date) < date(filters.year + 1, 1, 1),
        ]
    conditions += team_conditions(filters=filters, team_id=Review.team_id)
    # ``version_ids``: the scale versions the scale filter allows (``chosen_versions``).
    if filters.scale is not None and version_ids is not None:
        conditions.append(col(Review.scale_version_id).in_(version_ids))
    return conditions


def team_conditions(*, filters: Filters, team_id: Any) -> list[ColumnElement[bool]]:
    """WHERE clauses on a team id column: the region and program type filters."""
    conditions: list[ColumnElement[bool]] = []
    if filters.region is not None:
        in_region = (
            select(TeamMunicipality.team_id)
            .join(Municipality, col(Municipality.code) == col(TeamMunicipality.municipality_code))
            .where(Municipality.region_code == filters.region)
        )
        conditions.append(col(team_id).in_(in_region))
    if filters.program_type is not None:
        of_program = select(Team.id).where(Team.program_type == filters.program_type)
        conditions.append(col(team_id).in_(of_program))
    return conditions
