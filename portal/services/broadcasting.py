"""Fan ClusterView changes out to every browser stream, cheaply and with bounded memory.

The watch loop calls `publish(key, render)` (synchronous, O(1)); one named flush task owned by
the `Broadcaster` does the rest:

- **coalescing per object**: a key is flushed at most once per `coalesce_seconds`. The first
  change to a quiet object goes out at once (leading edge); changes arriving within the
  window after a flush wait for the window's end (trailing edge) and only the *latest* render
  is called, once per flush.
- **render once, encode once**: `render()` returns HTML fragments per page topic; each becomes
  one SSE frame (`bytes`) written unchanged to every subscriber whose `Selection` matches.
- **heartbeats**: one shared `: ping` frame every `heartbeat_seconds` to every stream.
- **slow clients are dropped**: a subscriber whose queue is full is closed (its browser
  reconnects by itself) so it never delays the others.

Time comes from an injectable `Clock` so coalescing and heartbeats are tested without sleeps.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable, Collection, Mapping
from types import TracebackType
from typing import Protocol, Self

import structlog

from portal.errors import ServiceUnavailable
from portal.services.sse_frames import FRAGMENT_EVENT, HEARTBEAT_FRAME, encode_event, encode_hello
from portal.services.sse_selections import (
    DETAIL_TOPICS,
    PAGE_TOPICS,
    ChangeKey,
    Selection,
    select_stream,
)
from portal.services.sse_subscribers import BroadcastMetrics, CloseReason, Subscriber

Render = Callable[[], Mapping[str, str]]
"""Returns the HTML to push per page topic; each fragment carries `id` and `hx-swap-oob`."""

log = structlog.get_logger("portal.broadcasting")

FLUSH_BATCH = 64
"""Most keys delivered before the flush task yields, so a relist burst cannot stall the
streams; never more than half a queue, so a client that keeps up is never dropped by a burst."""


class Clock(Protocol):
    """Time as the broadcaster sees it: production uses the event loop's monotonic clock."""

    def now(self) -> float: ...

    async def wait(self, wakeup: asyncio.Event, deadline: float) -> None:
        """Return once `wakeup` is set or the clock has reached `deadline`."""


class LoopClock:
    """The running event loop's monotonic clock."""

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    async def wait(self, wakeup: asyncio.Event, deadline: float) -> None:
        alarm = asyncio.get_running_loop().call_at(deadline, wakeup.set)
        try:
            await wakeup.wait()
        finally:
            alarm.cancel()


class BroadcasterClosed(ServiceUnavailable):
    """The portal is shutting down; streams are no longer accepted."""


class Broadcaster:
    """Owns the subscriber registry and the flush task; use `async with Broadcaster(...)`."""

    def __init__(
        self,
        *,
        coalesce_seconds: float = 0.25,
        heartbeat_seconds: float = 15.0,
        queue_capacity: int = 256,
        retry_ms: int = 3000,
        pages: Collection[str] = PAGE_TOPICS,
        details: Collection[str] = DETAIL_TOPICS,
        clock: Clock | None = None,
    ) -> None:
        if coalesce_seconds < 0 or heartbeat_seconds <= 0 or queue_capacity < 1:
            raise ValueError("need coalesce_seconds >= 0, heartbeat_seconds > 0, capacity >= 1")
        self.coalesce_seconds = coalesce_seconds
        self.heartbeat_seconds = heartbeat_seconds
        self.queue_capacity = queue_capacity
        self.pages = frozenset(pages)
        self.details = frozenset(details)
        self.metrics = BroadcastMetrics()
        self.hello_frame = encode_hello(retry_ms=retry_ms)
        self._clock: Clock = clock or LoopClock()
        self._batch = max(1, min(FLUSH_BATCH, queue_capacity // 2))
        self._by_page: dict[str, set[Subscriber]] = {t: set() for t in self.pages | self.details}
        self._pending: dict[ChangeKey, tuple[Render, frozenset[str] | None]] = {}
        self._due: list[tuple[float, int, ChangeKey]] = []
        self._last_flush: dict[ChangeKey, float] = {}
        self._order = itertools.count()
        self._wakeup = asyncio.Event()
        self._membership = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    # lifecycle -----------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def start(self) -> None:
        """Start the flush task on the running loop."""
        if self._task is not None or self._closed:
            raise RuntimeError("a Broadcaster starts once")
        self._task = asyncio.create_task(self._run(), name="broadcaster-flush")

    async def close(self) -> None:
        """Stop flushing, then end every stream (browsers reconnect to another replica)."""
        self._closed = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait([self._task])
            if not self._task.cancelled() and self._task.exception() is not None:
                log.error("broadcaster flush task failed", exc_info=self._task.exception())
        self.end_streams()

    def end_streams(self) -> None:
        """End every stream now and refuse new ones; call it when the server starts to shut
        down, because uvicorn waits for open responses *before* the lifespan's shutdown."""
        self._closed = True
        self._pending.clear()
        self._due.clear()
        for subscriber in self.subscribers():
            self._remove(subscriber, CloseReason.SHUTDOWN)

    # subscribing ---------------------------------------------------------------------------

    def select(
        self, *, page: str, cluster: str | None, namespace: str | None, name: str | None
    ) -> Selection:
        """Validate a stream request against this broadcaster's topics."""
        return select_stream(
            page=page,
            cluster=cluster,
            namespace=namespace,
            name=name,
            pages=self.pages,
            details=self.details,
        )

    def subscribe(self, selection: Selection) -> Subscriber:
        """Register a stream; its queue already holds the `hello` frame."""
        if self._closed:
            raise BroadcasterClosed("the portal is shutting down; reconnect shortly")
        subscriber = Subscriber(selection, capacity=self.queue_capacity, metrics=self.metrics)
        subscriber.offer(self.hello_frame)
        self._by_page[selection.page].add(subscriber)
        self.metrics.streams_opened += 1
        self._membership_changed(+1)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        """Forget a stream whose client went away (idempotent)."""
        self._remove(subscriber, CloseReason.DISCONNECTED)

    @property
    def clients(self) -> int:
        return self.metrics.clients_connected

    def watched(self, pages: frozenset[str]) -> bool:
        """Whether anyone is subscribed to one of `pages` now."""
        return any(self._by_page.get(page) for page in pages)

    def subscribers(self) -> list[Subscriber]:
        """The registered streams, for diagnostics (closing one ends that stream)."""
        return [s for subscribers in self._by_page.values() for s in subscribers]

    async def wait_for(self, condition: Callable[[BroadcastMetrics], bool]) -> None:
        """Return once `condition(metrics)` holds, checked whenever a stream comes or goes."""
        while not condition(self.metrics):
            await self._membership.wait()

    async def wait_for_clients(self, count: int) -> None:
        """Return once exactly `count` streams are registered (drain checks, tests)."""
        await self.wait_for(lambda metrics: metrics.clients_connected == count)

    def _remove(self, subscriber: Subscriber, reason: CloseReason) -> None:
        subscriber.close(reason)
        page = self._by_page[subscriber.selection.page]
        if subscriber in page:
            page.remove(subscriber)
            self._membership_changed(-1)

    def _membership_changed(self, delta: int) -> None:
        self.metrics.clients_connected += delta
        self._membership.set()
        self._membership = asyncio.Event()

    # publishing ----------------------------------------------------------------------------

    def publish(
        self, key: ChangeKey, render: Render, *, pages: frozenset[str] | None = None
    ) -> None:
        """Note that `key` changed; `render` is called later, once, if it is still the latest,
        and only if a page it renders for (`pages`, when given) has a subscriber then."""
        self.metrics.publishes += 1
        if self._closed:
            return
        already_due = key in self._pending
        self._pending[key] = (render, pages)
        if already_due:
            return
        last = self._last_flush.get(key)
        now = self._clock.now()
        due = now if last is None else max(now, last + self.coalesce_seconds)
        heapq.heappush(self._due, (due, next(self._order), key))
        self._wakeup.set()

    async def _run(self) -> None:
        next_heartbeat = self._clock.now() + self.heartbeat_seconds
        while True:
            now = self._clock.now()
            if self._flush_due(now):
                await asyncio.sleep(0)  # a large batch: let the streams write in between
                continue
            if now >= next_heartbeat:
                self._broadcast_heartbeat()
                self._forget_quiet_keys(now)
                next_heartbeat = now + self.heartbeat_seconds
            deadline = min(next_heartbeat, self._due[0][0]) if self._due else next_heartbeat
            self._wakeup.clear()
            await self._clock.wait(self._wakeup, deadline)

    def _flush_due(self, now: float) -> bool:
        """Deliver a batch of due keys; True when more are due right now."""
        for _ in range(self._batch):
            if not self._due or self._due[0][0] > now:
                return False
            _, _, key = heapq.heappop(self._due)
            self._last_flush[key] = now
            self._deliver(key, self._pending.pop(key))
        return bool(self._due) and self._due[0][0] <= now

    def _forget_quiet_keys(self, now: float) -> None:
        """Objects quiet for a whole window need no memory: their next change goes out at once."""
        horizon = now - self.coalesce_seconds
        quiet = [key for key, at in self._last_flush.items() if at <= horizon]
        for key in quiet:
            del self._last_flush[key]

    def _deliver(self, key: ChangeKey, pending: tuple[Render, frozenset[str] | None]) -> None:
        render, pages = pending
        if pages is not None and not self.watched(pages):
            self.metrics.renders_skipped += 1  # nobody is on a page it renders for
            return
        self.metrics.renders += 1
        try:
            fragments = render()
        except Exception:
            self.metrics.render_errors += 1
            log.exception("rendering a change failed", change=key)
            return
        for page, html in fragments.items():
            subscribers = self._by_page.get(page)
            if not html or not subscribers:
                continue
            frame = encode_event(FRAGMENT_EVENT, html)
            self.metrics.frames_encoded += 1
            self._fan_out(frame, subscribers, key)

    def _broadcast_heartbeat(self) -> None:
        self.metrics.heartbeats += 1
        for subscribers in list(self._by_page.values()):
            self._fan_out(HEARTBEAT_FRAME, subscribers, None)

    def _fan_out(self, frame: bytes, subscribers: set[Subscriber], key: ChangeKey | None) -> None:
        """The per-client work: a filter check and a queue put of the shared frame."""
        slow = [
            s
            for s in subscribers
            if (key is None or s.selection.matches(key)) and not s.offer(frame)
        ]
        for subscriber in slow:
            log.info("dropping a slow stream", subscriber=subscriber.id, queued=subscriber.queued)
            self.metrics.clients_dropped += 1
            self._remove(subscriber, CloseReason.DROPPED)
