"""Lists that page: what a caller asked for, checked, and one page of rows.

Every list a person or a script can ask for is read one page at a time, so what a
request costs follows the page it shows, never the length of the history. Two kinds:

- numbered pages (``PageRequest``, ``Page``) where a list is sorted by something a person
  chooses and the total is cheap to count (teams, users);
- cursors (``Cursor``) where a list is long and only grows (reviews, the audit trail): the
  next page starts after the last row shown, found through an index, however deep.

A page number past the end, a size out of bounds or a cursor that was not made here is
``Invalid`` or ``NotFound`` with a message saying what to ask for instead.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from app.errors import Invalid, NotFound

T = TypeVar("T")

DEFAULT_SIZE = 50
MAX_SIZE = 200
MAX_PAGE = 1_000_000
MAX_SEARCH = 100


@dataclass(frozen=True)
class PageRequest:
    number: int = 1
    size: int = DEFAULT_SIZE

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def page_request(
    *, number: str | int | None, size: str | int | None = None, default_size: int = DEFAULT_SIZE
) -> PageRequest:
    """A page number and size as typed in an address, checked."""
    return PageRequest(
        _whole(number, "page", 1, MAX_PAGE, default=1),
        _whole(size, "limit", 1, MAX_SIZE, default=default_size),
    )


def _whole(value: str | int | None, name: str, low: int, high: int, *, default: int) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    try:
        number = int(value)
    except ValueError:
        raise Invalid.of("err_not_whole_number", name=name, value=value) from None
    if not low <= number <= high:
        raise Invalid.of("err_number_range", name=name, value=number, low=low, high=high)
    return number


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def first_index(self) -> int:
        """The 1-based position of the first row shown (0 when there is none)."""
        return (self.number - 1) * self.size + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.items) - 1 if self.items else 0

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None


def check_within(request: PageRequest, *, total: int) -> None:
    """Refuse a page past the end, naming the last one (page 1 of nothing is fine)."""
    pages = max(1, -(-total // request.size))
    if request.number > pages:
        raise NotFound.of("err_page_past_end", page=request.number, pages=pages)


def search_text(value: str | None) -> str | None:
    """What a search box holds, trimmed; None for nothing or only spaces."""
    if value is None:
        return None
    text = " ".join(value.split())
    if len(text) > MAX_SEARCH:
        raise Invalid.of("err_search_too_long", max=MAX_SEARCH)
    return text or None


class Cursor:
    """Where the next page of a keyset-paged list starts: the sort key of the last row
    shown, as an opaque token (URL-safe base64 of a small JSON list)."""

    @staticmethod
    def encode(values: list[Any]) -> str:
        raw = json.dumps(values, separators=(",", ":"), default=str).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @staticmethod
    def decode(token: str | None, shape: tuple[Callable[[Any], Any], ...]) -> list[Any] | None:
        """The values in ``token``, each read by its function in ``shape`` (``int``,
        ``date.fromisoformat``); Invalid if the token was not made here."""
        if token is None or not token.strip():
            return None
        try:
            padded = token.strip() + "=" * (-len(token.strip()) % 4)
            values = json.loads(base64.urlsafe_b64decode(padded.encode()))
            if not isinstance(values, list) or len(values) != len(shape):
                raise ValueError
            return [kind(value) for kind, value in zip(shape, values, strict=True)]
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            raise Invalid.of("err_bad_cursor") from None
