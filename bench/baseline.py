"""The baseline for bench/rating_save.py: the least a server can do to save a rating.

One Starlette route, ``PUT /ratings/{item}``, parses the JSON body and makes one raw
``sqlite3`` upsert, committed before it answers. The database is set up the way the app
sets up SQLite (WAL journal, ``synchronous=NORMAL``, a busy timeout), and the write runs
in Starlette's thread pool on a connection kept per thread, as the app's synchronous
routes run in that pool too. There is no authentication, no validation beyond the score,
no audit trail and no ORM: the gap between this and the app is what those cost.

Run by the benchmark as ``uvicorn --factory bench.baseline:create_app`` with the database
file in ``BENCH_BASELINE_DB``.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

DATABASE_ENV = "BENCH_BASELINE_DB"

SCHEMA = """
CREATE TABLE IF NOT EXISTS rating (
    item_key TEXT PRIMARY KEY,
    score INTEGER NOT NULL,
    note TEXT,
    client_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    updated_at TEXT NOT NULL
)
"""

UPSERT = """
INSERT INTO rating (item_key, score, note, client_id, revision, updated_at)
VALUES (?, ?, ?, ?, 1, ?)
ON CONFLICT (item_key) DO UPDATE SET
    score = excluded.score,
    note = excluded.note,
    client_id = excluded.client_id,
    revision = rating.revision + 1,
    updated_at = excluded.updated_at
RETURNING revision
"""


def connect(path: str) -> sqlite3.Connection:
    """A connection with the pragmas the app uses for SQLite."""
    connection = sqlite3.connect(path, timeout=10, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    return connection


def create_app() -> Starlette:
    """The baseline application, writing to the database named in ``BENCH_BASELINE_DB``."""
    path = os.environ[DATABASE_ENV]
    with connect(path) as connection:
        connection.execute(SCHEMA)
    local = threading.local()

    def upsert(item_key: str, score: int, note: str | None, client_id: str) -> int:
        connection: sqlite3.Connection | None = getattr(local, "connection", None)
        if connection is None:
            connection = local.connection = connect(path)
        now = datetime.now(UTC).isoformat()
        revision: int = connection.execute(
            UPSERT, (item_key, score, note, client_id, now)
        ).fetchone()[0]
        connection.commit()
        return revision

    async def save_rating(request: Request) -> JSONResponse:
        body = await request.json()
        score = body.get("score")
        if not isinstance(score, int) or isinstance(score, bool) or not 1 <= score <= 5:
            return JSONResponse({"detail": "score must be a whole number 1-5"}, status_code=422)
        item_key = request.path_params["item"]
        revision = await run_in_threadpool(
            upsert, item_key, score, body.get("note"), str(body.get("client_id", ""))
        )
        return JSONResponse({"item_key": item_key, "score": score, "revision": revision})

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/ratings/{item}", save_rating, methods=["PUT"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )
