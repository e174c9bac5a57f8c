"""Fakes for the broadcaster's collaborators: a clock the test moves, a client that reads.

`ManualClock` implements the same `Clock` interface as production's `LoopClock`; `Reader`
drives the real `Subscriber.pump` with a write that records what a browser would receive.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from portal.services.sse_subscribers import CloseReason, Subscriber

WAIT_SECONDS = 5.0


class ManualClock:
    """Time stands still until `advance`; `parked()` tells when the flush task sleeps."""

    def __init__(self) -> None:
        self._now = 0.0
        self._alarms: list[tuple[float, asyncio.Event]] = []
        self._parks = 0
        self._parked = asyncio.Event()
        self.deadline: float | None = None

    def now(self) -> float:
        return self._now

    async def wait(self, wakeup: asyncio.Event, deadline: float) -> None:
        alarm = (deadline, wakeup)
        self._alarms.append(alarm)
        self.deadline = deadline
        self._parks += 1
        self._parked.set()
        self._parked = asyncio.Event()
        try:
            if self._now < deadline:
                await wakeup.wait()
        finally:
            self._alarms.remove(alarm)

    def advance(self, seconds: float) -> None:
        self._now += seconds
        for deadline, wakeup in list(self._alarms):
            if deadline <= self._now:
                wakeup.set()

    def mark(self) -> int:
        """A point in time to wait from: `parked(after=mark)` needs a later sleep."""
        return self._parks

    async def parked(self, *, after: int) -> float:
        """Wait until the flush task has gone to sleep after `mark`; return its deadline."""
        async with asyncio.timeout(WAIT_SECONDS):
            while self._parks <= after:
                await self._parked.wait()
        assert self.deadline is not None
        return self.deadline


class Reader:
    """A client that reads everything at once: keeps each chunk written to it, in order."""

    def __init__(self, subscriber: Subscriber) -> None:
        self.subscriber = subscriber
        self.chunks: list[bytes] = []
        self.reason: CloseReason | None = None
        self._arrived = asyncio.Event()

    async def write(self, chunk: bytes) -> None:
        self.chunks.append(chunk)
        self._arrived.set()
        self._arrived = asyncio.Event()

    @property
    def frames(self) -> list[bytes]:
        return [frame + b"\n\n" for chunk in self.chunks for frame in chunk.split(b"\n\n")[:-1]]

    async def wait_for_frames(self, count: int) -> list[bytes]:
        async with asyncio.timeout(WAIT_SECONDS):
            while len(self.frames) < count:
                await self._arrived.wait()
        return self.frames

    async def run(self) -> None:
        self.reason = await self.subscriber.pump(self.write)


class StalledReader(Reader):
    """A client that stopped reading: its first write never completes."""

    async def write(self, chunk: bytes) -> None:
        await super().write(chunk)
        await asyncio.Event().wait()


@asynccontextmanager
async def reading(reader: Reader) -> AsyncIterator[Reader]:
    """Pump `reader` in a named task; on exit the client goes away and the task is awaited."""
    task = asyncio.create_task(reader.run(), name=f"reader:{reader.subscriber.id}")
    try:
        yield reader
    finally:
        reader.subscriber.close(CloseReason.DISCONNECTED)
        await task
