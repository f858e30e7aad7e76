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
``PYTHONHASHSEED=0``): the difference between the two totals is two passes with the
templates compiled and the caches warm. Each run works on its own copy of the database
(viewing pages writes to the audit trail, which the next run would otherwise read).

    .venv/bin/python bench/in_process.py --out var/in-process.json
    PYTHONHASHSEED=0 valgrind --tool=callgrind .venv/bin/python bench/in_process.py \\
        --warmup 0 --passes 1 --every 5

Every figure includes what the test client itself costs a request; the script measures
that floor (a bare Starlette app through the same client) and prints it. To compare two
versions of the code, copy this file into the other checkout and run it in each, in turn;
``--compare A.json B.json`` prints B over A at the median request with the floor taken
off both, and names any request that answered in one run and not in the other. A server
error in a run makes it exit 1.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

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


@dataclass
class Found:
    """Each request's median CPU milliseconds (the 200s), the status of any other answer,
    and what the test client itself costs a request (the floor, in every figure)."""

    ms: dict[str, float] = field(default_factory=dict)
    status: dict[str, int] = field(default_factory=dict)
    floor: float = 0.0


def cpu_ms(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.process_time()
    answer = call()
    return (time.process_time() - started) * 1000, answer


def client_floor(runs: int) -> float:
    """The CPU a request costs the test client and Starlette with nothing behind them."""
    from starlette.applications import Starlette  # noqa: PLC0415
    from starlette.responses import PlainTextResponse  # noqa: PLC0415
    from starlette.routing import Route  # noqa: PLC0415
    from starlette.testclient import TestClient  # noqa: PLC0415

    bare = Starlette(routes=[Route("/", lambda request: PlainTextResponse("ok"))])
    with TestClient(bare) as client:
        return statistics.median(cpu_ms(lambda: client.get("/"))[0] for _ in range(runs))


def measure(source: Path, *, warmup: int, passes: int, every: int) -> Found:
    """Sign in as each role and take every route through the app; on a copy of the
    database, since viewing pages writes to the audit trail the next run would read."""
    if not (source / "pages.db").exists():
        sys.exit(f"no {source / 'pages.db'}: run bench/pages.py once to build it")
    warnings.simplefilter("ignore")  # the test client's notices are not the subject
    found = Found(floor=client_floor(50))
    with tempfile.TemporaryDirectory(prefix="bench-in-process-") as folder:
        database = Path(folder) / "pages.db"
        shutil.copyfile(source / "pages.db", database)
        os.environ["FIDELITY_DATABASE_URL"] = f"sqlite:///{database}"
        os.environ["FIDELITY_ENVIRONMENT"] = "development"
        from starlette.testclient import TestClient  # noqa: PLC0415

        from app.main import create_app  # noqa: PLC0415

        routes = [v for v in variants(candidates(database), None) if v.name not in DOWNLOADS]
        # sorted, so that --every picks the same requests whatever the routes' order
        paths = sorted(v.path_options[0] + v.query for v in routes)[::every]
        spent: dict[str, list[float]] = {}
        with TestClient(create_app(), base_url="http://bench") as client:
            for number in range(warmup + passes):  # the baseline: the sign-in page, no data
                used, _ = cpu_ms(lambda: client.get("/login"))
                if number >= warmup:
                    spent.setdefault(BASELINE, []).append(used)
            for role, username in ROLES.items():
                sign_in(client, username)
                # As bench/pages.py: a fragment that sends a person to its whole screen
                # (303) is asked for as htmx asks for it.
                headers = {
                    path: HTMX
                    if client.get(path, follow_redirects=False).status_code == 303
                    else {}
                    for path in paths
                }
                for number in range(warmup + passes):
                    for path in paths:
                        used, answer = cpu_ms(
                            lambda p=path, h=headers[path]: client.get(
                                p, headers=h, follow_redirects=False
                            )
                        )
                        if answer.status_code != 200:
                            found.status[f"{role} {path}"] = answer.status_code
                        elif number >= warmup:
                            spent.setdefault(f"{role} {path}", []).append(used)
    found.ms = {request: statistics.median(times) for request, times in spent.items()}
    return found


def sign_in(client: Any, username: str) -> None:
    client.cookies.clear()
    page = client.get("/login").text
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    form = {"username": username, "password": PASSWORD, "csrf_token": token}
    answer = client.post(
        "/login", data=form, headers={"Origin": "http://bench"}, follow_redirects=False
    )
    if answer.status_code != 303:
        sys.exit(f"signing in as {username} answered {answer.status_code}")


def compare(first: Path, second: Path) -> None:
    """The second run over the first at the median request, the client's floor taken off
    both; and every request that answered in one run and not in the other."""
    a, b = (json.loads(path.read_text()) for path in (first, second))
    net_a = {k: v - a["floor"] for k, v in a["ms"].items()}
    net_b = {k: v - b["floor"] for k, v in b["ms"].items()}
    ratios = sorted(net_b[k] / net_a[k] for k in net_a.keys() & net_b.keys() if net_a[k] > 0.5)
    quarters = statistics.quantiles(ratios, n=4)
    print(
        f"{second.name} over {first.name}, {len(ratios)} requests, the test client's floor "
        f"({a['floor']:.2f} and {b['floor']:.2f} ms) taken off: median "
        f"{statistics.median(ratios):.2f}, middle half {quarters[0]:.2f}-{quarters[2]:.2f}"
    )
    for request in sorted(a["ms"].keys() ^ b["ms"].keys()):
        said = {name: run["status"].get(request, 200 if request in run["ms"] else "-")
                for name, run in ((first.name, a), (second.name, b))}  # fmt: skip
        print(f"  answered differently: {request} {said}")


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
    base = found.ms[BASELINE]
    print(
        f"baseline: {BASELINE}, {base:.2f} ms of CPU; the test client's floor {found.floor:.2f} ms"
    )
    for request, ms in sorted(found.ms.items()):
        print(f"{ms:8.1f} ms {ms / base:7.1f} x baseline  {request}")
    for request, status in sorted(found.status.items()):
        print(f"     {status} {request}")
    print(f"{len(found.ms)} requests, {sum(found.ms.values()):.0f} ms of CPU at the median")
    if args.out:
        args.out.write_text(json.dumps(asdict(found), indent=1, sort_keys=True))
    if any(status >= 500 for status in found.status.values()):
        sys.exit("a request failed with a server error")


if __name__ == "__main__":
    main()
