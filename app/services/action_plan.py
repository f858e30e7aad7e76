"""The team's action plan: what it will do after a finalised review, who does it and by
when, made from the review's recommendations; and the actions the next review's reviewers
see beside each item.

Only the team's own leaders write here, on a finalised review
(``feedback.writable_review``); whoever may read the review reads its actions. An action
plan has no window: the team follows its actions for as long as it takes. Every write is
in the audit trail with what it replaced.

A due date is checked against today where the product is used: a new action, or a new due
date for an existing one, may not lie in the past. An action whose date has passed stays
as it is until the team moves it or marks it done.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy import ColumnElement
from sqlmodel import Session, col, func, select

from app.errors import Conflict, Forbidden, Invalid, NotFound, NotVisible
from app.models import ActionItem, ActionStatus, Review, ReviewStatus, Team, utcnow
from app.scales.rules import clean_text
from app.scales.schema import Item, ScaleDefinition
from app.services import access, audit
from app.services import scales as scale_service
from app.services.access import Principal
from app.services.feedback import item_of, writable_review

WHAT_MAX = 1000
WHO_MAX = 200


@dataclass(frozen=True)
class PlannedAction:
    """An action with what it concerns, as lists and pages show it."""

    action: ActionItem
    item: Item | None  # None only if the item left the scale file, which keys never do
    review_visit_date: date

    def overdue(self, today: date) -> bool:
        return self.action.status != ActionStatus.DONE and self.action.due_date < today


@dataclass(frozen=True)
class ActionInput:
    """An action as a form or a script sends it: text, and the due date as written."""

    what: str | None
    who: str | None
    due_date: str | None
    status: str | None = None


# Writing the plan -------------------------------------------------------------------------


def _checked(change: ActionInput, *, today: date, current: ActionItem | None) -> dict[str, object]:
    what = clean_text(change.what, limit=WHAT_MAX, key="err_action_what_long")
    if what is None:
        raise Invalid.of("err_action_what")
    who = clean_text(change.who, limit=WHO_MAX, key="err_action_who_long")
    if who is None:
        raise Invalid.of("err_action_who")
    raw_due = (change.due_date or "").strip()
    if not raw_due:
        raise Invalid.of("err_action_due")
    try:
        due = date.fromisoformat(raw_due)
    except ValueError:
        raise Invalid.of("err_action_due_bad") from None
    if due < today and (current is None or due != current.due_date):
        raise Invalid.of("err_action_due_past", date=due.isoformat(), today=today.isoformat())
    status = change.status or (current.status if current else ActionStatus.OPEN)
    if status not in ActionStatus.__members__.values():
        raise Invalid.of("err_action_status", value=status)
    return {"what": what, "who": who, "due_date": due, "status": str(status)}


def _snapshot(action: ActionItem) -> dict[str, object]:
    return {
        "item": action.item_key,
        "what": action.what,
        "who": action.who,
        "due_date": action.due_date.isoformat(),
        "status": action.status,
    }


def create_action(
    session: Session,
    *,
    principal: Principal,
    review_id: int,
    item_key: str,
    change: ActionInput,
    today: date,
) -> ActionItem:
    """A new action on one item of a finalised review of the caller's team."""
    review, definition = writable_review(session, principal=principal, review_id=review_id)
    item_of(definition, item_key=item_key)
    values = _checked(change, today=today, current=None)
    action = ActionItem(
        team_id=review.team_id,
        review_id=review_id,
        item_key=item_key,
        created_by_id=principal.user_id,
        updated_by_id=principal.user_id,
        **values,  # type: ignore[arg-type]
    )
    if action.status == ActionStatus.DONE:
        action.completed_at = utcnow()
    session.add(action)
    session.flush()
    audit.record(
        session,
        action="action.created",
        by=principal,
        entity_type="action",
        entity_id=action.id,
        after=_snapshot(action) | {"review": review_id},
    )
    return action


def visible_action(session: Session, *, principal: Principal, action_id: int) -> ActionItem:
    """The action, if the caller may see its review; otherwise 404 either way.

    A team's leader sees only finalised reviews: an action on a reopened review is out of
    sight until it is finalised again."""
    query = (
        select(ActionItem)
        .join(Review, col(Review.id) == col(ActionItem.review_id))
        .where(ActionItem.id == action_id, access.review_scope(principal))
    )
    action = session.exec(query).first()
    if action is not None:
        return action
    if session.get(ActionItem, action_id) is not None:
        raise NotVisible.of("err_no_action", id=action_id)
    raise NotFound.of("err_no_action", id=action_id)


def _writable_action(session: Session, principal: Principal, action_id: int) -> ActionItem:
    action = visible_action(session, principal=principal, action_id=action_id)
    team = session.get(Team, action.team_id)
    review = session.get(Review, action.review_id)
    assert team is not None and review is not None
    if not access.can_write_team_feedback(principal, team=team):
        raise Forbidden.of("err_not_team_leader")
    if review.status != ReviewStatus.FINALISED:
        raise Conflict.of("err_report_not_final")
    return action


def update_action(
    session: Session,
    *,
    principal: Principal,
    action_id: int,
    change: ActionInput,
    today: date,
) -> ActionItem:
    """Change an action's text, owner, due date or status."""
    action = _writable_action(session, principal, action_id)
    values = _checked(change, today=today, current=action)
    return _apply(session, principal, action, values)


def set_status(
    session: Session, *, principal: Principal, action_id: int, status: str | None
) -> ActionItem:
    """Move an action along (open, in progress, done) and nothing else."""
    action = _writable_action(session, principal, action_id)
    if status not in ActionStatus.__members__.values():
        raise Invalid.of("err_action_status", value=status or "")
    return _apply(session, principal, action, {"status": str(status)})


def _apply(
    session: Session, principal: Principal, action: ActionItem, values: dict[str, object]
) -> ActionItem:
    before = _snapshot(action)
    for name, value in values.items():
        setattr(action, name, value)
    if _snapshot(action) == before:
        return action
    if action.status == ActionStatus.DONE and before["status"] != ActionStatus.DONE:
        action.completed_at = utcnow()
    elif action.status != ActionStatus.DONE:
        action.completed_at = None
    action.updated_at, action.updated_by_id = utcnow(), principal.user_id
    session.add(action)
    audit.record(
        session,
        action="action.updated",
        by=principal,
        entity_type="action",
        entity_id=action.id,
        before=before,
        after=_snapshot(action),
    )
    session.flush()
    return action


def delete_action(session: Session, *, principal: Principal, action_id: int) -> int:
    """Remove an action made by mistake, answering its review; the audit trail keeps it."""
    action = _writable_action(session, principal, action_id)
    review_id = action.review_id
    audit.record(
        session,
        action="action.deleted",
        by=principal,
        entity_type="action",
        entity_id=action.id,
        before=_snapshot(action) | {"review": review_id},
    )
    session.delete(action)
    session.flush()
    return review_id


# Reading the plan -------------------------------------------------------------------------


def team_actions(session: Session, *, principal: Principal, team_id: int) -> list[PlannedAction]:
    """Every action of a team the caller may see, soonest due first (done ones last)."""
    access.visible_team(session, principal=principal, team_id=team_id)
    return _planned(session, col(ActionItem.team_id) == team_id, access.review_scope(principal))


def open_actions(
    session: Session, *, principal: Principal, team_ids: list[int], today: date
) -> dict[int, tuple[int, int]]:
    """Per team, how many actions the caller may see are not done, and how many are overdue.

    Teams with none are left out."""
    if not team_ids:
        return {}
    overdue = sa.case((col(ActionItem.due_date) < today, 1), else_=0)
    rows = session.exec(
        select(col(ActionItem.team_id), func.count(), func.sum(overdue))
        .join(Review, col(Review.id) == col(ActionItem.review_id))
        .where(
            col(ActionItem.team_id).in_(team_ids),
            col(ActionItem.status) != ActionStatus.DONE,
            access.review_scope(principal),
        )
        .group_by(col(ActionItem.team_id))
    )
    return {team_id: (count, int(late or 0)) for team_id, count, late in rows}


def review_actions(
    session: Session, *, principal: Principal, review_id: int
) -> list[PlannedAction]:
    """The actions made from one review, if the caller may see it."""
    return _planned(session, col(ActionItem.review_id) == review_id, access.review_scope(principal))


def earlier_actions(session: Session, *, review: Review) -> dict[str, list[PlannedAction]]:
    """The actions of the team's earlier reviews that ``review``'s reviewers see, by item.

    Every action from the latest earlier review, and any older one that is not done: what
    the team set out to do. The caller has already been allowed to see ``review``."""
    earlier = (
        select(Review.id)
        .where(
            Review.team_id == review.team_id,
            Review.id != review.id,
            Review.status == ReviewStatus.FINALISED,
            col(Review.visit_date) <= review.visit_date,
        )
        .order_by(col(Review.visit_date).desc(), col(Review.id).desc())
    )
    review_ids = list(session.exec(earlier))
    if not review_ids:
        return {}
    latest = review_ids[0]
    found: dict[str, list[PlannedAction]] = defaultdict(list)
    for planned in _planned(
        session,
        col(ActionItem.review_id).in_(review_ids),
        (col(ActionItem.review_id) == latest) | (col(ActionItem.status) != ActionStatus.DONE),
    ):
        found[planned.action.item_key].append(planned)
    return dict(found)


def _planned(session: Session, *conditions: ColumnElement[bool]) -> list[PlannedAction]:
    rows = session.exec(
        select(ActionItem, col(Review.scale_version_id), col(Review.visit_date))
        .join(Review, col(Review.id) == col(ActionItem.review_id))
        .where(*conditions)
        .order_by(
            col(ActionItem.status) == ActionStatus.DONE,
            col(ActionItem.due_date),
            col(ActionItem.id),
        )
    ).all()
    definitions: dict[int, ScaleDefinition] = {}
    planned = []
    for action, version_id, visit_date in rows:
        if version_id not in definitions:
            definitions[version_id] = scale_service.definition_for(
                session, scale_version_id=version_id
            )
        try:
            item: Item | None = definitions[version_id].item(action.item_key)
        except KeyError:
            item = None
        planned.append(PlannedAction(action, item, visit_date))
    return planned
