"""Domain errors raised by services. One handler per surface (HTML page, JSON problem
response, CLI message) turns each into an answer a person can act on."""

from __future__ import annotations

from typing import Self


class DomainError(Exception):
    """Base for errors whose message is meant for the person who caused them.

    ``detail`` is English (for the CLI, the API and logs). An error made with ``of(key,
    **params)`` also carries a catalogue key, so a page can say it in the reader's
    language: ``message(language)``.
    """

    status_code = 400
    title = "Bad request"

    def __init__(self, detail: str, *, key: str | None = None, **params: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.key = key
        self.params = params
        self.extra: dict[str, object] = {}  # more members for the API's problem response
        self.parts: list[tuple[str, dict[str, object]]] = []  # several messages in one

    @classmethod
    def of(cls, key: str, **params: object) -> Self:
        return cls(_said("en", key, params), key=key, **params)

    @classmethod
    def all_of(cls, parts: list[tuple[str, dict[str, object]]]) -> Self:
        """One error that says several things at once (everything that stands in the way,
        not the first of them): each part a catalogue key and its parameters."""
        key, params = parts[0]
        error = cls(" ".join(_said("en", k, p) for k, p in parts), key=key, **params)
        error.parts = parts
        return error

    def message(self, language: str) -> str:
        from app.i18n import translator

        if self.parts:
            return " ".join(_said(language, key, params) for key, params in self.parts)
        if self.key is not None:
            return _said(language, self.key, self.params)
        return translator("da" if language == "da" else "en")(self.detail)


def _said(language: str, key: str, params: dict[str, object]) -> str:
    """The message ``key`` in ``language`` with ``params``; a message about a ``count``
    may be a plural entry, whose form goes with the count (ngettext)."""
    from app.i18n import translator

    t = translator("da" if language == "da" else "en")
    count = params.get("count")
    if t.is_plural(key) and isinstance(count, int):
        return t.tn(key, count).format(**params)
    if key not in t or t.is_plural(key):  # no such message, or a plural one without a count
        raise KeyError(key)
    return t(key).format(**params)


class NotFound(DomainError):
    status_code = 404
    title = "Not found"


class Conflict(DomainError):
    status_code = 409
    title = "Conflict"


class Forbidden(DomainError):
    status_code = 403
    title = "Forbidden"


class Invalid(DomainError):
    status_code = 422
    title = "Invalid input"


class NotVisible(NotFound):
    """The record exists but lies outside the caller's scope. Answered exactly like a
    missing record (404), so it confirms nothing, but recorded in the audit trail."""


class NotAuthenticated(DomainError):
    """No valid session or token. ``expired`` tells a timed-out session from none."""

    status_code = 401
    title = "Not signed in"

    def __init__(self, detail: str, *, expired: bool = False, user_id: int | None = None) -> None:
        super().__init__(detail)
        self.expired = expired
        self.user_id = user_id  # whose revoked token or disabled account it was, if known


class TooManyAttempts(DomainError):
    status_code = 429
    title = "Too many attempts"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
