"""What each page costs in CPU, in one process, with no server and no load generator.

bench/pages.py meets the pages as a browser does, over HTTP under uvicorn; on a 2-core
machine its figures for the same code move by a fifth between two runs, more than most
changes it is asked to judge. This script takes the same routes, on the same database
(bench/pages.py builds it into var/bench-pages), through the ASGI app in this process,
signed in as each role, and prints each request's CPU time (``time.process_time``): the
median of ``--passes`` passes after ``--warmup`` passes, and its ratio to the sign-in page
without data measured the same way in the same run. The downloads are left out (they
are measured by bench/pages.py). It needs the test extras (``make install-test``: the test
client).

Under valgrind's callgrind, which counts instructions the same whatever else the machine
is doing, run it once with ``--passes 1`` and once with ``--passes 3`` (``--warmup 0``,
``PYTHONHASHSEED=0``, each run on its own copy of the database): the difference between
the two totals is two passes with the templates compiled and the caches warm.

    .venv/bin/python bench/in_process.py --out var/in-process.json
    PYTHONHASHSEED=0 valgrind --tool=callgrind .venv/bin/python bench/in_process.py \\
        --folder COPY --warmup 0 --passes 1 --every 5

To compare two versions of the code, copy this file into the other checkout and run it in
each, in turn; ``--compare A.json B.json`` prints B over A at the median request.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pages import HTMX, PASSWORD, ROLES, candidates, variants  # noqa: E402
from bench.rating_save import REPO_ROOT  # noqa: E402

BASELINE = "anonymous /login"
DOWNLOADS = {
    "admin_audit_csv",
    "api_export_ratings",
    "api_export_reviews",
    "national_workbook",
    "review_report_pdf",
    "review_scoresheet",
}


def measure(folder: Path, *, warmup: int, passes: int, every: int) -> dict[str, float]:
    """The median CPU milliseconds of each request, keyed "role path"."""
    database = folder / "pages.db"
    if not database.exists():
        sys.exit(f"no {database}: run bench/pages.py once to build it")
    os.environ["FIDELITY_DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["FIDELITY_ENVIRONMENT"] = "development"
    warnings.simplefilter("ignore")  # the test client's notices are not the subject
    from starlette.testclient import TestClient  # noqa: PLC0415

    from app.main import create_app  # noqa: PLC0415

    routes = [v for v in variants(candidates(database), None) if v.name not in DOWNLOADS]
    spent: dict[str, list[float]] = {}
    with TestClient(create_app(), base_url="http://bench") as client:
        for number in range(warmup + passes):  # the baseline: the sign-in page, no data
            started = time.process_time()
            client.get("/login")
            if number >= warmup:
                spent.setdefault(BASELINE, []).append((time.process_time() - started) * 1000)
        for role, username in ROLES.items():
            client.cookies.clear()
            page = client.get("/login").text
            token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            form = {"username": username, "password": PASSWORD, "csrf_token": token}
            signed_in = client.post(
                "/login", data=form, headers={"Origin": "http://bench"}, follow_redirects=False
            )
            if signed_in.status_code != 303:
                sys.exit(f"signing in as {username} answered {signed_in.status_code}")
            # sorted, so that --every picks the same requests whatever the routes' order
            paths = sorted(v.path_options[0] + v.query for v in routes)[::every]
            # As bench/pages.py: a fragment that sends a person to its whole screen (303)
            # is asked for as htmx asks for it.
            headers = {
                path: HTMX if client.get(path, follow_redirects=False).status_code == 303 else {}
                for path in paths
            }
            for number in range(warmup + passes):
                for path in paths:
                    started = time.process_time()
                    answer = client.get(path, headers=headers[path], follow_redirects=False)
                    used = (time.process_time() - started) * 1000
                    if answer.status_code == 200 and number >= warmup:
                        spent.setdefault(f"{role} {path}", []).append(used)
    return {request: statistics.median(times) for request, times in spent.items()}


def compare(first: Path, second: Path) -> None:
    a, b = (json.loads(path.read_text()) for path in (first, second))
    ratios = sorted(b[k] / a[k] for k in a.keys() & b.keys() if a[k] > 0.5)
    quarters = statistics.quantiles(ratios, n=4)
    print(
        f"{second.name} over {first.name}, {len(ratios)} requests: median "
        f"{statistics.median(ratios):.2f}, middle half {quarters[0]:.2f}-{quarters[2]:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, default=REPO_ROOT / "var" / "bench-pages")
    parser.add_argument("--warmup", type=int, default=2, help="passes not counted")
    parser.add_argument("--passes", type=int, default=7, help="passes counted")
    parser.add_argument("--every", type=int, default=1, help="every n-th route only")
    parser.add_argument("--out", type=Path, help="write the medians here as JSON")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("A", "B"))
    args = parser.parse_args()
    if args.compare:
        compare(*args.compare)
        return
    found = measure(args.folder.resolve(), warmup=args.warmup, passes=args.passes, every=args.every)
    base = found[BASELINE]
    print(f"baseline: {BASELINE}, {base:.2f} ms of CPU")
    for request, ms in sorted(found.items()):
        print(f"{ms:8.1f} ms {ms / base:7.1f} x baseline  {request}")
    print(f"{len(found)} requests, {sum(found.values()):.0f} ms of CPU at the median")
    if args.out:
        args.out.write_text(json.dumps(found, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()
