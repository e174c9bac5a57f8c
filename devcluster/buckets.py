"""One resource's objects in storage order, with its bounded change history.

Keys are (namespace, name), kept sorted lazily (like etcd's key order) so lists, namespace
ranges and continue tokens are a bisect away.
"""

from __future__ import annotations

import bisect
from collections import deque
from dataclasses import dataclass

from devcluster.watchers import Change, Stored

Key = tuple[str, str]


@dataclass
class Bucket:
    """The objects of one resource (shared by the API versions serving it) and their history."""

    objects: dict[Key, Stored]
    history: deque[Change]
    floor: int = 0
    _sorted: list[Key] | None = None

    def sorted_keys(self) -> list[Key]:
        if self._sorted is None:
            self._sorted = sorted(self.objects)
        return self._sorted

    def keys_after(self, start: Key, namespace: str) -> list[Key]:
        keys = self.sorted_keys()
        index = bisect.bisect_right(keys, start) if start != ("", "") else 0
        if namespace:
            index = max(index, bisect.bisect_left(keys, (namespace, "")))
            end = bisect.bisect_left(keys, (namespace + "\x00", ""))
            return keys[index:end]
        return keys[index:]
