"""Jinja filters: turning plain text from scale files into page structure."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


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


FILTERS: dict[str, Callable[..., Any]] = {"prose_blocks": prose_blocks}
