"""Outcomes as answered: a team's quarters, each from whichever source counts."""

from __future__ import annotations

from pydantic import BaseModel, Field


class OutcomeQuarterOut(BaseModel):
    quarter: str = Field(description="The quarter as Danish statistics write it: 2026K3")
    year: int
    number: int = Field(description="The quarter's number in its year, 1-4")
    source: str = Field(
        description="star (every municipality of the team in STAR's figures), team (the "
        "team's own figures) or star_partial (STAR's figures for some of its municipalities)"
    )
    municipalities_in: int = Field(description="The team's municipalities in STAR's figures")
    participants: int = Field(description="People in the effort")
    shares: dict[str, float] = Field(
        description="Percent of the people in the effort, per outcome: paid_hours, "
        "employment, education, work_or_education (those given)"
    )
    counts: dict[str, int] = Field(description="The counts behind the shares, where given")


class TeamOutcomesOut(BaseModel):
    team_id: int
    program_type: str
    municipalities: int = Field(description="How many municipalities the team serves")
    goal: float = Field(description="The grant's continuous goal for work_or_education, %")
    end_goal: float = Field(description="The goal by the end of the project, %")
    quarters: list[OutcomeQuarterOut] = Field(description="Oldest first")
