"""Reading the audit trail: every filter pages through exactly the events it matches,
newest first on the page and oldest first in the CSV, whichever way it is walked (one
walk per action of a group, or per actor the filter finds)."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session

from app.models import AuditEvent, Role, User
from app.services import audit
from tests.factories import make_user

ACTIONS = ("auth.signed_in", "auth.signed_out", "review.viewed", "review.finalised", "team.viewed")


@pytest.fixture
def trail(session: Session) -> tuple[list[AuditEvent], dict[str, User]]:
    """Three hundred events by three people (and the system), in mixed order of action
    and actor, over one month."""
    people = {
        "anna": make_user(session, username="anna.hansen", display_name="Anna Hansen"),
        "annette": make_user(session, username="annette.berg", display_name="Annette Berg"),
        "bo": make_user(session, username="bo.ravn", role=Role.ANALYST, display_name="Bo Ravn"),
    }
    pick = random.Random(7)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    events = []
    for number in range(300):
        actor = pick.choice([*people.values(), None])
        events.append(
            AuditEvent(
                action=pick.choice(ACTIONS),
                channel="web",
                actor_id=actor.id if actor else None,
                occurred_at=start + timedelta(hours=2 * number),
            )
        )
    session.add_all(events)
    session.flush()
    return events, people


def every_page(session: Session, found: audit.EventFilter, size: int) -> list[int]:
    """The ids on every page, following each page's last id as the next one's start."""
    ids: list[int] = []
    before = None
    while True:
        page = audit.list_events(session, found=found, limit=size, before_id=before)
        ids += [event.id or 0 for event, _ in page]
        if len(page) < size:
            return ids
        before = page[-1][0].id


@pytest.mark.parametrize(
    ("filters", "keep"),
    [
        ({}, lambda e, who: True),
        ({"action": "auth"}, lambda e, who: e.action.startswith("auth.")),
        ({"action": "review.viewed"}, lambda e, who: e.action == "review.viewed"),
        ({"actor": "ann"}, lambda e, who: who in ("anna", "annette")),
        ({"actor": "BO"}, lambda e, who: who == "bo"),
        ({"actor": "a"}, lambda e, who: who is not None),
        (
            {"action": "auth", "actor": "ann"},
            lambda e, who: e.action.startswith("auth.") and who in ("anna", "annette"),
        ),
        (
            {"action": "team.viewed", "actor": "ann"},
            lambda e, who: e.action == "team.viewed" and who in ("anna", "annette"),
        ),
        (
            {"action": "review", "since": date(2026, 3, 10), "until": date(2026, 3, 20)},
            lambda e, who: (
                e.action.startswith("review.")
                and date(2026, 3, 10) <= e.occurred_at.date() <= date(2026, 3, 20)
            ),
        ),
        ({"actor": "nobody of that name"}, lambda e, who: False),
    ],
)
def test_every_filter_pages_through_exactly_its_events_newest_first(
    session: Session,
    trail: tuple[list[AuditEvent], dict[str, User]],
    filters: dict[str, object],
    keep: Callable[[AuditEvent, str | None], bool],
) -> None:
    events, people = trail
    names = {user.id: name for name, user in people.items()}
    expected = sorted(
        (event.id for event in events if keep(event, names.get(event.actor_id or 0))),
        reverse=True,
    )
    found = audit.event_filter(**filters)
    assert every_page(session, found, size=7) == expected
    assert every_page(session, found, size=500) == expected
    rows = list(audit.csv_rows(session, found=found, batch=9))
    assert rows[0] == list(audit.CSV_COLUMNS)
    assert [int(row[0]) for row in rows[1:]] == sorted(expected)


def test_an_actor_filter_that_finds_very_many_people_is_read_as_one_walk(
    session: Session,
    trail: tuple[list[AuditEvent], dict[str, User]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events, people = trail
    monkeypatch.setattr(audit, "MAX_WALKS", 1)
    found = audit.event_filter(actor="ann")
    assert len(audit._walks(session, found)) == 1
    annas = {people["anna"].id, people["annette"].id}
    expected = sorted((e.id for e in events if e.actor_id in annas), reverse=True)
    assert every_page(session, found, size=11) == expected
    monkeypatch.setattr(audit, "MAX_WALKS", 2)
    assert len(audit._walks(session, found)) == 2, "one walk a person while they are few"
