"""What the workshop's writes and its sandbox cost, on ten years of data, next to a
baseline measured in the same run.

``bench/pages.py`` times every GET; this times what the panel posts. On a copy of the
100,000-review database that ``bench/pages.py`` builds (``var/bench-pages/pages.db``;
run that first), under uvicorn with one worker as ``fidelity serve`` runs it, a panel
member signs in through the form, starts a draft of the IPS-25 and then, one request at a
time, ``--runs`` times each after one warm-up:

- saves an item's form (the whole definition checked as a file is, compared with the
  version before it and written as its file to know its size; the revision raised, the
  audit trail written);
- sends an item's form with a gap between two bands (refused: nothing stored, the form
  again with the problem beside its field);
- saves the scale-wide form;
- scores the sandbox review (every item of the scale read and scored, nothing stored);
- downloads the draft's file, and replaces the draft with it (read, checked, stored);
- starts a draft of the implementation-status instrument and saves its whole form (the
  status bands changed back and forth) and a point's form (moved between two elements,
  so every point is numbered again).

The baseline is the sign-in page, which touches no data. Run it from the project folder::

    .venv/bin/python bench/pages.py --no-downloads     # builds the database once
    .venv/bin/python bench/workshop.py --runs 20

Target (printed with the figures): every request at most 300 ms at the 95th percentile,
as a page's budget. It exits 0 whether or not the target is met, and 1 only when it
cannot measure.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.pages import TARGET_P95_MS, Client, sign_in  # noqa: E402
from bench.rating_save import BenchError, clean_env, fail, uvicorn_server  # noqa: E402

DATABASE = Path(__file__).resolve().parent.parent / "var/bench-pages/pages.db"
PANEL = "panel.bjerg"
RUNS = 20


def form_fields(html: bytes, form_selector: str) -> list[tuple[str, str]]:
    """A form's fields as a browser posts them (text, hidden, checked boxes, selects'
    chosen options, text areas), read with the standard library's HTML parser."""
    from html.parser import HTMLParser

    class Reader(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.inside = False
            self.fields: list[tuple[str, str]] = []
            self.select: str | None = None
            self.chosen: str | None = None
            self.first: str | None = None
            self.area: str | None = None
            self.text = ""

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found = {k: v or "" for k, v in attrs}
            if tag == "form" and form_selector in found.get("class", ""):
                self.inside = True
            if not self.inside:
                return
            if tag == "input" and found.get("name"):
                kind = found.get("type", "text")
                if kind in ("checkbox", "radio") and "checked" not in found:
                    return
                if kind != "file":
                    self.fields.append((found["name"], found.get("value", "")))
            elif tag == "select":
                self.select, self.chosen, self.first = found.get("name"), None, None
            elif tag == "option" and self.select is not None:
                if self.first is None:
                    self.first = found.get("value", "")
                if "selected" in found:
                    self.chosen = found.get("value", "")
            elif tag == "textarea":
                self.area, self.text = found.get("name"), ""

        def handle_endtag(self, tag: str) -> None:
            if not self.inside:
                return
            if tag == "select" and self.select:
                self.fields.append((self.select, self.chosen or self.first or ""))
                self.select = None
            elif tag == "textarea" and self.area:
                self.fields.append((self.area, self.text.removeprefix("\n")))
                self.area = None
            elif tag == "form":
                self.inside = False

        def handle_data(self, data: str) -> None:
            if self.area is not None:
                self.text += data

    reader = Reader()
    reader.feed(html.decode("utf-8"))
    return reader.fields


class Panel:
    """The panel member's browser: their session, its CSRF token, and posting forms."""

    def __init__(self, client: Client) -> None:
        self.client = client
        status, body, _ = client.get("/account")
        found = re.search(rb'name="csrf_token" value="([^"]+)"', body)
        if status != 200 or found is None:
            raise BenchError("the account page did not carry a CSRF token")
        self.csrf = found.group(1).decode()

    def post(self, path: str, fields: list[tuple[str, str]]) -> tuple[int, bytes]:
        body = urlencode([("csrf_token", self.csrf), *fields])
        response = self.client.request(
            "POST",
            path,
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        return response.status, response.read()

    def upload(self, path: str, fields: list[tuple[str, str]], name: str, data: bytes) -> int:
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
            for key, value in [("csrf_token", self.csrf), *fields]
        ]
        head = "".join(parts).encode()
        file_part = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/yaml\r\n\r\n"
        ).encode()
        body = head + file_part + data + f"\r\n--{boundary}--\r\n".encode()
        response = self.client.request(
            "POST",
            path,
            body=body,  # type: ignore[arg-type]
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        response.read()
        return response.status


def timed(runs: int, step: Callable[[int], int], expect: int) -> list[float]:
    """``runs`` requests after one warm-up, each checked for the status it must answer."""
    times = []
    for index in range(runs + 1):
        start = time.perf_counter()
        status = step(index)
        elapsed = (time.perf_counter() - start) * 1000
        if status != expect:
            raise BenchError(f"request {index} answered {status}, not {expect}")
        if index:
            times.append(elapsed)
    return times


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS, help="requests per kind")
    args = parser.parse_args()
    if not DATABASE.exists():
        fail(f"{DATABASE} is missing: run bench/pages.py first, which builds it")
    with tempfile.TemporaryDirectory(prefix="bench-workshop-") as folder:
        copy = Path(folder) / "workshop.db"
        shutil.copyfile(DATABASE, copy)
        env = clean_env(
            FIDELITY_DATABASE_URL=f"sqlite:///{copy}", FIDELITY_ENVIRONMENT="development"
        )
        serving = uvicorn_server(
            "workshop", "app.main:create_app", env=env, cwd=Path(folder), workers=1
        )
        with serving as server:
            host, port = server.base_url.removeprefix("http://").split(":")
            client = Client(host, int(port))
            sign_in(client, PANEL)
            measure(Panel(client), args.runs)


def measure(panel: Panel, runs: int) -> None:
    version = f"b{uuid.uuid4().hex[:8]}"
    status, _ = panel.post("/scales/drafts", [("base", "ips-25:2019"), ("version", version)])
    if status != 303:
        raise BenchError(f"starting a draft answered {status}")
    draft = f"/scales/ips-25/{version}"
    item = f"{draft}/items/employment-services-staff"
    _, page, _ = panel.client.get(item)
    item_form = form_fields(page, "workshop-form")
    _, page, _ = panel.client.get(f"{draft}/edit")
    scale_form = form_fields(page, "workshop-form")
    revision = [1]

    def with_revision(fields: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(k, str(revision[0]) if k == "revision" else v) for k, v in fields]

    def save_item(index: int) -> int:
        # The evidence sources change back and forth: a real change, same meaning.
        fields = [(k, v) for k, v in with_revision(item_form) if k != "evidence"]
        fields += [("evidence", "MIS"), ("evidence", "DOC" if index % 2 else "INT")]
        status, _ = panel.post(item, fields)
        revision[0] += status == 303
        return status

    def refuse_item(index: int) -> int:
        fields = [
            (k, "83" if k == "banding-bands-1-min" else v) for k, v in with_revision(item_form)
        ]
        return panel.post(item, fields)[0]

    def save_scale(index: int) -> int:
        fields = [
            (k, f"Bench {index}" if k == "title-da" else v) for k, v in with_revision(scale_form)
        ]
        status, _ = panel.post(f"{draft}/edit", fields)
        revision[0] += status == 303
        return status

    _, page, _ = panel.client.get(f"{draft}/preview")
    sandbox = [(k, v) for k, v in form_fields(page, "sandbox") if k != "csrf_token"]
    sandbox = [(k, v) for k, v in sandbox if not k.endswith(":none_present")]
    scores = re.findall(rb'name="([a-z0-9-]+):score" value="4"', page)
    sandbox += [(name.decode() + ":score", "4") for name in scores]

    def score_sandbox(index: int) -> int:
        return panel.post(f"{draft}/preview", sandbox)[0]

    def download(index: int) -> int:
        return panel.client.get(f"{draft}/file")[0]

    _, text, _ = panel.client.get(f"{draft}/file")

    def replace(index: int) -> int:
        status = panel.upload("/scales/upload", [("revision", str(revision[0]))], "d.yaml", text)
        revision[0] += status == 303
        return status

    instrument_rows = measure_instrument(panel, runs)

    # The sign-in page, read by a browser not signed in (a signed-in one is sent on).
    anonymous = Client(panel.client.host, panel.client.port)
    baseline = timed(runs, lambda i: anonymous.get("/login")[0], 200)
    rows = [
        ("POST an item's form (saved)", timed(runs, save_item, 303)),
        ("POST an item's form (refused: a gap)", timed(runs, refuse_item, 422)),
        ("POST the scale-wide form (saved)", timed(runs, save_scale, 303)),
        ("POST the sandbox review (25 items scored)", timed(runs, score_sandbox, 200)),
        ("GET the draft's file", timed(runs, download, 200)),
        ("POST a file replacing the draft", timed(runs, replace, 303)),
        *instrument_rows,
    ]
    base = statistics.median(baseline)
    print(f"baseline GET /login: p50 {base:.1f} ms, p95 {p95(baseline):.1f} ms ({runs} runs)")
    print(f"{'request':<44} {'p50 ms':>8} {'p95 ms':>8} {'×base':>7}  target p95 ≤ {TARGET_P95_MS}")
    passed = True
    for name, times in rows:
        ok = p95(times) <= TARGET_P95_MS
        passed &= ok
        median = statistics.median(times)
        print(
            f"{name:<44} {median:>8.1f} {p95(times):>8.1f} {median / base:>7.1f}  "
            f"{'ok' if ok else 'MISS'}"
        )
    print("overall", "PASS" if passed else "MISS")


def measure_instrument(panel: Panel, runs: int) -> list[tuple[str, list[float]]]:
    """The instrument's forms saved: the whole instrument, and a point moved."""
    version = f"b{uuid.uuid4().hex[:8]}"
    base = "implementeringsstatus:2026"
    status, _ = panel.post("/scales/drafts", [("base", base), ("version", version)])
    if status != 303:
        raise BenchError(f"starting an instrument draft answered {status}")
    draft = f"/scales/implementeringsstatus/{version}"
    point = f"{draft}/points/staff-work-by-principles"
    _, page, _ = panel.client.get(f"{draft}/instrument")
    whole = form_fields(page, "workshop-form")
    _, page, _ = panel.client.get(point)
    point_form = form_fields(page, "workshop-form")
    revision = [1]

    def with_revision(fields: list[tuple[str, str]]) -> list[tuple[str, str]]:
        return [(k, str(revision[0]) if k == "revision" else v) for k, v in fields]

    def save_whole(index: int) -> int:
        # The second status band ends at 3.3, then at 3.4 again (as shipped), and so on:
        # every request a change, the third band starting just after.
        end = "3,3" if index % 2 == 0 else "3,4"
        start = "3,4" if index % 2 == 0 else "3,5"
        changed = {"status-bands-1-max": end, "status-bands-2-min": start}
        fields = [(k, changed.get(k, v)) for k, v in with_revision(whole)]
        status, _ = panel.post(f"{draft}/instrument", fields)
        revision[0] += status == 303
        return status

    def move_point(index: int) -> int:
        element = "data" if index % 2 == 0 else "principles"  # away, then back
        fields = [(k, element if k == "element" else v) for k, v in with_revision(point_form)]
        status, _ = panel.post(point, fields)
        revision[0] += status == 303
        return status

    return [
        ("POST the instrument's whole form (saved)", timed(runs, save_whole, 303)),
        ("POST a point's form (moved, renumbered)", timed(runs, move_point, 303)),
    ]


if __name__ == "__main__":
    try:
        main()
    except BenchError as error:
        fail(str(error))
