"""Fault switches tests flip to make the API misbehave on purpose.

Close every open watch now, answer the next N watches with 410 Gone, cut the next N watch
events after half their JSON line (the connection aborted, or the stream ended cleanly there),
answer the next N requests (optionally under a path prefix) with 500 or 429 + Retry-After,
delay them, or hold them until the test releases them (a barrier: the test looks at the world
while the request is in flight).
Going down and coming back on the same port is the server's job (see `server.py`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Literal

from devcluster.errors import ApiError
from devcluster.store import ObjectStore


@dataclass
class RequestFault:
    """Answer (or delay) the next `remaining` requests under `path_prefix`."""

    remaining: int
    path_prefix: str = ""
    status: int | None = None
    method: str | None = None
    retry_after: int = 1
    delay_seconds: float = 0.0


CutMode = Literal["abort", "end"]
CUT_MODES: tuple[CutMode, ...] = ("abort", "end")


class WatchStreamCut(Exception):
    """Raised inside a watch stream to abort its connection mid-event (no terminating chunk):
    the client sees a truncated body, as when a proxy or a node drops the connection."""


@dataclass
class EventCut:
    """Cut the next `remaining` watch events under `path_prefix` after half their line."""

    remaining: int
    path_prefix: str = ""
    mode: CutMode = "abort"


@dataclass
class Hold:
    """A barrier for the next matching request: `arrived` is set when it reaches the server,
    which answers it only after `release()`."""

    path_prefix: str = ""
    method: str | None = None
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)
    path: str = ""
    """The path of the request that arrived."""

    def matches(self, path: str, method: str) -> bool:
        wanted = self.method is None or self.method == method
        return wanted and not self.arrived.is_set() and path.startswith(self.path_prefix)

    def release(self) -> None:
        self.released.set()


@dataclass
class Planned:
    """What happens to one request: wait for `hold`, sleep `delay_seconds`, then maybe fail
    with `error`."""

    delay_seconds: float = 0.0
    error: ApiError | None = None
    hold: Hold | None = None


@dataclass
class Faults:
    """The switches; consulted by the HTTP layer on every API request."""

    store: ObjectStore
    watch_expiries: list[RequestFault] = field(default_factory=list)
    event_cuts: list[EventCut] = field(default_factory=list)
    request_faults: list[RequestFault] = field(default_factory=list)
    holds: list[Hold] = field(default_factory=list)

    def close_watches(self) -> int:
        """End every open watch stream now; returns how many were closed."""
        return self.store.close_watchers()

    def expire_next_watches(self, count: int, *, path_prefix: str = "") -> None:
        """The next `count` watches (under `path_prefix`) get a 410 Expired ERROR event."""
        self.watch_expiries.append(RequestFault(count, path_prefix))

    @property
    def expire_watches(self) -> int:
        """How many injected 410s are still pending."""
        return sum(f.remaining for f in self.watch_expiries)

    def cut_next_watch_events(
        self, count: int, *, path_prefix: str = "", mode: CutMode = "abort"
    ) -> None:
        """The next `count` object events of watches under `path_prefix` are sent only up to
        half their JSON line; then the connection is aborted (`abort`) or the stream ends
        cleanly (`end`). The event is not lost: a watch from the last resourceVersion the
        client saw gets it again, whole."""
        if mode not in CUT_MODES:
            raise ValueError(f"unsupported cut mode {mode!r}: use abort or end")
        self.event_cuts.append(EventCut(count, path_prefix, mode))

    def take_event_cut(self, path: str) -> CutMode | None:
        """Consume one pending cut for an event of a watch of `path`: how to cut it, if any."""
        for cut in self.event_cuts:
            if cut.remaining > 0 and path.startswith(cut.path_prefix):
                cut.remaining -= 1
                self.event_cuts = [c for c in self.event_cuts if c.remaining > 0]
                return cut.mode
        return None

    def fail_next_requests(
        self,
        *,
        count: int,
        status: int = 500,
        path_prefix: str = "",
        retry_after: int = 1,
        method: str | None = None,
    ) -> None:
        """Answer the next `count` matching requests (of `method`, if given) with `status`."""
        if status not in (429, 500, 503):
            raise ValueError(f"unsupported fault status {status}: use 429, 500 or 503")
        self.request_faults.append(
            RequestFault(count, path_prefix, status=status, retry_after=retry_after, method=method)
        )

    def slow_next_requests(
        self, *, count: int, delay_seconds: float, path_prefix: str = "", method: str | None = None
    ) -> None:
        """Delay the next `count` matching requests (of `method`, if given) by `delay_seconds`."""
        self.request_faults.append(
            RequestFault(count, path_prefix, delay_seconds=delay_seconds, method=method)
        )

    def hold_next_request(self, *, path_prefix: str = "", method: str | None = None) -> Hold:
        """Hold the next matching request (of `method`, if given) until the hold is released."""
        hold = Hold(path_prefix=path_prefix, method=method)
        self.holds.append(hold)
        return hold

    def clear(self) -> None:
        self.watch_expiries.clear()
        self.event_cuts.clear()
        self.request_faults.clear()
        for hold in self.holds:
            hold.release()
        self.holds.clear()

    def take_watch_expiry(self, path: str = "") -> bool:
        """Consume one pending 410 for a watch of `path`, if any applies."""
        for fault in self.watch_expiries:
            if fault.remaining > 0 and path.startswith(fault.path_prefix):
                fault.remaining -= 1
                self.watch_expiries = [f for f in self.watch_expiries if f.remaining > 0]
                return True
        return False

    def plan(self, path: str, method: str = "GET") -> Planned:
        """Consume the faults that apply to a `method` request for `path`."""
        planned = Planned()
        for hold in self.holds:
            if hold.matches(path, method):
                hold.path = path
                hold.arrived.set()
                planned.hold = hold
                break
        self.holds = [h for h in self.holds if not h.arrived.is_set()]
        for fault in self.request_faults:
            if fault.remaining <= 0 or not path.startswith(fault.path_prefix):
                continue
            if fault.method is not None and fault.method != method:
                continue
            fault.remaining -= 1
            planned.delay_seconds += fault.delay_seconds
            if fault.status is not None and planned.error is None:
                planned.error = _fault_error(fault)
        self.request_faults = [f for f in self.request_faults if f.remaining > 0]
        return planned


def _fault_error(fault: RequestFault) -> ApiError:
    if fault.status == 429:
        return ApiError(
            code=429,
            reason="TooManyRequests",
            message="the server has received too many requests and has asked us to try again later",
            retry_after=fault.retry_after,
        )
    return ApiError(
        code=fault.status or 500,
        reason="InternalError",
        message="Internal error occurred: injected by devcluster faults",
    )
