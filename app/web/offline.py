"""What lets a tablet score without a network, on the server's side: the service worker
(``/sw.js``), the page it shows when nothing else can be shown (``/offline``), and the
administrator's import of the outbox file a reviewer downloaded from a tablet that could
not send its changes.

The outbox itself lives in the browser (``app/static/js/outbox.js``); it replays changes
through the rating API, which stores each ``client_id`` once. The import goes through the
same service call, so a change that reached the server both ways is stored once.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from app.config import PROJECT_ROOT
from app.errors import DomainError, Invalid
from app.services import access, audit, scoring, users
from app.services.access import Principal
from app.web.api import ConsensusIn, RatingIn
from app.web.auth import AdminPrincipal
from app.web.htmx import render

router = APIRouter()

STATIC = PROJECT_ROOT / "app" / "static"
WORKER = STATIC / "js" / "sw.js"
OFFLINE_PAGE = "/offline"
# What a tablet needs to draw a kept scoring screen without a network.
SHELL = (
    OFFLINE_PAGE,
    "/static/css/app.css",
    "/static/js/app.js",
    "/static/js/outbox-core.js",
    "/static/js/outbox.js",
    "/static/vendor/htmx.min.js",
    "/static/favicon.svg",
)


@lru_cache(maxsize=4)
def _worker(stamp: tuple[float, ...]) -> str:
    """The worker's code with its version (a digest of itself and the shell's files, so
    that a changed file installs a new worker, which fetches the shell again) and the
    shell's addresses filled in."""
    digest = hashlib.sha256(WORKER.read_bytes())
    for path in _shell_files():
        if path.exists():
            digest.update(path.read_bytes())
    code = WORKER.read_text(encoding="utf-8")
    code = code.replace('const VERSION = "dev";', f'const VERSION = "{digest.hexdigest()[:16]}";')
    return code.replace("const SHELL = [];", f"const SHELL = {json.dumps(list(SHELL))};")


def _shell_files() -> list[Path]:
    return [STATIC / url.removeprefix("/static/") for url in SHELL if url.startswith("/static/")]


def _stamp() -> tuple[float, ...]:
    paths = [WORKER, *_shell_files()]
    return tuple(path.stat().st_mtime if path.exists() else 0.0 for path in paths)


@router.get("/sw.js", include_in_schema=False, name="service_worker")
def service_worker() -> Response:
    # Served from the root, so that it may look after every page of the site.
    return Response(
        _worker(_stamp()),
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"},
    )


@router.get(OFFLINE_PAGE, response_class=HTMLResponse, include_in_schema=False, name="offline")
def offline_page(request: Request) -> Response:
    """Shown by the service worker for a page it cannot fetch and has not kept. It names no
    one: the same copy serves whoever uses the tablet. Its script lists the kept scoring
    screens."""
    return render(request, "offline.html", {})


# The administrator's import ---------------------------------------------------------------

MAX_FILE = 5 * 1024 * 1024
MAX_ENTRIES = 10_000


@dataclass
class Imported:
    number: int
    user: str
    review_id: object
    item_key: object
    outcome: str  # saved, unchanged, replayed, conflict, refused
    message: str = ""


@router.get("/admin/outbox", response_class=HTMLResponse, name="admin_outbox")
def outbox_form(request: Request, principal: AdminPrincipal) -> Response:
    return render(request, "admin/outbox.html", {"results": None})


@router.post("/admin/outbox", response_class=HTMLResponse, name="admin_outbox_import")
async def outbox_import(
    request: Request, principal: AdminPrincipal, file: Annotated[UploadFile, File()]
) -> Response:
    raw = await file.read(MAX_FILE + 1)
    return await run_in_threadpool(_import, request, principal, file.filename or "", raw)


def _import(request: Request, principal: Principal, filename: str, raw: bytes) -> Response:
    try:
        entries = _entries(raw)
    except Invalid as refused:
        context = {"results": None, "error": refused.message(request.state.language)}
        return render(request, "admin/outbox.html", context, status_code=422)
    # A change made on top of an earlier change of the same item names it in ``after``;
    # its base revision is then the revision that change got here.
    revisions: dict[str, int | None] = {}
    results = [_apply(request, revisions, number, entry) for number, entry in enumerate(entries, 1)]
    with request.app.state.unit_of_work() as session:
        audit.record(
            session,
            action="outbox.imported",
            by=principal,
            after={
                "file": filename[:200],
                "entries": len(results),
                "outcomes": {
                    kind: sum(1 for r in results if r.outcome == kind)
                    for kind in ("saved", "unchanged", "replayed", "conflict", "refused")
                },
                "client_ids": [str(e.get("client_id", ""))[:36] for e in entries][:MAX_ENTRIES],
            },
        )
    return render(request, "admin/outbox.html", {"results": results})


def _entries(raw: bytes) -> list[dict[str, Any]]:
    """The file's changes, oldest first, or Invalid saying what is wrong with the file."""
    if len(raw) > MAX_FILE:
        raise Invalid.of("outbox_bad_file", reason=f"larger than {MAX_FILE // 1024 // 1024} MB")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as error:
        raise Invalid.of("outbox_bad_file", reason=f"not JSON ({error})") from None
    except RecursionError:
        raise Invalid.of("outbox_bad_file", reason="nested too deeply") from None
    if not isinstance(data, dict) or data.get("format") != "ips-fidelity-outbox":
        raise Invalid.of("outbox_bad_file", reason="format is not 'ips-fidelity-outbox'")
    if data.get("version") != 1:
        raise Invalid.of("outbox_bad_file", reason=f"unknown version {data.get('version')!r}")
    entries = data.get("entries")
    if not isinstance(entries, list) or len(entries) > MAX_ENTRIES:
        raise Invalid.of("outbox_bad_file", reason=f"'entries' must be a list of ≤ {MAX_ENTRIES}")
    return [entry if isinstance(entry, dict) else {} for entry in entries]


_KEY = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def _is_id(value: object) -> bool:
    """A database id as JSON gives it: an integer (not true or false) in range."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31


def _apply(
    request: Request, revisions: dict[str, int | None], number: int, entry: dict[str, Any]
) -> Imported:
    """Save one change of the file as its reviewer's own, in a unit of work of its own: a
    refused change leaves the others as they are, and nothing of itself."""
    language = request.state.language
    user = str(entry.get("user") or "")[:64]
    review_id, item_key = entry.get("review_id"), entry.get("item_key")
    row = Imported(number, user, review_id, item_key, "refused")
    client_id = str(entry.get("client_id") or "")
    base = entry.get("base_revision")
    after = entry.get("after")
    if isinstance(after, str) and after in revisions:
        base = revisions[after]
    try:
        if isinstance(after, str) and after not in revisions:
            # Made on top of a change that is not in the file: its base is not known, and
            # saving it unchecked could overwrite a change made elsewhere unseen.
            raise Invalid.of("err_outbox_entry", number=number, reason="after")
        if base is None:
            # Every change from a tablet rests on a revision (0 for a first rating); one
            # without, or resting on a change refused here, is never saved unchecked.
            raise Invalid.of("err_outbox_entry", number=number, reason="base_revision")
        mode = entry.get("mode")
        model = ConsensusIn if mode == "consensus" else RatingIn
        if mode not in ("rating", "consensus"):
            raise Invalid.of("err_outbox_entry", number=number, reason="mode")
        if not _is_id(review_id):
            raise Invalid.of("err_outbox_entry", number=number, reason="review_id")
        assert isinstance(review_id, int)  # for the type checker: _is_id said so
        if not isinstance(item_key, str) or not _KEY.fullmatch(item_key):
            raise Invalid.of("err_outbox_entry", number=number, reason="item_key")
        given = entry.get("body")
        if not isinstance(given, dict):  # not a change at all: never an empty rating
            raise Invalid.of("err_outbox_entry", number=number, reason="body")
        body: dict[str, Any] = given
        payload = {**body, "client_id": client_id, "base_revision": base}
        change = model.model_validate(payload)
        with request.app.state.unit_of_work() as session:
            found = users.find_user(session, username=user)
            if found is None or not found.is_active:
                raise Invalid.of("outbox_no_user", user=user)
            reviewer = access.principal_for(session, found, channel="offline")
            result = scoring.save_rating(
                session,
                reviewer,
                review_id,
                item_key,
                change.change(),
                client_id=str(change.client_id),
                base_revision=change.base_revision,
                consensus=mode == "consensus",
            )
        revisions[client_id] = result.rating.revision
        row.outcome = result.outcome
    except scoring.StaleRating as conflict:
        revisions[client_id] = base  # not applied: what came after it rests on its base
        row.outcome, row.message = "conflict", conflict.message(language)
    except ValidationError as error:
        revisions[client_id] = base  # not applied: what came after it rests on its base
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        reason = f"{where}: {first['msg']}"
        row.message = Invalid.of("err_outbox_entry", number=number, reason=reason).message(language)
    except DomainError as refused:
        revisions[client_id] = base  # not applied: what came after it rests on its base
        row.message = refused.message(language)
    return row
