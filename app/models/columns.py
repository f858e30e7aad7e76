"""How the tables store what they store: constraint names by convention, JSON that is
JSONB on PostgreSQL, timestamps always aware UTC, and text folded to lower case alike on
both databases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData, String, Table, TypeDecorator
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
    """Now, in UTC."""
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


def timestamp(*, nullable: bool = False) -> Any:
    """A timestamp column: aware UTC, set to now unless it may be empty."""
    if nullable:
        return Field(default=None, sa_type=UTCDateTime)
    return Field(default_factory=utcnow, sa_type=UTCDateTime)
