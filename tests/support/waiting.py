"""Wait for a condition with a deadline instead of sleeping a fixed time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

DEFAULT_TIMEOUT_SECONDS = 10.0
POLL_SECONDS = 0.02


async def wait_until(
    condition: Callable[[], bool | Awaitable[bool]],
    *,
    within: float = DEFAULT_TIMEOUT_SECONDS,
    what: str = "condition",
) -> None:
    """Return as soon as `condition()` holds; fail with `what` after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        result = condition()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(POLL_SECONDS)
