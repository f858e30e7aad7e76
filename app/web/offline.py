"""What lets a tablet score without a network, on the server's side: the service worker
(``/sw.js``), the page it shows when nothing else can be shown (``/offline``), and the
administrator's import of the outbox file a reviewer downloaded from a tablet that could
not send its changes.

The outbox itself lives in the browser (``app/static/js/outbox.js``, which loads its ES
modules from ``app/static/js/outbox/``); it replays changes through the rating API, which
stores each ``client_id`` once. The import goes through the same service call, so a
change that reached the server both ways is stored once.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache, partial
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from app.config import PROJECT_ROOT
from app.db import side_unit_of_work
from app.errors import Invalid
from app.services import outbox_import
from app.services.access import Principal
from app.web.auth import AdminPrincipal
from app.web.htmx import render

router = APIRouter()

STATIC = PROJECT_ROOT / "app" / "static"
WORKER = STATIC / "js" / "sw.js"
OFFLINE_PAGE = "/offline"
# What a tablet needs to draw a kept scoring screen without a network: every module the
# outbox imports too (a module missing offline stops the whole outbox from loading).
SHELL = (
    OFFLINE_PAGE,
    "/static/css/app.css",
    "/static/js/app.js",
    "/static/js/outbox-core.js",
    "/static/js/outbox.js",
    "/static/js/outbox/choices.js",
    "/static/js/outbox/device.js",
    "/static/js/outbox/forms.js",
    "/static/js/outbox/items.js",
    "/static/js/outbox/recorder.js",
    "/static/js/outbox/sender.js",
    "/static/js/outbox/state.js",
    "/static/js/outbox/store.js",
    "/static/js/outbox/view.js",
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


@router.get("/admin/outbox", response_class=HTMLResponse, name="admin_outbox")
def outbox_form(request: Request, principal: AdminPrincipal) -> Response:
    return render(request, "admin/outbox.html", {"results": None})


@router.post("/admin/outbox", response_class=HTMLResponse, name="admin_outbox_import")
async def outbox_upload(
    request: Request, principal: AdminPrincipal, file: Annotated[UploadFile, File()]
) -> Response:
    raw = await file.read(outbox_import.MAX_FILE + 1)
    return await run_in_threadpool(_import, request, principal, file.filename or "", raw)


def _import(request: Request, principal: Principal, filename: str, raw: bytes) -> Response:
    try:
        results = outbox_import.import_file(
            units=partial(side_unit_of_work, request),
            principal=principal,
            filename=filename,
            raw=raw,
            language=request.state.language,
            today=request.app.state.settings.today(),
        )
    except Invalid as refused:
        context = {"results": None, "error": refused.message(request.state.language)}
        return render(request, "admin/outbox.html", context, status_code=422)
    return render(request, "admin/outbox.html", {"results": results})
