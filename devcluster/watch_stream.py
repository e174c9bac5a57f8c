"""The watch protocol: newline-delimited JSON events over one chunked HTTP response.

`?watch=true&resourceVersion=N` replays the retained history after N then streams live
changes; no (or "0") resourceVersion starts with synthetic ADDED events for every object.
A resourceVersion older than the retained history gets one ERROR event carrying a 410 Expired
Status, as from the real server's watch cache. BOOKMARK events are sent when asked
(`allowWatchBookmarks`), and the stream ends after `timeoutSeconds`.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from devcluster import errors
from devcluster.faults import WatchStreamCut
from devcluster.http_common import CHUNK
from devcluster.query_params import parse_bool
from devcluster.reading import build_filter, raw_view, table_event_object, view
from devcluster.routing import Target
from devcluster.state import ClusterState
from devcluster.store import encode
from devcluster.watchers import Stored, Watcher


@dataclass(frozen=True)
class WatchOptions:
    since: int | None
    timeout: float
    bookmarks: bool
    table: bool
    include: str


def watch_options(query: dict[str, str], *, table: bool, default_timeout: float) -> WatchOptions:
    raw_rv = query.get("resourceVersion", "")
    try:
        since = int(raw_rv) if raw_rv not in ("", "0") else None
        timeout = float(query["timeoutSeconds"]) if query.get("timeoutSeconds") else default_timeout
    except ValueError as exc:
        raise errors.bad_request(f"invalid watch parameters: {exc}") from exc
    return WatchOptions(
        since=since,
        timeout=timeout,
        bookmarks=parse_bool(query.get("allowWatchBookmarks")),
        table=table,
        include=query.get("includeObject", "Metadata"),
    )


def open_watch(
    state: ClusterState, target: Target, query: dict[str, str], opts: WatchOptions, *, path: str
) -> Watcher | bytes:
    """Register the watch, or the single ERROR event line when it cannot start (410)."""
    flt = build_filter(target.rtype, target.namespace, query)
    try:
        if state.faults.take_watch_expiry(path):
            since = opts.since if opts.since is not None else state.store.revision
            raise errors.expired(f"too old resource version: {since} ({state.store.revision})")
        return state.store.watch(target.rtype, flt=flt, since=opts.since)
    except errors.ApiError as exc:
        return encode({"type": "ERROR", "object": exc.to_status()}) + b"\n"


def _event_line(target: Target, kind: str, stored: Stored, opts: WatchOptions) -> bytes:
    if opts.table:
        obj = table_event_object(target.rtype, view(target.rtype, stored), opts.include)
        return encode({"type": kind, "object": obj}) + b"\n"
    return b'{"type":"' + kind.encode() + b'","object":' + raw_view(target.rtype, stored) + b"}\n"


def _bookmark(target: Target, revision: int) -> bytes:
    rtype = target.rtype
    obj = {
        "kind": rtype.kind,
        "apiVersion": rtype.api_version,
        "metadata": {"resourceVersion": str(revision), "creationTimestamp": None},
    }
    return encode({"type": "BOOKMARK", "object": obj}) + b"\n"


def _chunks(lines: list[bytes]) -> list[bytes]:
    """Event lines joined into writes of about CHUNK bytes (a replay can be many MB)."""
    chunks: list[bytes] = []
    pending: list[bytes] = []
    size = 0
    for line in lines:
        pending.append(line)
        size += len(line)
        if size >= CHUNK:
            chunks.append(b"".join(pending))
            pending, size = [], 0
    if pending:
        chunks.append(b"".join(pending))
    return chunks


async def stream_events(
    state: ClusterState, target: Target, watcher: Watcher, opts: WatchOptions, *, path: str = ""
) -> AsyncIterator[bytes]:
    """Yield event lines until the watch is closed, times out or the client goes away.

    An injected cut (`Faults.cut_next_watch_events`) sends half of an event's line, then aborts
    the connection (`WatchStreamCut`) or ends the stream there."""
    deadline = time.monotonic() + opts.timeout
    next_bookmark = time.monotonic() + state.bookmark_interval
    try:
        while True:
            now = time.monotonic()
            if now >= deadline:
                return
            wait = min(deadline, next_bookmark if opts.bookmarks else deadline) - now
            batch = await watcher.next_batch(max(wait, 0.0))
            lines: list[bytes] = []
            for item in batch:
                if item is None:
                    break
                line = _event_line(target, item[0], item[1], opts)
                cut = state.faults.take_event_cut(path) if state.faults.event_cuts else None
                if cut is not None:
                    for chunk in _chunks([*lines, line[: len(line) // 2]]):
                        yield chunk
                    if cut == "abort":
                        raise WatchStreamCut(f"injected cut of a watch event on {path}")
                    return
                lines.append(line)
            else:
                if opts.bookmarks and time.monotonic() >= next_bookmark and not watcher.pending:
                    lines.append(_bookmark(target, state.store.revision))
                    next_bookmark = time.monotonic() + state.bookmark_interval
                for chunk in _chunks(lines):
                    yield chunk
                continue
            for chunk in _chunks(lines):
                yield chunk
            return
    finally:
        state.store.unwatch(watcher)
