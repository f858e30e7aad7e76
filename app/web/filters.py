"""Jinja filters: plain text from scale files as page structure, and times as people
read them (in the configured time zone, to the minute)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import pass_context
from jinja2.runtime import Context


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


@pass_context
def localtime(context: Context, moment: datetime | None) -> str:
    """``2026-11-23 21:05`` in the time zone the page was rendered for."""
    if moment is None:
        return "–"
    zone = ZoneInfo(context.get("timezone") or "Europe/Copenhagen")
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


FILTERS: dict[str, Callable[..., Any]] = {"prose_blocks": prose_blocks, "localtime": localtime}
