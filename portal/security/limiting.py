"""Rate limits: one in-memory moving window per (rule, key), in `limits` notation ("30/minute").

A window is the times of the last `amount` requests it allowed, oldest first, in a bounded
deque: a request is allowed when fewer than `amount` were allowed in the last `period`
seconds, that is, when the window is not full or its oldest entry is older than `period`.
Checking and spending are O(1), and nothing runs between requests: the `limits` library's
in-memory moving window (used before) inserted at the head of a list on every hit (O(n) in
the rate) and started a timer thread every 10 ms for expiry, 14% of a gate call's CPU at 200
calls/s (BENCHMARKS.md). Windows that allowed nothing for a whole period are dropped in a
sweep at most once a period, so memory follows the callers seen recently.

Per replica by design: each portal replica enforces its own budget, so N replicas allow up to
N times the configured rate. That bounds abuse cheaply without a shared store.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from limits import parse


@dataclass(frozen=True, slots=True)
class _Rule:
    amount: int
    period: float


class RateLimits:
    """Named limits (`"actions": "30/minute"`) checked and consumed per key."""

    def __init__(self, rules: dict[str, str], *, clock: Callable[[], float] = time.monotonic):
        self._rules: dict[str, _Rule] = {}
        for name, text in rules.items():
            item = parse(text)
            self._rules[name] = _Rule(amount=item.amount, period=float(item.get_expiry()))
        self._windows: dict[tuple[str, str], deque[float]] = {}
        self._clock = clock
        self._longest = max((rule.period for rule in self._rules.values()), default=0.0)
        self._next_sweep = clock() + self._longest

    def consume(self, checks: Sequence[tuple[str, str]]) -> int | None:
        """Spend one unit of each (rule, key); None when all allowed, else seconds to wait.

        Nothing is spent when any of them is exhausted."""
        now = self._clock()
        if now >= self._next_sweep:
            self._sweep(now)
        for rule_name, key in checks:
            rule = self._rules[rule_name]
            window = self._windows.get((rule_name, key))
            if window is not None and len(window) == rule.amount:
                free_at = window[0] + rule.period
                if free_at > now:
                    return max(1, math.ceil(free_at - now))
        for rule_name, key in checks:
            window = self._windows.get((rule_name, key))
            if window is None:
                window = self._windows[(rule_name, key)] = deque(
                    maxlen=self._rules[rule_name].amount
                )
            window.append(now)
        return None

    def _sweep(self, now: float) -> None:
        """Drop the windows whose newest entry is older than their rule's period."""
        stale = [
            name_key
            for name_key, window in self._windows.items()
            if not window or window[-1] + self._rules[name_key[0]].period <= now
        ]
        for name_key in stale:
            del self._windows[name_key]
        self._next_sweep = now + self._longest
