"""Regions, municipalities and the teams that serve them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

from app.models.columns import timestamp
from app.models.kinds import ProgramType, one_of


class Region(SQLModel, table=True):
    code: int = Field(primary_key=True, description="Official region code, e.g. 1084")
    name: str = Field(max_length=100, unique=True)


class Municipality(SQLModel, table=True):
    code: int = Field(primary_key=True, description="Official municipality code, e.g. 101")
    name: str = Field(max_length=100, unique=True)
    region_code: int = Field(foreign_key="region.code", index=True)


class Team(SQLModel, table=True):
    __table_args__ = (CheckConstraint(one_of("program_type", ProgramType), name="program_type"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    program_type: str = Field(max_length=20)
    is_active: bool = True
    created_at: datetime = timestamp()


class TeamMunicipality(SQLModel, table=True):
    """A team serves one or more municipalities: some share a jobcentre."""

    __tablename__ = "team_municipality"
    team_id: int = Field(foreign_key="team.id", primary_key=True, ondelete="CASCADE")
    municipality_code: int = Field(foreign_key="municipality.code", primary_key=True, index=True)
