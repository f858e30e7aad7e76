"""Alembic's entry point: runs migrations against the configured database.

The URL is the caller's (``sqlalchemy.url``, set by tests and ``fidelity db upgrade``) or
else FIDELITY_DATABASE_URL. Batch mode is on so that SQLite, which cannot ALTER most
things, gets table rebuilds; the naming convention in app.models gives every constraint
the stable name that batch mode needs.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import Connection, Engine
from sqlmodel.sql.sqltypes import AutoString

import app.models  # noqa: F401  (registers every table on the metadata)
from app.config import get_settings
from app.db.engines import create_db_engine
from app.db.migrate import migration_safeguards
from app.models import UTCDateTime, metadata

config = context.config


def _engine() -> Engine:
    settings = get_settings()
    url = config.get_main_option("sqlalchemy.url")
    if url:
        settings = settings.model_copy(update={"database_url": url})
    return create_db_engine(settings)


def _render_item(kind: str, obj: Any, autogen: AutogenContext) -> str | bool:
    """Write our column types as plain SQLAlchemy ones, so migrations never import app code."""
    if kind == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if kind == "type" and isinstance(obj, AutoString):
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url") or get_settings().database_url,
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = _engine()
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def _run(connection: Connection) -> None:
    with migration_safeguards(connection):
        _migrate(connection)


def _migrate(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
