"""The national overview and the ratings export, on 100,000 finalised reviews.

It builds a SQLite database the way an operator would (``fidelity db upgrade``, then
``fidelity demo --synthetic-reviews 100000``: 2.5 million ratings), then measures:

1. **The overview's data**: ``national_overview.overview()`` as the page calls it, for the whole
   country, for a past year and for one region; against a baseline of hand-written SQL
   that computes the same figures (levels per year, the year's teams and levels per
   region, the year's mean per item, the teams' latest two reviews) on a plain sqlite3
   connection, fetched and nothing more. Medians of five runs each, after one warm-up.
2. **The ratings CSV**: the app under uvicorn, ``GET /api/v1/exports/ratings?format=csv``
   with an analyst's token, read as it streams: the time to the first byte, rows per
   second, and the server's resident memory, sampled every 20 ms, against what it held
   before the request.

Run it from the project folder::

    .venv/bin/python bench/national.py                 # builds in a temporary folder
    .venv/bin/python bench/national.py --keep var/bench-national   # keeps (and reuses) it

Targets (printed with the figures): the overview's data under 500 ms and within 3x the
hand-written queries; the CSV at 200,000 rows/s or more, with peak memory growth under
100 MB.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.rating_save import (  # noqa: E402
    BenchError,
    clean_env,
    fail,
    run_cli,
    uvicorn_server,
)

REVIEWS = 100_000
RUNS = 5
TARGET_MS = 500
TARGET_RATIO = 3.0
TARGET_ROWS_PER_SECOND = 200_000
TARGET_MEMORY_MB = 100


def build(folder: Path, reviews: int) -> dict[str, str]:
    database = folder / "national.db"
    env = clean_env(
        FIDELITY_DATABASE_URL=f"sqlite:///{database}", FIDELITY_ENVIRONMENT="development"
    )
    if database.exists():
        print(f"using the database already in {folder}")
        run_cli(["db", "upgrade"], env=env, cwd=folder)
        return env
    folder.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    run_cli(["db", "upgrade"], env=env, cwd=folder)
    print(run_cli(["demo", "--synthetic-reviews", str(reviews)], env=env, cwd=folder).strip())
    print(f"built in {time.monotonic() - started:.0f} s")
    return env


def median_ms(work: Callable[[], object]) -> float:
    work()  # warm-up: the first run pays for the page cache and compiled statements
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def app_overview(database: Path, filters: dict[str, int]) -> Callable[[], object]:
    from sqlmodel import Session  # noqa: PLC0415

    from app.config import Settings  # noqa: PLC0415
    from app.db.engines import create_db_engine  # noqa: PLC0415
    from app.services import national_overview  # noqa: PLC0415
    from app.services.access import Principal  # noqa: PLC0415
    from app.services.national_filters import Filters  # noqa: PLC0415

    engine = create_db_engine(Settings(database_url=f"sqlite:///{database}"))
    chosen = Filters(**filters)  # type: ignore[arg-type]

    def work() -> object:
        # The figures as they are made, not as they are kept between requests: the page
        # keeps an overview until a review is finalised or reopened (docs/architecture.md).
        national_overview.forget_figures()
        with Session(engine) as session:
            return national_overview.overview(
                session,
                principal=Principal.system(),
                filters=chosen,
                today=date(2026, 11, 24),
                months_below_good=6,
                months=12,
            )

    return work


def hand_written(database: Path, filters: dict[str, int]) -> Callable[[], object]:
    """The same figures as plain SQL on a plain connection: what someone would write
    by hand to get them, fetched and nothing more."""
    connection = sqlite3.connect(database)
    region = filters.get("region")
    in_region = (
        "AND v.team_id IN (SELECT tm.team_id FROM team_municipality tm JOIN municipality m "
        f"ON m.code = tm.municipality_code WHERE m.region_code = {int(region)})"
        if region
        else ""
    )
    team_region = (
        "AND t.id IN (SELECT tm.team_id FROM team_municipality tm JOIN municipality m "
        f"ON m.code = tm.municipality_code WHERE m.region_code = {int(region)})"
        if region
        else ""
    )
    latest_year = "SELECT max(substr(visit_date, 1, 4)) FROM review v WHERE status = 'finalised' "
    year = filters.get("year") or connection.execute(latest_year + in_region).fetchone()[0]
    start, end = f"{year}-01-01", f"{int(year) + 1}-01-01"
    in_year = (
        f"v.status = 'finalised' AND v.visit_date >= '{start}' AND v.visit_date < '{end}' "
        + in_region
    )
    statements = [
        "SELECT substr(visit_date, 1, 4), level_key, count(*) FROM review v "
        f"WHERE status = 'finalised' {in_region} GROUP BY 1, 2",
        f"SELECT count(DISTINCT team_id) FROM review v WHERE {in_year}",
        f"SELECT count(*) FROM team t WHERE is_active {team_region}",
        "SELECT count(DISTINCT tm.municipality_code) FROM team_municipality tm "
        f"JOIN team t ON t.id = tm.team_id WHERE t.is_active {team_region}",
        "SELECT region_code, level_key, count(*) FROM (SELECT DISTINCT v.id, v.level_key, "
        "m.region_code FROM review v JOIN team_municipality tm ON tm.team_id = v.team_id "
        f"JOIN municipality m ON m.code = tm.municipality_code WHERE {in_year}) GROUP BY 1, 2",
        "SELECT v.scale_version_id, r.item_key, avg(r.score), count(r.score) "
        "FROM review v CROSS JOIN rating r ON r.review_id = v.id "
        f"WHERE {in_year} AND r.rater_kind = 'consensus' GROUP BY 1, 2",
        "SELECT t.id, t.name, x.visit_date, x.scale_version_id, x.total_score, x.level_key "
        "FROM team t LEFT JOIN (SELECT team_id, visit_date, scale_version_id, total_score, "
        "level_key, row_number() OVER (PARTITION BY team_id ORDER BY visit_date DESC, id DESC) "
        f"AS n FROM review WHERE status = 'finalised' AND visit_date < '{end}') x "
        f"ON x.team_id = t.id AND x.n <= 2 WHERE t.is_active {team_region}",
        "SELECT DISTINCT tm.team_id, r.name FROM team_municipality tm JOIN municipality m "
        "ON m.code = tm.municipality_code JOIN region r ON r.code = m.region_code",
    ]

    def work() -> object:
        return [connection.execute(statement).fetchall() for statement in statements]

    return work


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def stream_csv(env: dict[str, str], folder: Path) -> dict[str, float]:
    printed = run_cli(["users", "token", "analytiker.star", "--name", "bench"], env=env, cwd=folder)
    token = next((w for w in printed.split() if w.startswith("ipsf_")), None)
    if token is None:
        raise BenchError(f"no token in {printed!r}")
    with uvicorn_server(
        "national", "app.main:create_app", env=env, cwd=folder, workers=1
    ) as server:
        before = rss_kb(server.pid)
        peak = before
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, rss_kb(server.pid))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        request = urllib.request.Request(
            f"{server.base_url}/api/v1/exports/ratings?format=csv",
            headers={"Authorization": f"Bearer {token}"},
        )
        started = time.perf_counter()
        first_byte = None
        size = lines = 0
        with urllib.request.urlopen(request, timeout=600) as response:
            while chunk := response.read(256 * 1024):
                if first_byte is None:
                    first_byte = time.perf_counter() - started
                size += len(chunk)
                lines += chunk.count(b"\n")
        elapsed = time.perf_counter() - started
        done.set()
        sampler.join()
    rows = lines - 1  # the header
    return {
        "rows": rows,
        "megabytes": size / 1e6,
        "seconds": elapsed,
        "first_byte_ms": (first_byte or 0) * 1000,
        "rows_per_second": rows / elapsed,
        "rss_before_mb": before / 1024,
        "rss_growth_mb": (peak - before) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reviews", type=int, default=REVIEWS, help="synthetic reviews to build")
    parser.add_argument("--keep", type=Path, help="build (or reuse) the database in this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-national-") as scratch:
        folder = (args.keep or Path(scratch)).resolve()
        env = build(folder, args.reviews)
        database = folder / "national.db"
        print(f"\n1. The overview's data (median of {RUNS} runs, ms)\n")
        print(f"{'view':<22} {'app':>8} {'hand SQL':>9} {'ratio':>6}  target")
        for name, filters in (
            ("whole country", {}),
            ("one past year (2022)", {"year": 2022}),
            ("one region (1084)", {"region": 1084}),
        ):
            app_ms = median_ms(app_overview(database, filters))
            base_ms = median_ms(hand_written(database, filters))
            ratio = app_ms / base_ms
            verdict = "PASS" if app_ms < TARGET_MS and ratio <= TARGET_RATIO else "MISS"
            print(f"{name:<22} {app_ms:>8.0f} {base_ms:>9.0f} {ratio:>6.2f}  {verdict}")
        print("\n2. The ratings CSV through the API\n")
        found = stream_csv(env, folder)
        verdict = (
            "PASS"
            if found["rows_per_second"] >= TARGET_ROWS_PER_SECOND
            and found["rss_growth_mb"] < TARGET_MEMORY_MB
            else "MISS"
        )
        print(
            f"{found['rows']:.0f} rows, {found['megabytes']:.0f} MB in {found['seconds']:.1f} s: "
            f"{found['rows_per_second']:,.0f} rows/s; first byte after "
            f"{found['first_byte_ms']:.0f} ms; server memory {found['rss_before_mb']:.0f} MB "
            f"before, peak growth {found['rss_growth_mb']:.1f} MB  {verdict}"
        )


if __name__ == "__main__":
    try:
        main()
    except BenchError as error:
        fail(str(error))
