"""Rate limits with the `limits` library: one in-memory moving window per app.

Per replica by design: each portal replica enforces its own budget, so N replicas allow up to
N times the configured rate. That bounds abuse cheaply without a shared store.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class RateLimits:
    """Named limits (`"actions": "30/minute"`) checked and consumed per key."""

    def __init__(self, rules: dict[str, str]) -> None:
        self._items: dict[str, RateLimitItem] = {name: parse(text) for name, text in rules.items()}
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def consume(self, checks: Sequence[tuple[str, str]]) -> int | None:
        """Spend one unit of each (rule, key); None when all allowed, else seconds to wait.

        Nothing is spent when any of them is exhausted."""
        for rule, key in checks:
            if not self._limiter.test(self._items[rule], key):
                return self._retry_after(rule, key)
        for rule, key in checks:
            self._limiter.hit(self._items[rule], key)
        return None

    def _retry_after(self, rule: str, key: str) -> int:
        stats = self._limiter.get_window_stats(self._items[rule], key)
        return max(1, math.ceil(stats.reset_time - time.time()))
