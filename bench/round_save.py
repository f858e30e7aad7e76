"""How fast the app saves one field group of a team's part of the yearly measurement,
next to a baseline measured in the same run.

The path under test is the one a team's tablet takes on every tap of its part: the
outbox's ``PUT /api/v1/rounds/{id}/points/{key}`` with a bearer token, through
authentication, the round's access check and row lock, the point's rules, the revision
check, the idempotency record, the audit trail and the commit. The baseline is the same
bare Starlette route as bench/rating_save.py's (one raw ``sqlite3`` upsert per request),
driven the same way, so the ratio says what the app's work costs on this machine.

Everything else is bench/rating_save.py's: real uvicorn processes on fresh SQLite files,
wrk with a Lua script in which every request is a new change with a new ``client_id``
(here cycling over the team's implementation points with a varying step), a warm-up and
a measured run at 4 and 32 connections. The changes carry no ``base_revision``: wrk's
requests overlap, and a revision check would refuse most of them as stale, which is the
cheap path and would flatter the figure.

Run it from the project folder::

    .venv/bin/python bench/round_save.py --duration 15

It exits 0 whether or not the targets are met, and 1 only when it cannot measure.
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.scales.implementation import ImplementationDefinition  # noqa: E402
from app.scales.loader import load_definition_file  # noqa: E402
from bench.rating_save import (  # noqa: E402
    LUA_SCRIPT,
    BenchError,
    Server,
    Target,
    api,
    compare,
    fail,
    prepare_database,
)

INSTRUMENT = Path(__file__).resolve().parent.parent / "scales/implementeringsstatus/2026.yaml"
TEAM_LEADER = "leder.aarhus"  # the demo's Aarhus part of this year is open for its leader
RATING_BODY = '\'{"score":%d,"note":"bench thread %d request %d","client_id":"%s"}\''
POINT_BODY = '\'{"level":%d,"description":"bench thread %d request %d","client_id":"%s"}\''


def point_script() -> str:
    """The rating bench's Lua script, sending a point's body instead of a rating's."""
    if RATING_BODY not in LUA_SCRIPT:
        raise BenchError("bench/rating_save.py's Lua script no longer has the body it had")
    return LUA_SCRIPT.replace(RATING_BODY, POINT_BODY)


def open_round(base_url: str, token: str) -> tuple[int, list[str]]:
    """The team's open round of this year and the points the team rates."""
    status, me = api("GET", f"{base_url}/api/v1/me", token)
    if status != 200 or not me.get("teams"):
        raise BenchError(f"GET /api/v1/me answered {status}: {me}")
    team_id = me["teams"][0]
    status, page = api("GET", f"{base_url}/api/v1/teams/{team_id}/rounds", token)
    if status != 200:
        raise BenchError(f"GET /api/v1/teams/{team_id}/rounds answered {status}: {page}")
    rounds = page["items"] if isinstance(page, dict) else page
    found = next((r for r in rounds if r["state"] == "open"), None)
    if found is None:
        raise BenchError(f"the demo left no open round for team {team_id}: {rounds}")
    status, team = api("GET", f"{base_url}/api/v1/teams/{team_id}", token)
    if status != 200:
        raise BenchError(f"GET /api/v1/teams/{team_id} answered {status}: {team}")
    instrument = load_definition_file(INSTRUMENT)
    if not isinstance(instrument, ImplementationDefinition):
        raise BenchError(f"{INSTRUMENT} is not the implementation instrument")
    return found["id"], [item.key for item in instrument.items_for(team["program_type"])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=15, help="seconds measured per run")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up per run")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers per server")
    args = parser.parse_args()

    def round_target(server: Server, token: str) -> Target:
        round_id, keys = open_round(server.base_url, token)
        return Target(server, f"/api/v1/rounds/{round_id}/points/", token, keys)

    try:
        script = point_script()
    except BenchError as error:
        fail(str(error))
    compare(
        args,
        name="round save",
        app_script=script,
        baseline_items=16,
        prepare=partial(prepare_database, user=TEAM_LEADER),
        target_of=round_target,
    )


if __name__ == "__main__":
    main()
