"""Events expire, as in a cluster (the API server's `--event-ttl`, one hour by default).

The portal keeps its own canary timeline because Kubernetes forgets events; devcluster forgets
them too, sending the DELETED watch events a real cluster sends when an event's etcd lease ends.
Expiry is checked whenever events are written or read.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from devcluster.buckets import Key
from devcluster.watchers import Stored

EVENT_BUCKET = "events"
STAMP = "%Y-%m-%dT%H:%M:%SZ"


def parse_stamp(text: str) -> datetime:
    return datetime.strptime(text, STAMP).replace(tzinfo=UTC)


@dataclass
class EventExpiry:
    """Events in creation order with the moment each one expires."""

    ttl_seconds: float
    _queue: deque[tuple[datetime, Key, str]] = field(default_factory=deque)

    def track(self, stored: Stored) -> None:
        meta = stored.obj["metadata"]
        created = parse_stamp(meta["creationTimestamp"])
        key = (meta.get("namespace", ""), meta["name"])
        self._queue.append((created + timedelta(seconds=self.ttl_seconds), key, meta["uid"]))

    def due(self, now: datetime) -> list[tuple[Key, str]]:
        """Pop every (key, uid) whose time is up."""
        expired = []
        while self._queue and self._queue[0][0] <= now:
            _, key, uid = self._queue.popleft()
            expired.append((key, uid))
        return expired
