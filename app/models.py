"""The tables. Singular names, ``_at`` for timestamps (timezone-aware UTC), explicit
constraint names through the metadata's naming convention (batch migrations on SQLite
need them).

The user table is called ``user_account`` because ``user`` is a reserved word in
PostgreSQL. A rating belongs to one rater: a reviewer (``rater_kind='reviewer'``, with
``rater_id``) or the review's consensus (``rater_kind='consensus'``, no rater); partial
unique indexes keep one row per rater and item.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, Literal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Index,
    MetaData,
    String,
    Table,
    TypeDecorator,
    literal,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import Field, SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata: MetaData = SQLModel.metadata

JsonType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC and always hands back an aware UTC datetime, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def table_of(model: type[SQLModel]) -> Table:
    """A table model's Core table, for the few paths written as prepared statements."""
    return model.__table__  # type: ignore[attr-defined,no-any-return]


class folded(FunctionElement[str]):
    """A text column in lower case, every letter folded (æ for Æ), on both backends:
    PostgreSQL's lower() does so already; on SQLite, whose lower() folds only A-Z, it
    calls ``fold``, which ``app.db`` adds to each connection. Compare with
    ``text.lower()``."""

    type = String()
    inherit_cache = True
    name = "folded"


@compiles(folded)
def _folded_default(element: folded, compiler: Any, **kw: Any) -> str:
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(folded, "sqlite")
def _folded_sqlite(element: folded, compiler: Any, **kw: Any) -> str:
    return f"fold({compiler.process(element.clauses, **kw)})"


def _timestamp(*, nullable: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_type=UTCDateTime)
    return Field(default_factory=utcnow, sa_type=UTCDateTime)


class ProgramType(StrEnum):
    IPS = "ips"
    IPS_LIGNENDE = "ips_lignende"


class Role(StrEnum):
    ADMIN = "admin"
    AMBASSADOR = "ambassador"
    TEAM_LEADER = "team_leader"
    ANALYST = "analyst"


class ScaleStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class ReviewStatus(StrEnum):
    SCORING = "scoring"
    CONSENSUS = "consensus"
    FINALISED = "finalised"


# The status in the SQL text itself, not as a bound parameter: SQLite uses a partial
# index (``WHERE status = 'finalised'``) only for a query that states its condition.
FINALISED = literal(ReviewStatus.FINALISED.value, literal_execute=True)


class RaterKind(StrEnum):
    REVIEWER = "reviewer"
    CONSENSUS = "consensus"


class ActionStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"


def _one_of(column: str, values: type[StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Region(SQLModel, table=True):
    code: int = Field(primary_key=True, description="Official region code, e.g. 1084")
    name: str = Field(max_length=100, unique=True)


class Municipality(SQLModel, table=True):
    code: int = Field(primary_key=True, description="Official municipality code, e.g. 101")
    name: str = Field(max_length=100, unique=True)
    region_code: int = Field(foreign_key="region.code", index=True)


class Team(SQLModel, table=True):
    __table_args__ = (CheckConstraint(_one_of("program_type", ProgramType), name="program_type"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    program_type: str = Field(max_length=20)
    is_active: bool = True
    created_at: datetime = _timestamp()


class TeamMunicipality(SQLModel, table=True):
    """A team serves one or more municipalities: some share a jobcentre."""

    __tablename__ = "team_municipality"
    team_id: int = Field(foreign_key="team.id", primary_key=True, ondelete="CASCADE")
    municipality_code: int = Field(foreign_key="municipality.code", primary_key=True, index=True)


class User(SQLModel, table=True):
    __tablename__ = "user_account"
    __table_args__ = (CheckConstraint(_one_of("role", Role), name="role"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=200)
    role: str = Field(max_length=20)
    password_hash: str | None = Field(default=None, max_length=255)
    is_active: bool = True
    created_at: datetime = _timestamp()
    last_login_at: datetime | None = _timestamp(nullable=True)


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
    created_at: datetime = _timestamp()
    last_seen_at: datetime = _timestamp()
    expires_at: datetime = Field(sa_type=UTCDateTime, description="The absolute lifetime's end")
    ended_at: datetime | None = _timestamp(nullable=True)
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
    created_at: datetime = _timestamp()
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    last_used_at: datetime | None = _timestamp(nullable=True)
    revoked_at: datetime | None = _timestamp(nullable=True)
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
    occurred_at: datetime = _timestamp()
    username: str = Field(max_length=64, description="As typed, lower-cased; may not exist")
    client_address: str = Field(max_length=64)
    succeeded: bool


class ScaleVersion(SQLModel, table=True):
    """A registered scale version; ``definition`` is the validated file as JSON."""

    __tablename__ = "scale_version"
    __table_args__ = (
        CheckConstraint(_one_of("status", ScaleStatus), name="status"),
        Index("uq_scale_version_scale_key_version", "scale_key", "version", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    scale_key: str = Field(max_length=64)
    version: str = Field(max_length=32)
    status: str = Field(max_length=20)
    title_da: str = Field(max_length=300)
    title_en: str = Field(max_length=300)
    item_count: int
    definition: dict[str, Any] = Field(sa_type=JsonType)
    sha256: str = Field(max_length=64, description="sha256 of the canonical JSON definition")
    created_at: datetime = _timestamp()
    published_at: datetime | None = _timestamp(nullable=True)
    retired_at: datetime | None = _timestamp(nullable=True)


class Review(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint(_one_of("status", ReviewStatus), name="status"),
        CheckConstraint(
            "visit_end_date IS NULL OR visit_end_date >= visit_date", name="visit_dates"
        ),
        Index(  # a team has at most one review in progress
            "uq_review_team_open",
            "team_id",
            unique=True,
            sqlite_where=text("status != 'finalised'"),
            postgresql_where=text("status != 'finalised'"),
        ),
        Index(  # finalised reviews by date: the national figures read only this index
            "ix_review_finalised_visit",
            "visit_date",
            "level_key",
            "team_id",
            "scale_version_id",
            sqlite_where=text("status = 'finalised'"),
            postgresql_where=text("status = 'finalised'"),
        ),
        Index(  # a team's latest finalised reviews, read backwards (the national table)
            "ix_review_finalised_team_visit",
            "team_id",
            "visit_date",
            "id",
            sqlite_where=text("status = 'finalised'"),
            postgresql_where=text("status = 'finalised'"),
        ),
        Index("ix_review_visit_date_id", "visit_date", "id"),  # newest first, any status
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    scale_version_id: int = Field(foreign_key="scale_version.id", index=True)
    visit_date: date
    visit_end_date: date | None = None
    status: str = Field(default=ReviewStatus.SCORING, max_length=20)
    created_at: datetime = _timestamp()
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    finalised_at: datetime | None = _timestamp(nullable=True)
    total_score: float | None = None
    level_key: str | None = Field(default=None, max_length=64)
    result: dict[str, Any] | None = Field(default=None, sa_type=JsonType)
    finalised_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    strengths: str | None = Field(default=None, max_length=10000)
    summary: str | None = Field(default=None, max_length=10000)


class ReviewReviewer(SQLModel, table=True):
    """A reviewer's place on a review. One taken off it (``removed_at``: their account
    was disabled mid-review, say) keeps the row and their ratings, for the record, but
    no longer scores, counts for the consensus or holds it up."""

    __tablename__ = "review_reviewer"
    review_id: int = Field(foreign_key="review.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user_account.id", primary_key=True, index=True)
    is_lead: bool = False
    submitted_at: datetime | None = _timestamp(nullable=True)
    removed_at: datetime | None = _timestamp(nullable=True)
    removed_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    removed_reason: str | None = Field(default=None, max_length=1000)


class Rating(SQLModel, table=True):
    """One rater's rating of one item in one review, with what it was based on.

    A row holds a score, or a not-rated reason, or neither yet: a reviewer may write a
    note or tick evidence before choosing a score. "Not rated" always needs its reason;
    the scoring core counts a row with neither as not yet scored.
    """

    __table_args__ = (
        CheckConstraint(_one_of("rater_kind", RaterKind), name="rater_kind"),
        CheckConstraint(
            "(rater_kind = 'reviewer' AND rater_id IS NOT NULL)"
            " OR (rater_kind = 'consensus' AND rater_id IS NULL)",
            name="rater",
        ),
        CheckConstraint("score IS NULL OR (score >= 1 AND score <= 5)", name="score_range"),
        CheckConstraint("score IS NULL OR not_rated_reason IS NULL", name="scored_or_not_rated"),
        CheckConstraint("revision >= 1", name="revision"),
        Index(
            "uq_rating_reviewer_item",
            "review_id",
            "item_key",
            "rater_id",
            unique=True,
            sqlite_where=text("rater_kind = 'reviewer'"),
            postgresql_where=text("rater_kind = 'reviewer'"),
        ),
        Index(
            "uq_rating_consensus_item",
            "review_id",
            "item_key",
            unique=True,
            sqlite_where=text("rater_kind = 'consensus'"),
            postgresql_where=text("rater_kind = 'consensus'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", index=True, ondelete="CASCADE")
    item_key: str = Field(max_length=64)
    rater_kind: str = Field(max_length=20)
    rater_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    score: float | None = Field(default=None, description="1-5; a mean for per-consultant items")
    not_rated_reason: str | None = Field(default=None, max_length=1000)
    note: str | None = Field(default=None, max_length=5000)
    rationale: str | None = Field(default=None, max_length=5000)
    recommendation: str | None = Field(
        default=None, max_length=5000, description="The consensus's advice on a low score"
    )
    evidence: list[str] = Field(default_factory=list, sa_type=JsonType)
    inputs: dict[str, Any] | None = Field(
        default=None, sa_type=JsonType, description="Raw figure, ticks or per-consultant scores"
    )
    revision: int = 1
    client_id: str | None = Field(default=None, max_length=64, unique=True)
    updated_at: datetime = _timestamp()
    updated_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class RatingChange(SQLModel, table=True):
    """Every change made to a rating, in order: its history, and the memory that makes a
    repeated write harmless.

    ``client_id`` is the id the client made for one change. The UNIQUE constraint on it,
    not a look-before-insert, is what turns five copies of the same change arriving at
    once into one change: the copies that lose the race hit the constraint and answer
    with the stored change instead. ``content`` is the rating as the change left it;
    ``content_sha256`` tells a true repeat from a different change reusing an id.
    """

    __tablename__ = "rating_change"
    __table_args__ = (Index("ix_rating_change_rating_id_revision", "rating_id", "revision"),)
    id: int | None = Field(default=None, primary_key=True)
    client_id: str | None = Field(default=None, max_length=64, unique=True)
    rating_id: int = Field(foreign_key="rating.id", ondelete="CASCADE")
    review_id: int = Field(foreign_key="review.id", index=True, ondelete="CASCADE")
    revision: int
    content: dict[str, Any] = Field(sa_type=JsonType)
    content_sha256: str = Field(max_length=64)
    changed_at: datetime = _timestamp()
    changed_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    channel: str = Field(max_length=20)


# Through which door a change came: a page, the API, the command line, a tablet's outbox
# file, or the system itself (a consensus begun by the last submission).
Channel = Literal["web", "api", "cli", "offline", "system"]


class AuditEvent(SQLModel, table=True):
    """An append-only record of who did what, when, through which channel.

    Database triggers refuse UPDATE and DELETE on this table (migration 0003), so not even
    a bug in the product can rewrite history.
    """

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_entity", "entity_type", "entity_id"),
        # the trail's filters, newest first, read from an index however long it grows
        Index("ix_audit_event_action_id", "action", "id"),
        Index("ix_audit_event_actor_id_id", "actor_id", "id"),
        Index("ix_audit_event_actor_action_id", "actor_id", "action", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor_id: int | None = Field(default=None, foreign_key="user_account.id")
    channel: str = Field(max_length=20, description="web, api, cli, offline or system")
    action: str = Field(max_length=64)
    client_address: str | None = Field(default=None, max_length=64)
    entity_type: str | None = Field(default=None, max_length=64)
    entity_id: str | None = Field(default=None, max_length=64)
    before: dict[str, Any] | None = Field(default=None, sa_type=JsonType)
    after: dict[str, Any] | None = Field(default=None, sa_type=JsonType)


class FiguresVersion(SQLModel, table=True):
    """One row: a number that goes up, in the same transaction, with every change that
    changes the national figures or who sees which team (``audit.FIGURES_CHANGED``).
    The figures kept between requests are kept under it. An UPDATE of one row is taken
    in turn, so the number rises in the order the changes commit, on PostgreSQL too."""

    __tablename__ = "figures_version"
    id: int = Field(default=1, primary_key=True)
    version: int = 0


class TeamComment(SQLModel, table=True):
    """The team's answer to one item of a finalised review, written by its leader while
    the feedback window is open (``FIDELITY_FEEDBACK_DAYS`` from finalising). One per
    item: writing again replaces it, and the audit trail keeps what it said before."""

    __tablename__ = "team_comment"
    __table_args__ = (
        Index("uq_team_comment_review_id_item_key", "review_id", "item_key", unique=True),
    )
    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="review.id", ondelete="CASCADE")
    item_key: str = Field(max_length=64)
    body: str = Field(max_length=5000)
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()
    updated_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class ActionItem(SQLModel, table=True):
    """One step of a team's action plan: made by its leader from a review's
    recommendation on an item, and followed until it is done."""

    __tablename__ = "action_item"
    __table_args__ = (
        CheckConstraint(_one_of("status", ActionStatus), name="status"),
        Index("ix_action_item_team_id_status", "team_id", "status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", ondelete="CASCADE")
    review_id: int = Field(foreign_key="review.id", index=True, ondelete="CASCADE")
    item_key: str = Field(max_length=64, description="The item whose recommendation it answers")
    what: str = Field(max_length=1000)
    who: str = Field(max_length=200, description="A role or a staff member's name; never a citizen")
    due_date: date
    status: str = Field(default=ActionStatus.OPEN, max_length=20)
    created_at: datetime = _timestamp()
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    updated_at: datetime = _timestamp()
    updated_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    completed_at: datetime | None = _timestamp(nullable=True)
