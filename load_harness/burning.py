"""The body of a CPU-load worker process: burn one core at a duty cycle for a fixed time.

It runs in a separate process (spawn context) so the event loop and its health probes never wait
on it. It is deliberately import-light, since every worker imports this module afresh. Each
100 ms period it spins for `duty` of the period and sleeps for the rest, publishes its own CPU
time to a shared double the parent reads, and exits early if its parent has died (no orphans).
"""

from __future__ import annotations

import os
import time
from typing import Protocol

PERIOD_SECONDS = 0.1


class SharedFloat(Protocol):
    """A `multiprocessing` shared double (`RawValue("d")`)."""

    value: float


def burn(
    *, duration_seconds: float, duty: float, nice: int, parent_pid: int, cpu_seconds: SharedFloat
) -> None:
    """Spin at `duty` (0..1] of one core until `duration_seconds` pass or `parent_pid` dies.

    The parent passes its own pid: reading `getppid()` here instead would miss a parent that
    died while this interpreter was still starting.
    """
    os.nice(nice)
    deadline = time.monotonic() + duration_seconds
    while (now := time.monotonic()) < deadline and os.getppid() == parent_pid:
        _spin_until(until=min(now + duty * PERIOD_SECONDS, deadline))
        cpu_seconds.value = time.process_time()
        idle = min(PERIOD_SECONDS * (1.0 - duty), deadline - time.monotonic())
        if idle > 0:
            time.sleep(idle)
    cpu_seconds.value = time.process_time()


def _spin_until(*, until: float) -> None:
    accumulator = 0
    while time.monotonic() < until:
        for value in range(1000):
            accumulator ^= value * value
