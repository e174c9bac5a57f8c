"""The portal's error family: services raise these, one handler maps them to HTTP.

Each error reads as a fact (`CanaryNotFound`), carries the HTTP status it maps to and a
human message that is safe to show to the caller.
"""

from __future__ import annotations


class PortalError(Exception):
    """Base of every error the portal reports to a caller."""

    status_code: int = 500
    title: str = "Internal error"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}


class BadRequest(PortalError):
    status_code = 400
    title = "Bad request"


class Unauthorized(PortalError):
    status_code = 401
    title = "Sign-in required"


class Forbidden(PortalError):
    status_code = 403
    title = "Not allowed"


class NotFound(PortalError):
    status_code = 404
    title = "Not found"


class Conflict(PortalError):
    status_code = 409
    title = "Conflict"


class PayloadTooLarge(PortalError):
    status_code = 413
    title = "Request too large"


class Unprocessable(PortalError):
    status_code = 422
    title = "Invalid input"


class TooManyRequests(PortalError):
    status_code = 429
    title = "Too many requests"


class ServiceUnavailable(PortalError):
    status_code = 503
    title = "Unavailable"
