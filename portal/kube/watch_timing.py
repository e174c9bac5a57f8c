"""How long a watch waits: its timeouts, its backoff between attempts, and what a server that
asks for more (`Retry-After` on a 429 or 5xx, as client-go's `checkWait` reads it) gets.

Upstream semantics are cited in docs/flagger-fidelity.md ("Watching through API server
faults").
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from kubernetes_asyncio.client.exceptions import ApiException


@dataclass(frozen=True, slots=True)
class WatchTiming:
    """Timeouts and backoff; tests shrink them, production keeps the defaults.

    The backoff cap is 4 s (client-go's reflector caps at 30 s): after an outage the portal is
    back within the cap plus one list or watch call, so its views converge within 5 s of the
    API server's return. A server that asks for more (`Retry-After` on a 429 or 5xx) gets what
    it asks, up to `retry_after_cap_seconds`."""

    server_timeout_seconds: int = 290
    request_timeout_seconds: float = 15.0
    backoff_initial_seconds: float = 0.5
    backoff_cap_seconds: float = 4.0
    retry_after_cap_seconds: float = 60.0


def backoff_delay(attempt: int, timing: WatchTiming, rng: random.Random) -> float:
    """Exponential, capped, with jitter between half and the full delay."""
    ceiling = min(timing.backoff_cap_seconds, timing.backoff_initial_seconds * 2.0**attempt)
    return ceiling * rng.uniform(0.5, 1.0)


def retry_after_seconds(error: BaseException) -> int | None:
    """What a 429 or 5xx answer asked us to wait (client-go's `checkWait`), or None."""
    if not isinstance(error, ApiException) or not (error.status == 429 or error.status >= 500):
        return None
    headers: Any = error.headers or {}  # the answer's headers (set by `_get`)
    header = headers.get("Retry-After")
    try:
        seconds = int(header) if header is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and seconds >= 0 else None


def retry_delay(
    error: BaseException, attempt: int, timing: WatchTiming, rng: random.Random
) -> float:
    """The backoff, or longer when the server asked for it (capped: a bad header cannot
    stop the watch for an hour)."""
    delay = backoff_delay(attempt, timing, rng)
    asked = retry_after_seconds(error)
    if asked is not None:
        delay = max(delay, min(float(asked), timing.retry_after_cap_seconds))
    return delay
