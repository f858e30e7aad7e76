"""What authentication reads on every request: a live session or API token and who
holds it (a ``Credential``), and the digest under which both kinds of secret are kept.

Session cookies and API tokens are random 256-bit values stored as their sha256 (a fast
hash is right for values that cannot be guessed). Authentication runs on every request,
so ``sessions.find_session`` and ``tokens.find_token`` each read the credential, its
user and their scope in one prepared statement, built from the columns here
(SQLAlchemy caches the compiled form).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from app.models import Channel, Role, User, UserRegion, UserTeam
from app.services.access import Principal


def digest(secret: str) -> str:
    """The sha256 under which a session's or token's secret is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Credential:
    """A live session or API token, and who holds it, as authentication reads them.

    ``last_used`` is the session's ``last_seen_at`` or the token's ``last_used_at``;
    ``csrf_token`` belongs to a session only. ``regions`` and ``teams`` are the user's
    scope (an ambassador's regions, a team leader's teams).
    """

    id: int
    user_id: int
    username: str
    display_name: str
    role: Role
    last_used: datetime | None
    csrf_token: str | None = None
    regions: frozenset[int] = frozenset()
    teams: frozenset[int] = frozenset()

    @classmethod
    def of_row(
        cls, row: sa.Row[Any], *, last_used: datetime | None, csrf_token: str | None = None
    ) -> Credential:
        """The credential in a row read with ``HOLDER`` (its own id first)."""
        return cls(
            row[0],
            row.user_id,
            row.username,
            row.display_name,
            Role(row.role),
            last_used,
            csrf_token,
            _ids(row.regions),
            _ids(row.teams),
        )

    def principal(self, *, channel: Channel, **extra: Any) -> Principal:
        """The caller this credential makes, on ``channel``."""
        return Principal(
            self.user_id,
            self.username,
            self.display_name,
            self.role,
            regions=self.regions,
            teams=self.teams,
            channel=channel,
            **extra,
        )


def _listed(column: Any) -> Any:
    """The user's values of a scope table's column, as one comma-separated string."""
    table = column.table
    return (
        sa.select(sa.func.aggregate_strings(sa.cast(column, sa.String), ","))
        .where(table.c.user_id == col(User.id))
        .scalar_subquery()
    )


def _ids(listed: str | None) -> frozenset[int]:
    return frozenset(int(value) for value in listed.split(",")) if listed else frozenset()


# The holder's columns, read beside a session's or a token's own: who they are, whether
# the account is active, and their scope.
HOLDER: tuple[Any, ...] = (
    col(User.id).label("user_id"),
    col(User.username),
    col(User.display_name),
    col(User.role),
    col(User.is_active),
    _listed(col(UserRegion.region_code)).label("regions"),
    _listed(col(UserTeam.team_id)).label("teams"),
)
