"""People and how they come in: accounts and their scope, sessions, API tokens, and the
sign-in attempts that slow down guessing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from app.models.columns import UTCDateTime, timestamp
from app.models.kinds import Role, one_of


class User(SQLModel, table=True):
    __tablename__ = "user_account"
    __table_args__ = (CheckConstraint(one_of("role", Role), name="role"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=200)
    role: str = Field(max_length=20)
    password_hash: str | None = Field(default=None, max_length=255)
    is_active: bool = True
    created_at: datetime = timestamp()
    last_login_at: datetime | None = timestamp(nullable=True)


class UserRegion(SQLModel, table=True):
    """An ambassador's scope: the regions whose teams they may review."""

    __tablename__ = "user_region"
    user_id: int = Field(foreign_key="user_account.id", primary_key=True, ondelete="CASCADE")
    region_code: int = Field(foreign_key="region.code", primary_key=True)


class UserTeam(SQLModel, table=True):
    """A team leader's scope: the teams whose finalised reviews they may read."""

    __tablename__ = "user_team"
    user_id: int = Field(foreign_key="user_account.id", primary_key=True, ondelete="CASCADE")
    team_id: int = Field(foreign_key="team.id", primary_key=True, index=True, ondelete="CASCADE")


class UserSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random token; only its sha256 is stored, so
    a copy of the database cannot be used to sign in. Ending a session is final."""

    __tablename__ = "user_session"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = timestamp()
    last_seen_at: datetime = timestamp()
    expires_at: datetime = Field(sa_type=UTCDateTime, description="The absolute lifetime's end")
    ended_at: datetime | None = timestamp(nullable=True)
    end_reason: str | None = Field(default=None, max_length=32)
    client_address: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=300)


class ApiToken(SQLModel, table=True):
    """A bearer token for scripts. Shown once when created; only its sha256 is stored."""

    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16, description="The token's first characters, to tell apart")
    created_at: datetime = timestamp()
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    last_used_at: datetime | None = timestamp(nullable=True)
    revoked_at: datetime | None = timestamp(nullable=True)
    revoked_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    form_id: str | None = Field(
        default=None,
        max_length=64,
        unique=True,
        description="The form that created it: sending that form again creates nothing",
    )


class SignInAttempt(SQLModel, table=True):
    """Sign-in attempts, kept in the database so that every worker slows the same guesser."""

    __tablename__ = "sign_in_attempt"
    __table_args__ = (
        Index("ix_sign_in_attempt_username_occurred_at", "username", "occurred_at"),
        Index("ix_sign_in_attempt_client_address_occurred_at", "client_address", "occurred_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = timestamp()
    username: str = Field(max_length=64, description="As typed, lower-cased; may not exist")
    client_address: str = Field(max_length=64)
    succeeded: bool


class Invitation(SQLModel, table=True):
    """A one-time link a team leader hands a consultant of the team: whoever opens it
    within its lifetime sets the new account's password, once. Only the sha256 of the
    link's token is stored, as for sessions and API tokens."""

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    team_id: int = Field(foreign_key="team.id", ondelete="CASCADE")
    created_at: datetime = timestamp()
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = timestamp(nullable=True)
