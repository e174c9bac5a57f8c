"""The facts the harness refuses requests with, and their HTTP status codes.

Services raise these; one handler in `app.py` turns them into JSON responses, so routers never
build error responses by hand and every refusal carries a reason.
"""

from __future__ import annotations


class HarnessError(Exception):
    """A request the harness will not carry out, with a reason for the caller."""

    status_code = 400

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class JobNotFound(HarnessError):
    """No job has this id (it never existed, or it fell out of the bounded history)."""

    status_code = 404


class LimitExceeded(HarnessError):
    """The request can never be served by this container, whatever else is running."""

    status_code = 422


class CapacityExhausted(HarnessError):
    """The request would fit, but not while the jobs already running hold the capacity."""

    status_code = 429

    def __init__(self, reason: str, *, retry_after_seconds: int) -> None:
        super().__init__(reason)
        self.retry_after_seconds = retry_after_seconds


class WorkersUnavailable(HarnessError):
    """The operating system refused to start worker processes (process or memory limits)."""

    status_code = 503


class InjectedFailure(HarnessError):
    """Chaos decided this request fails (a demo fault, not a real one)."""

    status_code = 500
