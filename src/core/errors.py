"""Domain errors with a stable code, shown to people and returned by the API.

Services raise `DomainError` (or a subclass) with a machine-readable `code`, a
human `message`, and optionally per-field messages. The API turns it into the
one error shape (see core.api_errors); pages show the message.
"""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, fields: dict | None = None,
                 status: int | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.fields = fields or {}


class NotAllowed(DomainError):
    status = 403
    code = "not_allowed"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"
