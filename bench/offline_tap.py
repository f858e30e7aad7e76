"""What the outbox costs a tap: from the tap to "kept on this device" and to "saved on the
server", against the same change sent straight to the API from the same page.

The app runs under uvicorn on a fresh database with the demo data, as in
bench/rating_save.py. Debian's Chromium (through Playwright) signs in as a reviewer of
the demo's review in progress and opens its scoring screen. Each round taps a level on
an item (the outbox path: IndexedDB, then the rating API, then the item's state drawn)
and, as the baseline, sends a rating of another item with a plain fetch() PUT (what a
page without an outbox would do, with no state drawn). Rounds alternate the two, half a
second apart (a reviewer's pace; the outbox's panel refresh runs in between), at the
machine's speed and with the CPU throttled 4x, about a mid-range tablet.

Run it from the project folder (needs `apt-get install chromium`)::

    .venv/bin/python bench/offline_tap.py

The target: at 4x throttling the median tap is saved on the server within 100 ms, and
kept on the device within 50 ms of the tap.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.services.demo import DEMO_PASSWORD  # noqa: E402
from bench.rating_save import BenchError, fail, prepare_database, uvicorn_server  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
REVIEWER = "amb.sjaelland"
TARGET_SAVED_MS = 100
TARGET_DEVICE_MS = 50

TAP = """async ([key, level]) => {
  const form = document.querySelector(`#item-${key} form`);
  const region = form.querySelector(".save-state-region");
  const input = form.querySelector(`input[name="score"][value="${level}"]`);
  let device = null;
  const started = performance.now();
  const saved = new Promise((resolve) => {
    const observer = new MutationObserver(() => {
      const state = region.querySelector(".save-state");
      if (!state) return;
      if (device === null && state.classList.contains("save-state-device")) {
        device = performance.now() - started;
      }
      const saved = state.classList.contains("save-state-saved");
      if (saved && state.textContent.includes(`Score ${level}`)) {
        observer.disconnect();
        resolve(performance.now() - started);
      }
    });
    observer.observe(region, { childList: true, subtree: true, characterData: true });
  });
  input.click();
  const total = await saved;
  return [device, total];
}"""

PLAIN = """async ([url, level]) => {
  const token = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRF-Token"];
  const started = performance.now();
  const response = await fetch(url, {
    method: "PUT",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
    body: JSON.stringify({ score: level, note: "", evidence: [], client_id: crypto.randomUUID() }),
  });
  await response.json();
  if (!response.ok) throw new Error(`PUT answered ${response.status}`);
  return performance.now() - started;
}"""


def measure(page: Page, base: str, rounds: int, throttle: int) -> dict[str, list[float]]:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
    keys = page.eval_on_selector_all(
        "form[data-outbox][data-kind=anchored]", "forms => forms.map(f => f.dataset.item)"
    )
    if len(keys) < 2:
        raise BenchError("the scoring screen has fewer than two anchored items")
    tapped, plain = keys[0], keys[1]
    review = page.eval_on_selector("form[data-outbox]", "f => f.dataset.review")
    url = f"{base}/api/v1/reviews/{review}/ratings/{plain}"
    result: dict[str, list[float]] = {"device": [], "saved": [], "plain": []}
    for number in range(rounds):
        level = 1 + number % 5
        device, saved = page.evaluate(TAP, [tapped, level])
        page.wait_for_timeout(500)
        result["plain"].append(page.evaluate(PLAIN, [url, level]))
        page.wait_for_timeout(500)
        if device is not None:
            result["device"].append(device)
        result["saved"].append(saved)
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": 1})
    cdp.detach()
    return result


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=40, help="taps per CPU speed")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        fail(f"{CHROMIUM} is missing; install it: apt-get install chromium")
    results: dict[int, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-offline-tap-") as folder:
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
                context = browser.new_context(
                    viewport={"width": 820, "height": 1180}, has_touch=True, is_mobile=True
                )
                page = context.new_page()
                page.goto(f"{server.base_url}/login")
                page.get_by_label("Brugernavn").fill(REVIEWER)
                page.get_by_label("Adgangskode").fill(DEMO_PASSWORD)
                page.get_by_role("button", name="Log ind").click()
                page.wait_for_url(f"{server.base_url}/")
                score_url = _scoring_url(page, server.base_url)
                page.goto(score_url)
                page.wait_for_function("() => document.documentElement.dataset.outbox === 'ready'")
                for throttle in (1, 4):
                    results[throttle] = measure(page, server.base_url, args.rounds, throttle)
                browser.close()
        except BenchError as error:
            fail(str(error))
    report(results)


def _scoring_url(page: Page, base: str) -> str:
    """The scoring screen of the demo review the reviewer is scoring (the API's list, read
    page by page)."""
    address: str | None = "/api/v1/reviews?limit=200"
    while address:
        answer = page.request.get(base + address)
        if not answer.ok:
            break
        found = answer.json()
        for review in found["items"]:
            if review.get("status") == "scoring":
                return f"{base}/reviews/{review['id']}/score"
        address = found["next"]
    raise BenchError(f"{REVIEWER} has no review in scoring: {answer.status} {answer.text()[:200]}")


def report(results: dict[int, dict[str, list[float]]]) -> None:
    print(f"\n{'CPU':>4} {'path':<28} {'median ms':>10} {'p95 ms':>8}")
    rows = (
        ("device", "tap -> kept on the device"),
        ("saved", "tap -> saved on the server"),
        ("plain", "plain PUT (baseline)"),
    )
    for throttle, runs in results.items():
        for key, label in rows:
            values = runs[key]
            print(
                f"{str(throttle) + 'x':>4} {label:<28} {statistics.median(values):>10.1f} "
                f"{p95(values):>8.1f}"
            )
        ratio = statistics.median(runs["saved"]) / statistics.median(runs["plain"])
        print(f"{str(throttle) + 'x':>4} outbox / plain PUT: {ratio:.2f}x the time")
    slow = results[4]
    saved, device = statistics.median(slow["saved"]), statistics.median(slow["device"])
    verdict = "PASS" if saved <= TARGET_SAVED_MS and device <= TARGET_DEVICE_MS else "MISS"
    print(
        f"CPU 4x: saved on the server {saved:.0f} ms (target ≤ {TARGET_SAVED_MS}), "
        f"kept on the device {device:.0f} ms (target ≤ {TARGET_DEVICE_MS})  {verdict}"
    )


if __name__ == "__main__":
    main()
