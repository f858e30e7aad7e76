"""A measurement round as the caller may see it: each implementation point with the team's
rating and (when the caller may see them) the ambassadors', the team's figures beside
what they declare, the results so far, and what the caller may do with it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from app.models import (
    ImplementationRater,
    ImplementationRating,
    MeasurementRound,
    Role,
    RoundStatus,
    ScaleVersion,
    TeamFigure,
    User,
)
from app.scales.figures import score_from_team
from app.scales.implementation import Element, ImplementationItem, TeamInput
from app.scales.maturity import ImplementationResult, implementation_result, stored_result
from app.scales.schema import ScaleDefinition
from app.services import access, rounds
from app.services import scales as scale_service
from app.services.access import Principal
from app.services.rounds import RoundContext, SelfReportState


@dataclass(frozen=True)
class PointView:
    item: ImplementationItem
    element: Element
    team: ImplementationRating | None
    ambassadors: ImplementationRating | None  # None also when the caller may not see it

    @property
    def team_level(self) -> int | None:
        return self.team.level if self.team else None

    @property
    def ambassador_level(self) -> int | None:
        return self.ambassadors.level if self.ambassadors else None

    @property
    def differs(self) -> bool:
        """The ambassadors set a step other than the team's."""
        return self.ambassador_level is not None and self.ambassador_level != self.team_level


@dataclass(frozen=True)
class FigureView:
    entry: TeamInput
    figure: TeamFigure | None

    @property
    def given(self) -> bool:
        if self.figure is None:
            return False
        return self.figure.value is not None or bool(self.figure.consultants)


@dataclass(frozen=True)
class RoundView:
    context: RoundContext
    state: SelfReportState
    points: list[PointView]
    figures: list[FigureView]
    team_result: ImplementationResult
    result: ImplementationResult | None  # the ambassadors' (confirmed, or so far)
    shows_ambassadors: bool
    can_fill_in: bool
    can_submit: bool
    can_assess: bool
    can_plan: bool
    may_assess: bool  # one of those who assess this team (also once it is confirmed)
    review_visible: bool
    names: dict[int, str]

    @property
    def elements(self) -> list[tuple[Element, list[PointView]]]:
        """The points under their elements, in the instrument's order."""
        grouped: list[tuple[Element, list[PointView]]] = []
        for point in self.points:
            if not grouped or grouped[-1][0].key != point.element.key:
                grouped.append((point.element, []))
            grouped[-1][1].append(point)
        return grouped

    @property
    def figures_given(self) -> int:
        return sum(figure.given for figure in self.figures)

    @property
    def differences(self) -> list[PointView]:
        return [point for point in self.points if point.differs]

    def name(self, user_id: int | None) -> str | None:
        return self.names.get(user_id) if user_id is not None else None


def round_view(session: Session, *, principal: Principal, round_id: int, today: date) -> RoundView:
    """The round ``round_id`` as ``principal`` may see it (NotVisible outside their scope)."""
    context = rounds.visible_round(session, principal=principal, round_id=round_id)
    measurement = context.round
    program_type = context.team.program_type
    shows = rounds.sees_ambassador_ratings(principal, measurement=measurement)
    ratings = list(
        session.exec(
            select(ImplementationRating).where(ImplementationRating.round_id == context.id)
        )
    )
    team = {r.item_key: r for r in ratings if r.rater == ImplementationRater.TEAM}
    ours = {r.item_key: r for r in ratings if r.rater == ImplementationRater.AMBASSADORS}
    points = [
        PointView(
            item=item,
            element=context.instrument.element_of(item.key),
            team=team.get(item.key),
            ambassadors=ours.get(item.key) if shows else None,
        )
        for item in context.instrument.items_for(program_type)
    ]
    stored = {
        figure.input_key: figure
        for figure in session.exec(select(TeamFigure).where(TeamFigure.round_id == context.id))
    }
    state = rounds.self_report_state(measurement, today=today)
    applicable = {item.key for item in context.instrument.items_for(program_type)}
    # a point rated before the team's programme changed no longer counts
    team_levels = {key: row.level for key, row in team.items() if key in applicable}
    result = None
    if shows and measurement.assessed_at is not None and measurement.result:
        result = stored_result(context.instrument, measurement.result)
    elif shows and ours:
        confirmed = {
            key: (ours[key].level if key in ours and ours[key].level else team_levels.get(key))
            for key in (item.key for item in context.instrument.items_for(program_type))
        }
        result = implementation_result(
            context.instrument, program_type=program_type, levels=confirmed
        )
    is_member = rounds.is_team_member(principal, team_id=context.team.id or 0)
    may_assess = rounds.can_assess(session, principal=principal, context=context)
    return RoundView(
        context=context,
        state=state,
        points=points,
        figures=[
            FigureView(entry, stored.get(entry.key)) for entry in context.instrument.team_inputs
        ],
        team_result=implementation_result(
            context.instrument, program_type=program_type, levels=team_levels
        ),
        result=result,
        shows_ambassadors=shows,
        can_fill_in=is_member and state == "open",
        can_submit=principal.role == Role.TEAM_LEADER and is_member and state == "open",
        can_assess=state != "open" and measurement.assessed_at is None and may_assess,
        may_assess=may_assess,
        can_plan=rounds.can_plan(session, principal=principal, team=context.team),
        review_visible=measurement.review_id is not None
        and access.sees_review(session, principal=principal, review_id=measurement.review_id),
        names=_names(session, [measurement.submitted_by_id, measurement.assessed_by_id]),
    )


def _names(session: Session, ids: list[int | None]) -> dict[int, str]:
    wanted = [user_id for user_id in ids if user_id is not None]
    if not wanted:
        return {}
    rows = session.exec(select(User.id, User.display_name).where(col(User.id).in_(wanted)))
    return {user_id: name for user_id, name in rows if user_id is not None}


# The team's figures beside a review's banded items ----------------------------------------


@dataclass(frozen=True)
class TeamFigureForItem:
    """What the team reported for one banded item, and the score it would give."""

    entry: TeamInput
    value: float | None
    consultants: list[float] | None
    score: float | None
    submitted: bool

    def same_as(self, inputs: dict[str, Any] | None) -> bool | None:
        """Whether a rating's raw figure is the team's (None: the rating has none yet)."""
        if not inputs:
            return None
        if self.consultants is not None:
            entries = inputs.get("consultants") or []
            raw = [entry.get("figure") for entry in entries if isinstance(entry, dict)]
            figures = [float(f) for f in raw if f is not None]
            if not figures or len(figures) != len(raw):
                return None
            return figures == [float(v) for v in self.consultants]
        figure = inputs.get("figure")
        return None if figure is None else float(figure) == self.value


def team_figures_for_review(
    session: Session, *, review_id: int, definition: ScaleDefinition
) -> dict[str, TeamFigureForItem]:
    """The team's reported figure for each banded item of the review, where the review is
    part of a measurement round and the team reported one. A figure whose shape does not
    fit the item (one value for a per-consultant item, say) is left out, not forced."""
    found = session.exec(
        select(MeasurementRound.id, MeasurementRound.instrument_id, MeasurementRound.status).where(
            MeasurementRound.review_id == review_id
        )
    ).first()
    if found is None:
        return {}
    round_id, instrument_id, status = found
    row = session.get(ScaleVersion, instrument_id)
    assert row is not None
    instrument = scale_service.instrument_of(row)
    stored = {
        figure.input_key: figure
        for figure in session.exec(select(TeamFigure).where(TeamFigure.round_id == round_id))
    }
    shown: dict[str, TeamFigureForItem] = {}
    for item in definition.items:
        entry = instrument.input_for_item(item.key)
        if item.kind != "banded" or entry is None or entry.per_consultant != item.per_consultant:
            continue
        figure = stored.get(entry.key)
        if figure is None or (figure.value is None and not figure.consultants):
            continue
        shown[item.key] = TeamFigureForItem(
            entry=entry,
            value=figure.value,
            consultants=list(figure.consultants) if figure.consultants else None,
            score=score_from_team(item, value=figure.value, consultants=figure.consultants),
            submitted=status == RoundStatus.SUBMITTED,
        )
    return shown


def figure_comparison(
    figures: dict[str, TeamFigureForItem],
    consensus: dict[str, Any],
    reviewers: list[dict[str, Any]],
) -> dict[str, dict[str, Any]]:
    """For a finalised review: each team figure beside the reviewers' own figure and the
    consensus score, and whether the reviewers took the team's figure as it was.

    The reviewers' figure is the consensus's where it has one; an item every reviewer
    scored alike carries no figure of its own, so it is then the figure the reviewers
    wrote, when they all wrote the same one (otherwise none is claimed)."""
    compared: dict[str, dict[str, Any]] = {}
    for key, theirs in figures.items():
        rating = consensus.get(key)
        inputs = _figure_inputs(rating.inputs if rating is not None else None)
        if inputs is None:
            written = {
                repr(found): found
                for ratings in reviewers
                if (found := _figure_inputs(getattr(ratings.get(key), "inputs", None)))
            }
            inputs = next(iter(written.values())) if len(written) == 1 else None
        own = (inputs or {}).get("figure")
        if theirs.consultants is not None:
            own = [c.get("figure") for c in (inputs or {}).get("consultants", [])] or None
        compared[key] = {
            "input": theirs.entry.key,
            "team": theirs.consultants if theirs.consultants is not None else theirs.value,
            "team_score": theirs.score,
            "reviewers": own,
            "score": rating.score if rating is not None else None,
            "accepted": theirs.same_as(inputs),
        }
    return compared


def _figure_inputs(inputs: dict[str, Any] | None) -> dict[str, Any] | None:
    """A rating's raw inputs if they hold a figure (or one per consultant)."""
    if not inputs:
        return None
    if inputs.get("figure") is not None:
        return inputs
    entries = inputs.get("consultants") or []
    if entries and all(isinstance(e, dict) and e.get("figure") is not None for e in entries):
        return inputs
    return None
