"""Jinja filters: plain text from scale files as page structure, and times as people
read them (in the configured time zone, to the minute)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from app.i18n import current, thousands_in


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


# The first match wins: Edge and Opera also say "Chrome/", Chrome also says "Safari/".
BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
            ("Safari/", "Safari"))  # fmt: skip
SYSTEMS = (("iPad", "iPad"), ("iPhone", "iPhone"), ("Android", "Android"), ("Windows", "Windows"),
           ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))  # fmt: skip


# Jinja folds a filter with constant arguments when it compiles a template, in
# whatever language the first render spoke; a context filter it leaves to each render.
@pass_context
def device(_context: Context, agent: str | None) -> str:
    """A browser's User-Agent as a person would name it: "Chrome på iPad"."""
    t = current()
    browser = next((name for token, name in BROWSERS if token in (agent or "")), None)
    system = next((name for token, name in SYSTEMS if token in (agent or "")), None)
    if browser is None or system is None:
        return str(t("unknown_device"))
    return str(t("device_on")).format(browser=browser, system=system)


@pass_context
def number(_context: Context, value: float | int | None, decimals: int | None = None) -> str:
    """A score as the reader writes numbers: 96,5 in Danish, 96.5 in English (also in a
    macro imported without the page's context); with ``decimals``, always that many (a
    status band's 1,0)."""
    if value is None:
        return "–"
    text = f"{value:g}" if decimals is None else f"{value:.{decimals}f}"
    return text.replace(".", ",") if current().language == "da" else text


@pass_context
def thousands(_context: Context, value: int) -> str:
    """``thousands_in`` in the page's language."""
    return thousands_in(value, current().language)


@pass_context
def readable_fields(_context: Context, value: object) -> list[tuple[str, str]]:
    """An audit event's before or after as (label, text) pairs a person reads: known field
    names in words (``audit_field_<name>``), lists joined, nested values in short form."""
    t = current()
    if not isinstance(value, dict):
        return [("", _plain(value, t))]
    found = []
    for name, inner in value.items():
        key = f"audit_field_{name}"
        label = t(key)
        found.append((name.replace("_", " ") if label == key else label, _plain(inner, t)))
    return found


def _plain(value: object, t: Callable[[str], str]) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return t("yes") if value else t("no")
    if isinstance(value, list):
        return ", ".join(_plain(v, t) for v in value) or "–"
    if isinstance(value, dict):
        return "; ".join(f"{k.replace('_', ' ')}: {_plain(v, t)}" for k, v in value.items())
    return str(value)


LONG_TOKEN = re.compile(r"(\S{31,})")
PIECE = 20


def breakable(value: object) -> Markup:
    """Typed text with a break opportunity (``<wbr>``) every 20 characters inside any
    run of more than 30 without a space: a long address or word then wraps inside a
    table cell, while ordinary words never break in the middle (as CSS's
    ``overflow-wrap: anywhere`` made them do once a table was narrow)."""
    if value is None:
        return Markup("")
    parts = []
    for index, part in enumerate(LONG_TOKEN.split(str(value))):
        if index % 2:  # a long run
            pieces = [part[i : i + PIECE] for i in range(0, len(part), PIECE)]
            parts.append(Markup("<wbr>").join(escape(piece) for piece in pieces))
        else:
            parts.append(escape(part))
    return Markup("").join(parts)


def json_text(value: object) -> str:
    """A JSON value as people read it: Danish letters as themselves, not \\u escapes."""
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


FILTERS: dict[str, Callable[..., Any]] = {
    "json_text": json_text,
    "number": number,
    "prose_blocks": prose_blocks,
    "localtime": localtime,
    "device": device,
    "thousands": thousands,
    "readable_fields": readable_fields,
    "breakable": breakable,
}
