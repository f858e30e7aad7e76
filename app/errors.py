"""Domain errors raised by services. One handler per surface (HTML page, JSON problem
response, CLI message) turns each into an answer a person can act on."""

from __future__ import annotations


class DomainError(Exception):
    """Base for errors whose message is meant for the person who caused them."""

    status_code = 400
    title = "Bad request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


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
