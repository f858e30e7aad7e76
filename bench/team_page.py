"""How heavy and how fast the team page is with its charts, next to a page without charts.

The app runs under uvicorn on a fresh database with the demo data, as in
bench/rating_save.py. Debian's Chromium (through Playwright) signs in as the demo's team
leader for Aarhus and loads, each from a cold cache, the team list (the baseline: the
same site furniture, no charts) and the team page. For each load it records the bytes
that came over the wire (compressed, as the browser received them, from the DevTools
protocol), the time to the load event, and, for the team page, the time until every
chart is drawn. It does this at the machine's speed and with the CPU throttled 4x, which
is about what a mid-range tablet does with the same JavaScript.

Run it from the project folder (needs `apt-get install chromium`)::

    .venv/bin/python bench/team_page.py

The target (under 600 KB compressed for the team page with all its charts) is printed
with the figures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.services.demo import DEMO_PASSWORD  # noqa: E402
from bench.rating_save import BenchError, fail, prepare_database, uvicorn_server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
USERNAME = "leder.aarhus"
TEAM = "IPS-team Aarhus"
TARGET_BYTES = 600 * 1024


@dataclass(frozen=True)
class Load:
    page: str
    throttle: int
    transferred: int  # bytes over the wire, compressed
    requests: int
    load_ms: float
    charts_ms: float | None


def measure(page: Page, url: str, name: str, throttle: int, *, charts: bool) -> Load:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
    sizes: dict[str, float] = {}
    cdp.on(
        "Network.loadingFinished",
        lambda event: sizes.__setitem__(event["requestId"], event["encodedDataLength"]),
    )
    started = time.perf_counter()
    page.goto(url, wait_until="load")
    load_ms = (time.perf_counter() - started) * 1000
    charts_ms = None
    if charts:
        page.wait_for_function(
            "document.querySelectorAll('.chart[data-drawn=\"true\"]').length === "
            "document.querySelectorAll('.chart').length",
            timeout=60_000,
        )
        charts_ms = (time.perf_counter() - started) * 1000
    page.wait_for_timeout(300)  # the last loadingFinished events
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    cdp.detach()
    return Load(name, throttle, int(sum(sizes.values())), len(sizes), load_ms, charts_ms)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="loads per page and speed")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        fail(f"{CHROMIUM} is missing; install it: apt-get install chromium")
    results: list[Load] = []
    with tempfile.TemporaryDirectory(prefix="bench-team-page-") as folder:
        workdir = Path(folder)
        try:
            env, _ = prepare_database(workdir)
            with (
                uvicorn_server(
                    "app", "app.main:create_app", env=env, cwd=workdir, workers=1
                ) as server,
                sync_playwright() as playwright,
            ):
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
                )
                context = browser.new_context(viewport={"width": 820, "height": 1180})
                page = context.new_page()
                page.goto(f"{server.base_url}/login")
                page.get_by_label("Brugernavn").fill(USERNAME)
                page.get_by_label("Adgangskode").fill(DEMO_PASSWORD)
                page.get_by_role("button", name="Log ind").click()
                page.wait_for_url(f"{server.base_url}/")
                page.goto(f"{server.base_url}/teams")
                team_url = server.base_url + str(
                    page.get_by_role("link", name=TEAM).get_attribute("href")
                )
                for throttle in (1, 4):
                    for _ in range(args.runs):
                        results.append(
                            measure(
                                page,
                                f"{server.base_url}/teams",
                                "team list",
                                throttle,
                                charts=False,
                            )
                        )
                        results.append(measure(page, team_url, "team page", throttle, charts=True))
                browser.close()
        except BenchError as error:
            fail(str(error))
    report(results)


def report(results: list[Load]) -> None:
    print(
        f"\n{'page':<10} {'CPU':>4} {'KB over wire':>13} {'requests':>9} "
        f"{'load ms':>9} {'charts ms':>10}   (median of each)"
    )
    medians: dict[tuple[str, int], tuple[float, float]] = {}
    for name in ("team list", "team page"):
        for throttle in (1, 4):
            runs = [r for r in results if r.page == name and r.throttle == throttle]
            size = statistics.median(r.transferred for r in runs) / 1024
            load = statistics.median(r.load_ms for r in runs)
            drawn = [r.charts_ms for r in runs if r.charts_ms is not None]
            charts = f"{statistics.median(drawn):>10.0f}" if drawn else f"{'–':>10}"
            print(
                f"{name:<10} {str(throttle) + 'x':>4} {size:>13.1f} {runs[0].requests:>9} "
                f"{load:>9.0f} {charts}"
            )
            medians[name, throttle] = (size, load)
    for throttle in (1, 4):
        page_size, page_load = medians["team page", throttle]
        list_size, list_load = medians["team list", throttle]
        print(
            f"CPU {throttle}x: team page / team list: {page_size / list_size:.1f}x the bytes, "
            f"{page_load / list_load:.1f}x the time to load"
        )
    size = medians["team page", 1][0] * 1024
    verdict = "PASS" if size < TARGET_BYTES else "MISS"
    print(
        f"team page over the wire: {size / 1024:.0f} KB (target < {TARGET_BYTES // 1024} KB)"
        f"  {verdict}"
    )


if __name__ == "__main__":
    main()
