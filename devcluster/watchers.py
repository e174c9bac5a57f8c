"""Watch registrations: which changes a watch wants, and its queue of pending events.

A watcher filters each committed change by namespace, label and field selector the way the
server's watch cache does: an object that stops matching is sent as DELETED, one that starts
matching as ADDED. Watchers that fall too far behind are closed, as the real server does.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from devcluster.selectors import FieldSelector, LabelSelector


@dataclass(frozen=True)
class Stored:
    """One object as stored: the dict (never mutated after commit) and its JSON encoding."""

    obj: dict[str, Any]
    raw: bytes

    @property
    def namespace(self) -> str:
        return str(self.obj["metadata"].get("namespace", ""))


@dataclass(frozen=True)
class Change:
    """One committed write, as kept in the event history."""

    rv: int
    type: str
    bucket: str
    stored: Stored
    previous: dict[str, Any] | None


@dataclass(frozen=True)
class WatchFilter:
    """What a watch selects: namespace ("" for all) and selectors (on the storage form)."""

    namespace: str
    labels: LabelSelector
    fields: FieldSelector
    view: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    def matches(self, obj: dict[str, Any] | None) -> bool:
        if obj is None:
            return False
        meta = obj["metadata"]
        if self.namespace and meta.get("namespace", "") != self.namespace:
            return False
        return self.labels.matches(meta.get("labels")) and self.fields.matches(obj)


@dataclass(eq=False)
class Watcher:
    """A live watch: the store pushes (type, object) pairs; the HTTP stream drains them."""

    bucket: str
    filter: WatchFilter
    max_backlog: int = 10_000
    pending: deque[tuple[str, Stored] | None] = field(default_factory=deque)
    wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    closed: bool = False

    def offer(self, change: Change) -> None:
        """Queue the event this change means for this watch, if any."""
        now = self.filter.matches(change.stored.obj)
        before = change.previous is not None and self.filter.matches(change.previous)
        if change.type == "DELETED":
            kind = "DELETED" if now else None
        elif change.type == "ADDED" or (now and not before):
            kind = "ADDED" if now else None
        else:
            kind = "MODIFIED" if now else ("DELETED" if before else None)
        if kind is not None:
            self.push((kind, change.stored))

    def push(self, item: tuple[str, Stored]) -> None:
        if self.closed:
            return
        if len(self.pending) >= self.max_backlog:
            self.close()
            return
        self.pending.append(item)
        self.wakeup.set()

    def close(self) -> None:
        """End this watch: the stream finishes after what is already queued."""
        if not self.closed:
            self.closed = True
            self.pending.append(None)
            self.wakeup.set()

    async def next_batch(self, wait_seconds: float) -> list[tuple[str, Stored] | None]:
        """Everything queued, waiting up to `timeout` seconds for something to arrive."""
        if not self.pending:
            self.wakeup.clear()
            try:
                await asyncio.wait_for(self.wakeup.wait(), wait_seconds)
            except TimeoutError:
                return []
        batch = list(self.pending)
        self.pending.clear()
        return batch
