"""One connected stream: a bounded queue of shared frames and the loop that writes them out.

Why not `asyncio.Queue`: a full queue must end the stream *now*, even while its writer is
stuck in a socket write to a client that stopped reading. The subscriber therefore holds the
writer's `asyncio.timeout(None)` and closing reschedules it to fire at once, which interrupts
whatever the writer awaits (the next frame or a blocked write) and is told apart from any
other cancellation by asyncio itself (`Task.uncancel`). Frames are the broadcaster's shared
`bytes` objects, so a queue costs a pointer per frame and memory stays bounded by `capacity`.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum

from portal.services.sse_selections import Selection

Write = Callable[[bytes], Awaitable[None]]
"""Sends one chunk of encoded frames to the client (an ASGI body message in production)."""

_ids = itertools.count(1)


class CloseReason(Enum):
    """Why a stream ended; the web layer answers all of them by ending the response."""

    DISCONNECTED = "disconnected"
    DROPPED = "dropped"
    SHUTDOWN = "shutdown"


@dataclass(slots=True)
class BroadcastMetrics:
    """Prometheus-style counters and a gauge, kept as plain attributes for an exporter."""

    clients_connected: int = 0
    streams_opened: int = 0
    clients_dropped: int = 0
    frames_sent: int = 0
    frames_encoded: int = 0
    renders: int = 0
    renders_skipped: int = 0
    """Changes not rendered because no subscriber was on a page they render for."""
    render_errors: int = 0
    publishes: int = 0
    heartbeats: int = 0


class Subscriber:
    """A stream's queue; `offer` is the broadcaster's per-client work, `pump` the writer's."""

    __slots__ = (
        "_frames",
        "_interrupt",
        "_metrics",
        "_ready",
        "capacity",
        "id",
        "reason",
        "selection",
    )

    def __init__(self, selection: Selection, *, capacity: int, metrics: BroadcastMetrics) -> None:
        self.id = next(_ids)
        self.selection = selection
        self.capacity = capacity
        self.reason: CloseReason | None = None
        self._frames: deque[bytes] = deque()
        self._ready = asyncio.Event()
        self._interrupt: asyncio.Timeout | None = None
        self._metrics = metrics

    def __repr__(self) -> str:
        return f"Subscriber(id={self.id}, selection={self.selection!r}, reason={self.reason})"

    @property
    def queued(self) -> int:
        return len(self._frames)

    def offer(self, frame: bytes) -> bool:
        """Queue a frame; False only when the queue is full (the caller drops this client).
        A stream that is already ending takes nothing and reports no problem."""
        if self.reason is not None:
            return True
        if len(self._frames) >= self.capacity:
            return False
        self._frames.append(frame)
        self._ready.set()
        return True

    def close(self, reason: CloseReason) -> None:
        """End the stream: the first reason wins, a running `pump` returns promptly."""
        if self.reason is not None:
            return
        self.reason = reason
        self._frames.clear()
        if self._interrupt is not None:
            self._interrupt.reschedule(asyncio.get_running_loop().time())

    async def pump(self, write: Write) -> CloseReason:
        """Write queued frames until the stream is closed; return why it was closed."""
        if self.reason is not None:
            return self.reason
        try:
            async with asyncio.timeout(None) as self._interrupt:
                while True:
                    await self._write_batch(write)
        except TimeoutError:
            reason = self._closed_by()
            if reason is None:  # a timeout of the write itself, not our interruption
                raise
            return reason
        finally:
            self._interrupt = None

    def _closed_by(self) -> CloseReason | None:
        """Read afresh: `close()` may have run while `pump` awaited."""
        return self.reason

    async def _write_batch(self, write: Write) -> None:
        while not self._frames:
            self._ready.clear()
            await self._ready.wait()
        count = len(self._frames)
        chunk = self._frames.popleft() if count == 1 else b"".join(self._frames)
        self._frames.clear()
        await write(chunk)
        self._metrics.frames_sent += count
