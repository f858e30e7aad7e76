"""How fast the app saves a rating, next to a baseline measured in the same run.

The path under test is the one a tablet takes when it saves a score through the API:
``PUT /api/v1/reviews/{id}/ratings/{item}`` with a bearer token, through authentication,
the review's access check, the scale's rules, the idempotency record, the audit trail
and the commit. The baseline (bench/baseline.py) is a bare Starlette route that makes one
raw ``sqlite3`` upsert per request; the ratio between the two says what the app's work
costs on this machine, whatever the machine's own speed.

Each server runs on its own, as a real uvicorn process on a fresh SQLite file in a
temporary folder, with the same uvicorn settings. ``wrk`` (C, from Debian's packages)
drives both with the same Lua script: every request is a new change with a new
``client_id`` (a replay would be cheaper and flatter the figure), cycling over the
scale's 25 items with a varying score. For each server and each number of connections
there is a short warm-up, then a measured run of fixed length. Any response of 300 or
above, and any socket error or timeout, counts as an error.

Run it from the project folder::

    .venv/bin/python bench/rating_save.py --duration 15

The targets (for the 2-core machine) are printed with the figures; the script exits 0
whether or not they are met, because it measures and does not judge. It exits 1 only
when it cannot measure (no wrk, a server that does not start, a setup request refused).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

REPO_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
CONNECTIONS = (4, 32)
WRK_THREADS = 2
WRK_TIMEOUT = "10s"  # a slow answer should show in p99, not vanish as a wrk timeout

# The user the benchmark saves ratings as, and the second reviewer the review needs.
BENCH_USER = "amb.hovedstaden"
SECOND_REVIEWER = "amb.sjaelland"
VISIT_DATE = "2026-11-20"

# The targets from the issue, for the 2-core machine.
THROUGHPUT_CONNECTIONS, THROUGHPUT_TARGET = 32, 0.25  # app/baseline requests per second
LATENCY_CONNECTIONS, LATENCY_TARGET_MS = 4, 25.0  # the app's p95

# One script drives both servers; only the path prefix differs. Arguments after "--":
# path prefix, bearer token (or "-"), comma-separated item keys, a random number for
# this run. Each wrk thread has its own Lua state, so the globals below are per thread;
# done() runs in the main state and collects the threads' error counts.
LUA_SCRIPT = r"""
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  prefix = args[1]
  headers = {["Content-Type"] = "application/json"}
  if args[2] ~= "-" then
    headers["Authorization"] = "Bearer " .. args[2]
  end
  items = {}
  for key in string.gmatch(args[3], "[^,]+") do
    items[#items + 1] = key
  end
  math.randomseed(tonumber(args[4]) + id * 7919)
  counter = 0
  errors = 0
  first_error = ""
end

-- n hex digits (a multiple of 4) from math.random, 16 bits at a time.
local function hex(n)
  local parts = {}
  for i = 1, n / 4 do
    parts[i] = string.format("%04x", math.random(0, 0xffff))
  end
  return table.concat(parts)
end

-- A version-4 UUID: random, except that the last group holds the thread and the
-- request counter, so no two requests of one run can share it.
local function uuid()
  return string.format("%s-%s-4%s-%x%s-%02x%010x",
    hex(8), hex(4), hex(4):sub(2), math.random(8, 11), hex(4):sub(2), id, counter)
end

function request()
  counter = counter + 1
  local item = items[(counter - 1) % #items + 1]
  local score = math.floor((counter - 1) / #items) % 5 + 1
  local body = string.format(
    '{"score":%d,"note":"bench thread %d request %d","client_id":"%s"}',
    score, id, counter, uuid())
  return wrk.format("PUT", prefix .. item, headers, body)
end

function response(status, headers, body)
  if status >= 300 then
    errors = errors + 1
    if first_error == "" then
      first_error = status .. " " .. string.sub(body or "", 1, 400)
    end
  end
end

function done(summary, latency, requests)
  local http_errors, first = 0, ""
  for _, thread in ipairs(threads) do
    http_errors = http_errors + thread:get("errors")
    local error_text = thread:get("first_error")
    if first == "" and error_text then
      first = error_text
    end
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%.0f duration_us=%.0f p50_us=%.0f p95_us=%.0f p99_us=%.0f " ..
    "http_errors=%.0f connect=%.0f read=%.0f write=%.0f timeout=%.0f\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), http_errors, e.connect, e.read, e.write, e.timeout))
  if first ~= "" then
    io.write("BENCH-FIRST-ERROR " .. (string.gsub(first, "%s+", " ")) .. "\n")
  end
end
"""


class BenchError(Exception):
    """The benchmark cannot measure; the message says why."""


@dataclass(frozen=True)
class Server:
    """A running uvicorn: where it answers and the id of its (supervising) process."""

    base_url: str
    pid: int


@dataclass(frozen=True)
class Target:
    """What wrk drives: a server, the path before the item key, the bearer token."""

    server: Server
    path_prefix: str
    token: str | None
    item_keys: list[str]


@dataclass(frozen=True)
class Result:
    """One measured wrk run."""

    server: str
    connections: int
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    http_errors: int
    socket_errors: int
    first_error: str
    server_cpu: float | None  # CPU time over wall time: 1.0 is one core kept busy
    wrk_cpu: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return self.http_errors + self.socket_errors


def fail(message: str) -> NoReturn:
    print(f"error: {message}", file=sys.stderr)
    raise SystemExit(1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float | None:
    """CPU time used so far by a process and its descendants (Linux /proc), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])  # utime, stime
        children = [
            int(child)
            for task in Path(f"/proc/{pid}/task").iterdir()
            for child in (task / "children").read_text().split()
        ]
    except (OSError, IndexError, ValueError):
        return None
    total = ticks / os.sysconf("SC_CLK_TCK")
    for child in children:
        total += cpu_seconds(child) or 0.0
    return total


def wait_until_idle(server: Server, *, limit: float = 60) -> None:
    """Wait until the server has finished the requests a finished wrk run left behind.

    wrk closes its connections when its time is up, but the server still works through
    the requests it had accepted; without this, that backlog would spill into the next
    run. Idle means less than 2 % of a core used over half a second.
    """
    deadline = time.monotonic() + limit
    before = cpu_seconds(server.pid)
    if before is None:
        time.sleep(3)  # no /proc: give the backlog a moment instead
        return
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = cpu_seconds(server.pid)
        if now is None or now - before < 0.01:
            return
        before = now


def clean_env(**extra: str) -> dict[str, str]:
    """Our environment without any FIDELITY_* setting from outside, plus ``extra``.

    The servers and the CLI also run in the temporary folder, so a developer's .env file
    in the project folder cannot point them elsewhere either.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("FIDELITY_")}
    return env | extra


def fidelity_command() -> str:
    beside = Path(sys.executable).with_name("fidelity")
    found = str(beside) if beside.exists() else shutil.which("fidelity")
    if found is None:
        raise BenchError(
            "the fidelity command is not installed; run this with the project's "
            ".venv/bin/python after `make install`"
        )
    return found


def run_cli(args: list[str], *, env: Mapping[str, str], cwd: Path) -> str:
    """Run ``fidelity ARGS``; its standard output, or a BenchError with what it said."""
    done = subprocess.run(
        [fidelity_command(), *args], env=env, cwd=cwd, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise BenchError(f"`fidelity {' '.join(args)}` failed: {done.stderr.strip()}")
    return done.stdout


def api(method: str, url: str, token: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    """One JSON request; the status and the decoded body, whatever the status."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        text = error.read().decode(errors="replace")
        try:
            return error.code, json.loads(text)
        except ValueError:
            return error.code, text


@contextmanager
def uvicorn_server(
    name: str, target: str, *, env: Mapping[str, str], cwd: Path, workers: int
) -> Iterator[Server]:
    """Serve ``target`` (an app factory) under uvicorn as ``fidelity serve`` does; yields
    the server once /healthz answers, and stops it on the way out."""
    port = free_port()
    log_path = cwd / f"{name}-server.log"
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        target,
        "--factory",
        "--app-dir",
        str(REPO_ROOT),
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--proxy-headers",
        "--log-level",
        "warning",
        "--no-access-log",  # both servers alike; a log line per request is not the subject
    ]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command,
            env=dict(env),
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base_url = f"http://{HOST}:{port}"
    try:
        wait_until_up(process, f"{base_url}/healthz", log_path)
        yield Server(base_url, process.pid)
    finally:
        stop(process)
        # The log goes with the temporary folder: show what went wrong before it does.
        logged = log_path.read_text(errors="replace")
        if "Traceback" in logged:
            tail = "\n".join(logged.splitlines()[-40:])
            print(f"\n{name} server logged errors; its log ends:\n{tail}", file=sys.stderr)


def wait_until_up(process: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"the server exited at start:\n{log_path.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise BenchError(f"the server did not answer {url} within 30 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate the server (and its workers, which share its session); kill if stuck."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def prepare_database(workdir: Path, user: str = BENCH_USER) -> tuple[dict[str, str], str]:
    """Migrate a fresh database and load the demo data; the environment and a token of
    ``user``."""
    env = clean_env(
        FIDELITY_DATABASE_URL=f"sqlite:///{workdir / 'fidelity.db'}",
        FIDELITY_ENVIRONMENT="development",  # demo data is refused in production
    )
    run_cli(["db", "upgrade"], env=env, cwd=workdir)
    run_cli(["demo"], env=env, cwd=workdir)
    printed = run_cli(["users", "token", user, "--name", "benchmark"], env=env, cwd=workdir)
    token = next((word for word in printed.split() if word.startswith("ipsf_")), None)
    if token is None:
        raise BenchError(f"`fidelity users token` printed no ipsf_ token: {printed!r}")
    return env, token


def plan_review(base_url: str, token: str) -> tuple[int, list[str]]:
    """Plan a fresh review the bench user rates: the id and its item keys.

    The user is an ambassador; the team is the first active one in their region without
    a review already open (the demo data leaves one open, in København).
    """
    status, me = api("GET", f"{base_url}/api/v1/me", token)
    if status != 200:
        raise BenchError(f"GET /api/v1/me answered {status}: {me}")
    teams: list[dict[str, Any]] = []
    address: str | None = "/api/v1/teams?limit=200"
    while address:  # the API's list, read page by page
        status, page = api("GET", f"{base_url}{address}", token)
        if status != 200:
            raise BenchError(f"GET {address} answered {status}: {page}")
        teams += page["items"]
        address = page["next"]
    regions = set(me["regions"])
    candidates = [
        team
        for team in teams
        if team["is_active"] and any(m["region_code"] in regions for m in team["municipalities"])
    ]
    refusals = []
    for team in candidates:
        status, review = api(
            "POST",
            f"{base_url}/api/v1/reviews",
            token,
            {
                "team_id": team["id"],
                "visit_date": VISIT_DATE,
                "reviewer_usernames": [BENCH_USER, SECOND_REVIEWER],
                "lead_username": BENCH_USER,
            },
        )
        if status == 201:
            return review["id"], [item["key"] for item in review["items"]]
        refusals.append(f"team {team['id']}: {status} {review}")
    raise BenchError("no review could be planned:\n" + "\n".join(refusals or ["no team in scope"]))


def run_wrk(
    target: Target, *, server: str, connections: int, seconds: float, script: Path
) -> Result:
    """One wrk run against ``target``; its figures, parsed from the script's done()."""
    command = [
        "wrk",
        f"--threads={WRK_THREADS}",
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        f"--timeout={WRK_TIMEOUT}",
        f"--script={script}",
        target.server.base_url,
        "--",
        target.path_prefix,
        target.token or "-",
        ",".join(target.item_keys),
        str(random.randrange(1, 2**31)),
    ]
    wait_until_idle(target.server)
    server_before = cpu_seconds(target.server.pid)
    wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, capture_output=True, text=True)
    wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_after = cpu_seconds(target.server.pid)
    if done.returncode != 0:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout}")
    match = re.search(r"^BENCH (.*)$", done.stdout, re.MULTILINE)
    if match is None:
        raise BenchError(f"wrk printed no figures:\n{done.stdout}\n{done.stderr}")
    figures = {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", match.group(1))}
    # wrk's own count of error statuses (it counts 400 and above) should never exceed the
    # script's (300 and above); take the larger in case a response slipped past Lua.
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", done.stdout)
    http_errors = max(figures["http_errors"], int(non_2xx.group(1)) if non_2xx else 0)
    first_error = re.search(r"^BENCH-FIRST-ERROR (.*)$", done.stdout, re.MULTILINE)
    wall = figures["duration_us"] / 1e6
    wrk_cpu = sum(getattr(wrk_after, f) - getattr(wrk_before, f) for f in ("ru_utime", "ru_stime"))
    server_cpu = (
        (server_after - server_before) / wall
        if server_before is not None and server_after is not None and wall
        else None
    )
    return Result(
        server=server,
        connections=connections,
        requests=figures["requests"],
        seconds=wall,
        p50_ms=figures["p50_us"] / 1000,
        p95_ms=figures["p95_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        http_errors=http_errors,
        socket_errors=sum(figures[key] for key in ("connect", "read", "write", "timeout")),
        first_error=first_error.group(1) if first_error else "",
        server_cpu=server_cpu,
        wrk_cpu=wrk_cpu / wall if wall else 0.0,
    )


def measure(
    target: Target, *, server: str, duration: float, warmup: float, script: Path
) -> list[Result]:
    """Warm up, then measure, at each number of connections."""
    results = []
    for connections in CONNECTIONS:
        print(f"  {server}, {connections} connections: warm-up {warmup:g} s, run {duration:g} s")
        if warmup > 0:
            run_wrk(target, server=server, connections=connections, seconds=warmup, script=script)
        results.append(
            run_wrk(target, server=server, connections=connections, seconds=duration, script=script)
        )
    return results


def machine() -> str:
    wrk_version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
    return (
        f"{os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{wrk_version.split(' [')[0].strip() or 'wrk'}"
    )


def report(results: list[Result], *, workers: int) -> None:
    print()
    print(
        f"{'server':<9} {'connections':>11} {'requests/s':>11} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'errors':>7} {'server CPU':>11} {'wrk CPU':>8}"
    )
    for r in results:
        server_cpu = f"{r.server_cpu:.0%}" if r.server_cpu is not None else "?"
        print(
            f"{r.server:<9} {r.connections:>11} {r.per_second:>11.1f} {r.p50_ms:>8.1f} "
            f"{r.p95_ms:>8.1f} {r.p99_ms:>8.1f} {r.errors:>7} {server_cpu:>11} "
            f"{r.wrk_cpu:>8.0%}"
        )
    for r in results:
        if r.errors:
            print(
                f"\n{r.server} at {r.connections} connections: {r.http_errors} error "
                f"response(s), {r.socket_errors} socket error(s) or timeout(s)"
            )
            if r.first_error:
                print(f"  first error response: {r.first_error}")
    found = {(r.server, r.connections): r for r in results}
    app_wide = found["app", THROUGHPUT_CONNECTIONS]
    base_wide = found["baseline", THROUGHPUT_CONNECTIONS]
    ratio = app_wide.per_second / base_wide.per_second if base_wide.per_second else 0.0
    throughput_ok = ratio >= THROUGHPUT_TARGET and app_wide.errors == 0
    p95 = found["app", LATENCY_CONNECTIONS].p95_ms
    latency_ok = p95 <= LATENCY_TARGET_MS
    print()
    print(
        f"app/baseline throughput at {THROUGHPUT_CONNECTIONS} connections: {ratio:.2f} "
        f"(target >= {THROUGHPUT_TARGET:.2f} with no errors; app errors: {app_wide.errors})"
        f"  {'PASS' if throughput_ok else 'MISS'}"
    )
    print(
        f"app p95 at {LATENCY_CONNECTIONS} connections: {p95:.1f} ms "
        f"(target <= {LATENCY_TARGET_MS:g} ms)  {'PASS' if latency_ok else 'MISS'}"
    )
    print(
        f"(uvicorn workers per server: {workers}; the targets are set for 2 cores. CPU columns: "
        "CPU time over wall time, 100% = one core busy)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--duration", type=float, default=15, help="seconds measured per run (default 15)"
    )
    parser.add_argument(
        "--warmup", type=float, default=3, help="seconds of warm-up before each run (default 3)"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="uvicorn workers for each server (default 1, as `fidelity start`)",
    )
    args = parser.parse_args()

    def rating_target(server: Server, token: str) -> Target:
        review_id, keys = plan_review(server.base_url, token)
        return Target(server, f"/api/v1/reviews/{review_id}/ratings/", token, keys)

    compare(
        args,
        name="rating save",
        app_script=LUA_SCRIPT,
        baseline_items=25,
        prepare=prepare_database,
        target_of=rating_target,
    )


def compare(
    args: argparse.Namespace,
    *,
    name: str,
    app_script: str,
    baseline_items: int,
    prepare: Callable[[Path], tuple[dict[str, str], str]],
    target_of: Callable[[Server, str], Target],
) -> None:
    """The baseline and then the app, each measured at every number of connections, and
    the report: the baseline's upsert over ``baseline_items`` items, the app through
    ``app_script`` against the target ``target_of`` finds on a database ``prepare`` made."""
    if shutil.which("wrk") is None:
        fail("wrk is not installed; install it: apt-get install wrk")
    print(f"{name} benchmark on {machine()}")
    print(f"uvicorn workers per server: {args.workers}; wrk threads: {WRK_THREADS}")
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="bench-save-") as folder:
        workdir = Path(folder)
        baseline_script = workdir / "baseline.lua"
        baseline_script.write_text(LUA_SCRIPT)
        script = workdir / "app.lua"
        script.write_text(app_script)
        timing = {"duration": args.duration, "warmup": args.warmup}
        try:
            # The baseline, on a database file of its own.
            env = clean_env(BENCH_BASELINE_DB=str(workdir / "baseline.db"))
            with uvicorn_server(
                "baseline", "bench.baseline:create_app", env=env, cwd=workdir, workers=args.workers
            ) as server:
                keys = [f"item-{n:02d}" for n in range(1, baseline_items + 1)]
                target = Target(server, "/ratings/", None, keys)
                results += measure(target, server="baseline", script=baseline_script, **timing)

            # The app, on a migrated database with the demo data.
            env, token = prepare(workdir)
            with uvicorn_server(
                "app", "app.main:create_app", env=env, cwd=workdir, workers=args.workers
            ) as server:
                results += measure(target_of(server, token), server="app", script=script, **timing)
        except BenchError as error:
            fail(str(error))
    report(results, workers=args.workers)


if __name__ == "__main__":
    main()
