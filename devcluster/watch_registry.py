"""The open watches, by resource: fan-out of committed changes and waiting on watch counts.

Tests use `wait_for_watchers` to know a client's watch is established before they write, and
that it was released afterwards, without sleeping.
"""

from __future__ import annotations

import asyncio

from devcluster.watchers import Change, Watcher


class WatchRegistry:
    """Watchers per storage bucket; wakes waiters whenever the set changes."""

    def __init__(self) -> None:
        self._by_bucket: dict[str, set[Watcher]] = {}
        self._changed = asyncio.Event()

    def add(self, watcher: Watcher) -> None:
        self._by_bucket.setdefault(watcher.bucket, set()).add(watcher)
        self._notify()

    def remove(self, watcher: Watcher) -> None:
        watcher.close()
        self._by_bucket.get(watcher.bucket, set()).discard(watcher)
        self._notify()

    def fan_out(self, change: Change) -> None:
        """Offer one committed change to every watch of its bucket."""
        watchers = self._by_bucket.get(change.bucket)
        if not watchers:
            return
        for watcher in list(watchers):
            watcher.offer(change)
            if watcher.closed:
                watchers.discard(watcher)
                self._notify()

    def close_all(self) -> int:
        """End every open watch now (clients see the stream end); returns how many."""
        count = 0
        for watchers in self._by_bucket.values():
            for watcher in list(watchers):
                watcher.close()
                count += 1
            watchers.clear()
        self._notify()
        return count

    def count(self, bucket: str | None = None) -> int:
        if bucket is not None:
            return len(self._by_bucket.get(bucket, ()))
        return sum(len(w) for w in self._by_bucket.values())

    async def wait_for(self, *, count: int, bucket: str | None = None, within: float = 10) -> None:
        """Wait (up to `within` seconds) until exactly `count` watches are open on `bucket`."""
        async with asyncio.timeout(within):
            while self.count(bucket) != count:
                await self._changed.wait()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()
