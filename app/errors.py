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

    @classmethod
    def of(cls, key: str, **params: object) -> Self:
        from app.i18n import MESSAGES

        return cls(MESSAGES["en"][key].format(**params), key=key, **params)

    def message(self, language: str) -> str:
        from app.i18n import MESSAGES

        catalogue = MESSAGES["da" if language == "da" else "en"]
        if self.key is not None:
            return catalogue[self.key].format(**self.params)
        return catalogue.get(self.detail, self.detail)


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
