"""Every page, API list and download, for every demo role, on 100,000 finalised reviews.

The database is built the way an operator would (``fidelity db upgrade``, then ``fidelity
demo --synthetic-reviews 100000``: ten years, 10,000 teams, 2.5 million ratings) once, and
kept in ``var/bench-pages/`` for the next run (``--fresh`` builds it again). The app then
runs under uvicorn with one worker, as ``fidelity serve`` runs it, and the script:

1. signs in through the sign-in form as one demo user of each role;
2. collects every GET route from the app's routers (``app.main.ROUTERS``), so a route
   added later is visited without anyone touching this file. A path parameter takes real
   ids read from the database, tried in turn until the role is let in; a route the role
   may not use is listed as such. A fragment that htmx swaps in (its address alone
   redirects to the whole screen) is asked for with htmx's header. Each query parameter
   that a list or filter knows (year, region, scale, page, search, ...) adds a variant
   of the route with that value;
3. requests each variant ``--runs`` times after one warm-up, one request at a time, and
   prints p50 and p95 per route and role against a baseline measured in the same run: the
   sign-in page, which touches no data;
4. watches the server's resident memory every few milliseconds, and prints each
   request's growth over what the server held before it, and the peak over the crawl;
5. fetches each download once (CSV, JSON, XLSX, PDF), read as it streams: time to the
   first byte, the whole time, its size, and the memory it took.

Run it from the project folder::

    .venv/bin/python bench/pages.py                  # builds var/bench-pages/ once
    .venv/bin/python bench/pages.py --runs 20 --only /teams

Targets (printed with the figures): every HTML page at most 300 ms at the 95th
percentile; no request grows the server's memory by more than 150 MB; one worker under
500 MB after the crawl; every download's first byte within 1 s.
"""

from __future__ import annotations

import argparse
import http.client
import random
import re
import sqlite3
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.rating_save import (  # noqa: E402
    REPO_ROOT,
    BenchError,
    Server,
    clean_env,
    fail,
    run_cli,
    uvicorn_server,
    wait_until_idle,
)

REVIEWS = 100_000
RUNS = 10
TARGET_P95_MS = 300
TARGET_GROWTH_MB = 150
TARGET_WORKER_MB = 500
TARGET_FIRST_BYTE_MS = 1000
PASSWORD = "ips-demo-2026"
# One demo user per role; the ambassador is the one with a review in progress.
ROLES = {
    "admin": "admin",
    "ambassador": "amb.hovedstaden",
    "team_leader": "leder.kobenhavn",
    "analyst": "analytiker.star",
    "panel_member": "panel.bjerg",
}
HTMX = {"HX-Request": "true"}
DOWNLOAD_TYPES = ("text/csv", "application/pdf", "spreadsheetml", "application/zip")


@dataclass
class Sampler:
    """The server's resident memory, read from /proc every few milliseconds."""

    pid: int
    peak_kb: int = 0
    current_kb: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def rss_kb(self) -> int:
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                self.current_kb = self.rss_kb()
            except OSError:
                return  # the server has gone
            self.peak_kb = max(self.peak_kb, self.current_kb)
            time.sleep(0.003)

    def start(self) -> None:
        self.current_kb = self.peak_kb = self.rss_kb()
        threading.Thread(target=self.run, daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def window(self) -> tuple[int, threading.Event]:
        """Start watching one request: what the server holds now; reset the peak."""
        self.current_kb = self.rss_kb()
        self.peak_kb = self.current_kb
        return self.current_kb, self._stop


@dataclass
class Client:
    """One signed-in browser: a kept-alive connection and its cookies."""

    host: str
    port: int
    cookies: dict[str, str] = field(default_factory=dict)
    connection: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None
    ) -> http.client.HTTPResponse:
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=600)
            try:
                self.connection.request(method, path, body=body, headers=sent)
                response = self.connection.getresponse()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # the server closed an idle kept-alive connection: open another, once
                self.close()
                if attempt == 2:
                    raise
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response

    def close(self) -> None:
        """Drop the connection (a download left unread): the next request opens another."""
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def get(self, path: str) -> tuple[int, bytes, dict[str, str]]:
        response = self.request("GET", path)
        body = response.read()
        return response.status, body, {k.lower(): v for k, v in response.getheaders()}


def sign_in(client: Client, username: str) -> None:
    status, body, _ = client.get("/login")
    found = re.search(rb'name="csrf_token" value="([^"]+)"', body)
    if status != 200 or found is None:
        raise BenchError(f"the sign-in page answered {status} without its token")
    form = urlencode(
        {"username": username, "password": PASSWORD, "csrf_token": found.group(1).decode()}
    )
    response = client.request(
        "POST",
        "/login",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": f"http://{client.host}:{client.port}",
        },
    )
    response.read()
    if response.status != 303:
        raise BenchError(f"signing in as {username} answered {response.status}")


# The database ------------------------------------------------------------------------


def build(folder: Path, reviews: int, *, fresh: bool) -> tuple[dict[str, str], Path]:
    database = folder / "pages.db"
    env = clean_env(
        FIDELITY_DATABASE_URL=f"sqlite:///{database}", FIDELITY_ENVIRONMENT="development"
    )
    if fresh:
        for path in folder.glob("pages.db*"):
            path.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    if database.exists():
        print(f"using the database already in {folder} (--fresh builds it again)")
        run_cli(["db", "upgrade"], env=env, cwd=folder)
        add_history(database)
        add_outcomes(database)
        return env, database
    started = time.monotonic()
    run_cli(["db", "upgrade"], env=env, cwd=folder)
    print(run_cli(["demo", "--synthetic-reviews", str(reviews)], env=env, cwd=folder).strip())
    add_history(database)
    add_outcomes(database)
    print(f"built in {time.monotonic() - started:.0f} s")
    return env, database


# Ten years of use leave an audit trail far longer than the reviews: every rating saved,
# review and team viewed, sign-in and refusal. The synthetic reviews leave none, so the
# bench writes one, in proportions like the demo's own, for the audit pages to page.
HISTORY_EVENTS = 3_000_000
HISTORY_MIX = (
    ("rating.saved", "review", 45),
    ("review.viewed", "review", 20),
    ("team.viewed", "team", 10),
    ("consensus.saved", "review", 8),
    ("auth.signed_in", "user", 6),
    ("auth.signed_out", "user", 3),
    ("access.denied", None, 2),
    ("review.submitted", "review", 2),
    ("export.downloaded", "export", 1),
    ("review.created", "review", 1),
    ("review.consensus_started", "review", 1),
    ("review.finalised", "review", 1),
)


def add_history(database: Path, events: int = HISTORY_EVENTS) -> None:
    """Add ten years of audit events (dated 2016-12 to 2026-11, in id order) unless the
    database already holds that many."""
    db = sqlite3.connect(database)
    (present,) = db.execute("SELECT count(*) FROM audit_event").fetchone()
    if present >= events:
        db.close()
        return
    started = time.monotonic()
    users = [row[0] for row in db.execute("SELECT id FROM user_account ORDER BY id")]
    (last_review,) = db.execute("SELECT max(id) FROM review").fetchone()
    (last_team,) = db.execute("SELECT max(id) FROM team").fetchone()
    pick = random.Random(16)
    kinds = [(action, entity) for action, entity, _ in HISTORY_MIX]
    weights = [weight for _, _, weight in HISTORY_MIX]
    first = datetime(2016, 12, 1)
    step = (datetime(2026, 11, 30) - first) / events

    def rows(start: int, stop: int) -> Iterator[tuple[Any, ...]]:
        for number in range(start, stop):
            action, entity = pick.choices(kinds, weights)[0]
            actor = pick.choice(users)
            entity_id: int | str | None = None
            if entity == "review":
                entity_id = pick.randint(1, last_review)
            elif entity == "team":
                entity_id = pick.randint(1, last_team)
            elif entity == "user":
                entity_id = actor
            elif entity == "export":
                entity_id = "ratings"
            when = (first + step * number).strftime("%Y-%m-%d %H:%M:%S.%f")
            channel = "api" if action == "rating.saved" and number % 3 else "web"
            yield (when, actor, channel, action, entity, entity_id, "null", "null", "192.0.2.1")

    with db:
        for start in range(0, events - present, 100_000):
            db.executemany(
                "INSERT INTO audit_event (occurred_at, actor_id, channel, action, "
                "entity_type, entity_id, before, after, client_address) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows(start, min(start + 100_000, events - present)),
            )
    db.close()
    print(f"audit trail: {events - present} events added ({time.monotonic() - started:.0f} s)")


# Ten years of STAR's quarterly monitoring: every municipality, both target groups, forty
# quarters (the demo holds the latest twelve of its teams' municipalities).
OUTCOME_QUARTERS = 40


def add_outcomes(database: Path, quarters: int = OUTCOME_QUARTERS) -> None:
    """Quarterly outcome figures for every municipality and target group, unless there."""
    db = sqlite3.connect(database)
    with db:
        if db.execute("SELECT count(*) FROM outcome_figure").fetchone()[0] > 1_000:
            return
        codes = [row[0] for row in db.execute("SELECT code FROM municipality")]
        latest = db.execute("SELECT max(year * 4 + quarter - 1) FROM outcome_figure").fetchone()[0]
        last = latest if latest is not None else 2026 * 4 + 1
        draw = random.Random(20)
        rows = []
        for index in range(last - quarters + 1, last + 1):
            year, quarter = divmod(index, 4)
            for code in codes:
                for group in ("ips", "ips_lignende"):
                    people = draw.randint(10, 300)
                    either = round(people * draw.uniform(0.15, 0.6))
                    rows.append(
                        (year, quarter + 1, group, code, people, either,
                         round(100 * either / people, 1), "2026-12-07 00:00:00")
                    )  # fmt: skip
        db.executemany(
            "INSERT OR IGNORE INTO outcome_figure (year, quarter, target_group, "
            "municipality_code, participants, work_or_education, work_or_education_share, "
            "entered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    db.close()


def candidates(database: Path) -> dict[str, list[str]]:
    """Real values for every path and query parameter the routes use, most telling first:
    a team with the longest history, its newest review, reviews in progress, and so on.
    A route is tried with each until the role is let in."""
    db = sqlite3.connect(f"file:{database}?mode=ro", uri=True)

    def ids(sql: str) -> list[str]:
        return [str(row[0]) for row in db.execute(sql)]

    busiest = ids(
        "SELECT team_id FROM review GROUP BY team_id ORDER BY count(*) DESC, team_id LIMIT 3"
    )
    led = ids("SELECT team_id FROM user_team ORDER BY team_id")
    regional = ids(
        "SELECT min(tm.team_id) FROM team_municipality tm JOIN municipality m "
        "ON m.code = tm.municipality_code GROUP BY m.region_code"
    )
    teams = list(dict.fromkeys(busiest + led + regional))
    open_reviews = ids("SELECT id FROM review WHERE status != 'finalised' ORDER BY id")
    finalised = ids(
        "SELECT max(id) FROM review WHERE status = 'finalised' AND team_id IN "
        f"({','.join(teams)}) GROUP BY team_id"
    )
    scales = [
        f"{key}|{version}"
        for key, version in db.execute(
            "SELECT scale_key, version FROM scale_version ORDER BY kind = 'fidelity' DESC, id"
        )
    ]
    # the measurements of the led teams (one open, one waiting for its assessment), then
    # the busiest team's newest ones
    rounds = ids(
        "SELECT id FROM measurement_round WHERE team_id IN "
        f"({','.join(teams)}) ORDER BY team_id IN ({','.join(led) or '0'}) DESC, year DESC"
    )
    years = [row[0] for row in db.execute("SELECT max(substr(visit_date, 1, 4)) FROM review")]
    regions = ids("SELECT code FROM region ORDER BY code")
    found = {
        "team_id": teams,
        "review_id": open_reviews + finalised,
        "user_id": ids("SELECT id FROM user_account ORDER BY id LIMIT 3"),
        "token_id": ids("SELECT id FROM api_token ORDER BY id LIMIT 1"),
        "action_id": ids("SELECT id FROM action_item ORDER BY id LIMIT 1"),
        "round_id": rounds[:8],
        "import_id": ids("SELECT id FROM outcome_import ORDER BY id DESC LIMIT 1"),
        "region_code": regions[:1],
        "activity_id": ids("SELECT id FROM corps_activity ORDER BY id DESC LIMIT 1"),
        "agreement_id": ids("SELECT id FROM collaboration_agreement ORDER BY id LIMIT 1"),
        "report_id": ids("SELECT id FROM status_report ORDER BY id DESC LIMIT 1"),
        # an invitation link's token is stored only as its sha256: an unknown one is what
        # can be measured (the page that says so)
        "token": ["no-such-invitation"],
        "scale": scales,
        "item_key": ["caseload-size", "team-leader-role", "rapid-education-contact"],
        "point_key": ["staff-work-by-principles"],
        "mode": ["score", "consensus"],
        # query parameters: each value below becomes a variant of the route
        "year": [str(int(years[0]) - 5)] if years and years[0] else [],
        "region": regions[:1],
        "half": ["2025H1"],
        "scale_version": scales[:1],
        "program_type": ["ips_lignende"],
        "page": ["2", "400"],
        "sort": ["due", "total"],
        "q": ["syntetisk 0999", "%_"],
        "group": ["principle"],
        # the audit trail's filters
        "action": ["auth.signed_in", "review", "scale_version.published"],
        "actor": ["admin"],
        "since": ["2026-01-01"],
        "until": ["2018-12-31"],
        "format": ["csv", "xlsx", "json"],
    }
    db.close()
    return found


# The routes --------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    route: str  # the route's path template
    name: str  # the route's name
    path_options: tuple[str, ...]  # concrete paths to try, in order
    query: str  # "" or "?name=value"


def variants(values: dict[str, list[str]], only: str | None) -> list[Variant]:
    """Every GET route of the app, with real ids in its path and a variant per known
    query value."""
    from fastapi.routing import APIRoute  # noqa: PLC0415

    from app.main import ROUTERS  # noqa: PLC0415

    found = []
    for router in ROUTERS:
        for route in router.routes:
            if not isinstance(route, APIRoute) or "GET" not in route.methods:
                continue
            if only and not route.path.startswith(only):
                continue
            paths = list(_paths(route.path, values))
            queries = [""]
            for name in _query_names(route):
                # an id in the query (a team to plan for) needs one real value, a filter
                # or a page every value it has
                known = values.get(name, [])
                for value in known[:1] if name.endswith("_id") else known:
                    if name == "scale":
                        value = value.replace("|", "/")
                    queries.append("?" + urlencode({name: value}))
            for query in queries:
                found.append(Variant(route.path, route.name, tuple(paths), query))
    return found


def _query_names(route: Any) -> list[str]:
    """The names of a route's query parameters, those its dependencies read included (the
    audit trail's filters), and a model of them (the national filters) spelled out
    field by field."""
    from pydantic import BaseModel  # noqa: PLC0415

    def params(dependant: Any) -> Iterator[Any]:
        yield from dependant.query_params
        for inner in dependant.dependencies:
            yield from params(inner)

    names = []
    for parameter in params(route.dependant):
        annotation = parameter.field_info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names += [f.alias or n for n, f in annotation.model_fields.items()]
        else:
            names.append(parameter.alias)
    return names


def _paths(template: str, values: dict[str, list[str]]) -> Iterator[str]:
    names = re.findall(r"{(\w+)}", template)
    if not names:
        yield template
        return
    if names[:2] == ["key", "version"]:
        for scale in values["scale"]:
            key, version = scale.split("|")
            path = template.replace("{key}", key).replace("{version}", version)
            if names[2:] in (["item_key"], ["point_key"]):
                # the first item of each kind (a point), in whichever version has it
                for item in values[names[2]]:
                    yield path.replace("{" + names[2] + "}", item)
            else:
                yield path
        return
    missing = [name for name in names if not values.get(name)]
    if missing:
        raise BenchError(f"no values for {missing} in {template}: add them to candidates()")
    options = [template]
    for name in names:
        options = [o.replace("{" + name + "}", v) for o in options for v in values[name]]
    yield from options


# Measuring ---------------------------------------------------------------------------


@dataclass
class Measured:
    role: str
    variant: Variant
    path: str
    times_ms: list[float]
    growth_mb: float
    kind: str  # page, api, download

    @property
    def p50(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times_ms)
        return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def timed_get(
    client: Client, sampler: Sampler, path: str, headers: dict[str, str] | None = None
) -> tuple[int, float, float, str]:
    """One request: status, milliseconds, memory growth (MB) and the kind of answer. A
    download is only recognised here (by its headers) and left unread: the downloads
    are measured on their own."""
    before, _ = sampler.window()
    started = time.perf_counter()
    response = client.request("GET", path, headers=headers)
    answer = {k.lower(): v for k, v in response.getheaders()}
    content_type = answer.get("content-type", "")
    if "attachment" in answer.get("content-disposition", "") or any(
        kind in content_type for kind in DOWNLOAD_TYPES
    ):
        client.close()
        return response.status, 0.0, 0.0, "download"
    response.read()
    elapsed = (time.perf_counter() - started) * 1000
    time.sleep(0.006)  # let the sampler see the end of the request
    growth = max(0, sampler.peak_kb - before) / 1024
    kind = "api" if "json" in content_type else "page"
    return response.status, elapsed, growth, kind


def measure_role(
    role: str,
    client: Client,
    sampler: Sampler,
    server: Server,
    routes: list[Variant],
    runs: int,
) -> tuple[list[Measured], list[str]]:
    measured, refused = [], []
    for variant in routes:
        for path in variant.path_options:
            url = path + variant.query
            headers: dict[str, str] | None = None
            status, first_ms, growth, kind = timed_get(client, sampler, url)
            if status == 303:
                # a fragment that htmx swaps in sends a person who follows its address
                # to the whole screen: ask for it as htmx does
                headers = HTMX
                status, first_ms, growth, kind = timed_get(client, sampler, url, headers)
            if status == 200:
                break
        else:
            refused.append(f"{variant.route}{variant.query} ({status})")
            continue
        if kind == "download":
            measured.append(Measured(role, variant, url, [0.0], 0.0, kind))
            wait_until_idle(server)  # the abandoned download stops writing
            continue
        times, growths = [], [growth]
        for _ in range(runs):
            status, elapsed, growth, _ = timed_get(client, sampler, url, headers)
            if status != 200:
                raise BenchError(f"{role}: {url} answered {status} after answering 200")
            times.append(elapsed)
            growths.append(growth)
        measured.append(Measured(role, variant, url, times, max(growths), kind))
        print(f"  {role:<12} {url[:70]:<70} p95 {measured[-1].p95:8.1f} ms", file=sys.stderr)
    return measured, refused


def download(client: Client, sampler: Sampler, path: str) -> dict[str, float]:
    before, _ = sampler.window()
    started = time.perf_counter()
    response = client.request("GET", path)
    first = None
    size = 0
    while chunk := response.read(256 * 1024):
        if first is None:
            first = time.perf_counter() - started
        size += len(chunk)
    elapsed = time.perf_counter() - started
    time.sleep(0.01)
    return {
        "status": response.status,
        "first_byte_ms": (first or elapsed) * 1000,
        "seconds": elapsed,
        "megabytes": size / 1e6,
        "growth_mb": max(0, sampler.peak_kb - before) / 1024,
    }


def baseline(client: Client, sampler: Sampler, runs: int) -> Measured:
    times = [timed_get(client, sampler, "/login")[1] for _ in range(runs + 1)][1:]
    return Measured(
        "anonymous", Variant("/login", "login", ("/login",), ""), "/login", times, 0, "page"
    )


# Reporting ---------------------------------------------------------------------------


def report(base: Measured, results: list[Measured], refused: dict[str, list[str]]) -> bool:
    print(f"\nbaseline: GET /login (no data), p50 {base.p50:.1f} ms, p95 {base.p95:.1f} ms\n")
    print(
        f"| {'role':<11} | {'kind':<4} | {'request':<58} | {'p50 ms':>7} | {'p95 ms':>7} "
        f"| {'p95/base':>8} | {'growth MB':>9} | verdict |"
    )
    print(
        f"|{'-' * 13}|{'-' * 6}|{'-' * 60}|{'-' * 9}:|{'-' * 9}:|{'-' * 10}:|{'-' * 11}:|{'-' * 9}|"
    )
    ok = True
    for result in results:
        if result.kind == "download":
            continue
        passed = result.growth_mb <= TARGET_GROWTH_MB and (
            result.kind != "page" or result.p95 <= TARGET_P95_MS
        )
        ok = ok and passed
        request = result.variant.route + result.variant.query
        print(
            f"| {result.role:<11} | {result.kind:<4} | {request[:58]:<58} | {result.p50:>7.1f} "
            f"| {result.p95:>7.1f} | {result.p95 / base.p95:>8.1f} | {result.growth_mb:>9.1f} "
            f"| {'pass' if passed else 'MISS':<7} |"
        )
    for role, routes in refused.items():
        if routes:
            print(f"\n{role} may not use: {', '.join(routes)}")
    print_by_route(results)
    return ok


def print_by_route(results: list[Measured]) -> None:
    """The same p95s, one row per request and a column per role (– : not for that role)."""
    roles = list(ROLES)
    rows: dict[str, dict[str, Measured]] = {}
    for result in results:
        if result.kind != "download":
            rows.setdefault(result.variant.route + result.variant.query, {})[result.role] = result
    print("\np95 ms by request and role (baseline /login p95 in the line above the first table)\n")
    print("| request | " + " | ".join(roles) + " |")
    print("|---|" + "---:|" * len(roles))
    for request, by_role in rows.items():
        cells = [f"{by_role[r].p95:.0f}" if r in by_role else "–" for r in roles]
        print(f"| `{request}` | " + " | ".join(cells) + " |")


def report_downloads(rows: list[tuple[str, str, dict[str, float]]]) -> bool:
    print(
        f"\n| {'role':<11} | {'download':<52} | {'first byte ms':>13} | {'whole s':>7} "
        f"| {'MB':>7} | {'growth MB':>9} | verdict |"
    )
    print(f"|{'-' * 13}|{'-' * 54}|{'-' * 14}:|{'-' * 8}:|{'-' * 8}:|{'-' * 10}:|{'-' * 9}|")
    ok = True
    for role, path, found in rows:
        passed = (
            found["status"] == 200
            and found["first_byte_ms"] <= TARGET_FIRST_BYTE_MS
            and found["growth_mb"] <= TARGET_GROWTH_MB
        )
        ok = ok and passed
        print(
            f"| {role:<11} | {path[:52]:<52} | {found['first_byte_ms']:>13.0f} "
            f"| {found['seconds']:>7.1f} | {found['megabytes']:>7.1f} "
            f"| {found['growth_mb']:>9.1f} | {'pass' if passed else 'MISS':<7} |"
        )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reviews", type=int, default=REVIEWS, help="synthetic reviews")
    parser.add_argument(
        "--folder", type=Path, default=REPO_ROOT / "var" / "bench-pages", help="cache folder"
    )
    parser.add_argument("--fresh", action="store_true", help="build the database again")
    parser.add_argument("--runs", type=int, default=RUNS, help="requests per route and role")
    parser.add_argument("--only", help="only routes whose path starts with this")
    parser.add_argument("--no-downloads", action="store_true", help="skip the downloads")
    args = parser.parse_args()
    folder = args.folder.resolve()
    env, database = build(folder, args.reviews, fresh=args.fresh)
    routes = variants(candidates(database), args.only)
    with uvicorn_server("pages", "app.main:create_app", env=env, cwd=folder, workers=1) as server:
        host, port = server.base_url.removeprefix("http://").split(":")
        sampler = Sampler(server.pid)
        sampler.start()
        started_kb = sampler.rss_kb()
        anonymous = Client(host, int(port))
        base = baseline(anonymous, sampler, args.runs)
        results: list[Measured] = []
        refused: dict[str, list[str]] = {}
        clients = {}
        for role, username in ROLES.items():
            client = Client(host, int(port))
            sign_in(client, username)
            clients[role] = client
            found, refused[role] = measure_role(role, client, sampler, server, routes, args.runs)
            results.extend(found)
        crawl_kb = sampler.rss_kb()
        downloads = []
        if not args.no_downloads:
            for result in results:
                if result.kind == "download":
                    print(f"  {result.role:<12} download {result.path}", file=sys.stderr)
                    found = download(clients[result.role], sampler, result.path)
                    downloads.append((result.role, result.path, found))
        end_kb = sampler.rss_kb()
        sampler.stop()
    pages_ok = report(base, results, refused)
    downloads_ok = report_downloads(downloads) if downloads else True
    worker_ok = max(crawl_kb, end_kb) / 1024 <= TARGET_WORKER_MB
    print(
        f"\nserver memory: {started_kb / 1024:.0f} MB at start, {crawl_kb / 1024:.0f} MB after "
        f"the crawl of pages, {end_kb / 1024:.0f} MB after the downloads "
        f"(target: under {TARGET_WORKER_MB} MB) {'pass' if worker_ok else 'MISS'}"
    )
    verdict = pages_ok and downloads_ok and worker_ok
    print(f"\noverall: {'PASS' if verdict else 'MISS'}")


if __name__ == "__main__":
    try:
        main()
    except BenchError as error:
        fail(str(error))
