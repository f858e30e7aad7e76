"""What the administration's screens share: the one router under /admin, and the note a
page shows after a change.

Every screen module adds its routes to ``router``, so it holds them all as plain routes
(the authorisation matrix walks each router's routes; an included router would be an
opaque wrapper there). A form post redirects to the changed thing's page with
``?done=…`` naming what was done (post, redirect, get), and the page says so; only the
names here are shown.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

router = APIRouter(prefix="/admin")

DONE = frozenset(
    {
        "user_created",
        "user_updated",
        "password_set",
        "sessions_ended",
        "token_revoked",
        "team_created",
        "team_updated",
    }
)
DoneParam = Annotated[str | None, Query(max_length=40)]


def done_key(done: str | None) -> str | None:
    """The ``?done=`` of a redirect if it is one the pages know, else None."""
    return done if done in DONE else None
