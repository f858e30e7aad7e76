"""What a demo load made, counted as each part of the demo is made."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class DemoSummary:
    """What a demo load created; all zeros when the data was already there."""

    users: int = 0
    teams: int = 0
    scales: int = 0
    reviews: int = 0
    ratings: int = 0
    rounds: int = 0
    outcome_quarters: int = 0
    corps_work: int = 0  # agreements and activities

    @property
    def created_anything(self) -> bool:
        return any(
            (
                self.users,
                self.teams,
                self.scales,
                self.reviews,
                self.rounds,
                self.outcome_quarters,
                self.corps_work,
            )  # fmt: skip
        )
