"""Let a database write in flight finish when its task is cancelled at shutdown.

Cancelling a task in the middle of an aiosqlite call leaves the driver's thread to finish the
call after the event loop may be gone (it then fails calling back into a closed loop). Writes
done through `uninterrupted` complete (within a grace period) before the cancellation goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")
GRACE_SECONDS = 5.0


async def uninterrupted(work: Awaitable[T], *, grace: float = GRACE_SECONDS) -> T:
    inner = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(inner)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(inner, timeout=grace)
        raise
