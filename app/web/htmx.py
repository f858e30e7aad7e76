"""Rendering pages and their htmx fragments: the one module that knows htmx's headers.

A page and its fragments live in one template; a fragment is a named block. A request
from htmx (``HX-Request``) gets only the named block, any other request the whole page,
so every htmx link also works as a plain link. Responses that differ by that header say
so with ``Vary: HX-Request``, so no cache hands a fragment to a full page load.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from jinja2_fragments.fastapi import Jinja2Blocks
from starlette.responses import Response

from app.config import PROJECT_ROOT
from app.i18n import translator

templates = Jinja2Blocks(directory=str(PROJECT_ROOT / "templates"))


def prose_blocks(text: str) -> list[tuple[str, list[str]]]:
    """Plain text as paragraphs and bullet lists: ("p", [text]) or ("ul", [items]).

    Blank lines separate blocks; lines starting with "- " are list items; other lines
    continue the paragraph or item before them (scale files wrap long lines).
    """
    blocks: list[tuple[str, list[str]]] = []
    for chunk in text.strip().split("\n\n"):
        lines = [line.strip() for line in chunk.splitlines() if line.strip()]
        paragraph: list[str] = []
        items: list[str] = []
        for line in lines:
            if line.startswith("- "):
                items.append(line[2:])
            elif items:
                items[-1] += " " + line
            else:
                paragraph.append(line)
        if paragraph:
            blocks.append(("p", [" ".join(paragraph)]))
        if items:
            blocks.append(("ul", items))
    return blocks


templates.env.filters["prose_blocks"] = prose_blocks

HX_REQUEST = "HX-Request"
HX_HISTORY_RESTORE = "HX-History-Restore-Request"


def is_htmx(request: Request) -> bool:
    """True for an htmx request that wants a fragment (not a history restore)."""
    return (
        request.headers.get(HX_REQUEST) == "true"
        and request.headers.get(HX_HISTORY_RESTORE) != "true"
    )


def _relative(request: Request, **params: str) -> str:
    """This page's path and query with ``params`` replaced: a root-relative link."""
    url = request.url.include_query_params(**params)
    return f"{url.path}?{url.query}" if url.query else url.path


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    fragment: str | None = None,
    status_code: int = 200,
) -> Response:
    """The page, or only its ``fragment`` block when htmx asked for it."""
    language = request.state.language
    full_context = {
        "language": language,
        "t": translator(language),
        "here": lambda **params: _relative(request, **params),
        **context,
    }
    block = fragment if fragment is not None and is_htmx(request) else None
    response: Response = templates.TemplateResponse(
        request, template, full_context, status_code=status_code, block_name=block
    )
    if fragment is not None:
        response.headers["Vary"] = HX_REQUEST
    return response
