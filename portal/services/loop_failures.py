"""How background loops report a failed round: a database outage is one warning line per loop
and minute (with the cause and how many rounds failed quietly since), never a traceback a round;
anything else is still logged with its traceback. The loop itself keeps running either way.

Rendering a traceback per round and loop while the database is down floods the log and costs
the event loop enough to slow the very requests that report the outage (503s, /readyz).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from portal.db import root_cause_name, unavailable_cause

QUIET_SECONDS = 60.0


@dataclass
class LoopFailures:
    """One per loop: `report(error)` from the loop's `except Exception`."""

    log: Any
    """The loop's structlog logger."""
    what: str
    """The log line: what did not happen (e.g. "history purge failed")."""
    quiet_seconds: float = QUIET_SECONDS
    clock: Callable[[], float] = time.monotonic
    suppressed: int = 0
    """Database failures not logged since the last line."""
    _last: float | None = field(default=None, repr=False)

    def report(self, error: BaseException, **fields: Any) -> bool:
        """Log `error` (rate-limited when the database is the cause); True when a line was
        written."""
        cause = unavailable_cause(error)
        if cause is None:
            self.log.error(self.what, exc_info=error, **fields)
            return True
        now = self.clock()
        if self._last is not None and now - self._last < self.quiet_seconds:
            self.suppressed += 1
            return False
        self.log.warning(
            self.what,
            cause=cause,
            error=root_cause_name(error),
            failed_quietly_since=self.suppressed,
            **fields,
        )
        self._last, self.suppressed = now, 0
        return True
