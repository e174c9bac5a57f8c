"""Kubernetes core/v1 Events the simulated controllers record, aggregated like client-go does.

client-go's recorder does not create a new Event for a repeat: it bumps `count` and
`lastTimestamp` on the one it made. Flagger repeats messages every tick (a suspended canary
says so each interval), so without aggregation the event list would grow without bound.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from devcluster.simulation.api_client import EVENTS, ApiError, KubeApi


def utc_now() -> str:
    """The current time as Kubernetes writes timestamps (RFC 3339, seconds, Z)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def micro_now() -> str:
    """The current time with microseconds (Kubernetes MicroTime)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_document(
    *,
    involved: dict[str, Any],
    reason: str,
    message: str,
    warning: bool,
    component: str,
    now: str,
) -> dict[str, Any]:
    """A new core/v1 Event about `involved` (an object as the API returned it)."""
    metadata = involved["metadata"]
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": f"{metadata['name']}.{time.time_ns():x}",
            "namespace": metadata.get("namespace", "default"),
        },
        "involvedObject": {
            "apiVersion": involved["apiVersion"],
            "kind": involved["kind"],
            "name": metadata["name"],
            "namespace": metadata.get("namespace", "default"),
            "uid": metadata.get("uid", ""),
            "resourceVersion": metadata.get("resourceVersion", ""),
        },
        "reason": reason,
        "message": message,
        "type": "Warning" if warning else "Normal",
        "source": {"component": component},
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
        "reportingComponent": component,
        "reportingInstance": "",
    }


@dataclass
class _Seen:
    name: str
    count: int


@dataclass
class EventRecorder:
    """Posts Events through the API, patching the earlier one when a message repeats."""

    api: KubeApi
    component: str
    seen: OrderedDict[tuple[str, ...], _Seen] = field(default_factory=OrderedDict)
    remembered: int = 4096

    async def record(
        self, *, involved: dict[str, Any], reason: str, message: str, warning: bool
    ) -> None:
        metadata = involved["metadata"]
        namespace = metadata.get("namespace", "default")
        key = (namespace, involved["kind"], metadata["name"], reason, message, str(warning))
        now = utc_now()
        earlier = self.seen.get(key)
        if earlier is not None and await self._bump(namespace=namespace, earlier=earlier, now=now):
            self.seen.move_to_end(key)
            return
        body = event_document(
            involved=involved,
            reason=reason,
            message=message,
            warning=warning,
            component=self.component,
            now=now,
        )
        await self.api.create(kind=EVENTS, namespace=namespace, body=body)
        self.seen[key] = _Seen(name=body["metadata"]["name"], count=1)
        if len(self.seen) > self.remembered:
            self.seen.popitem(last=False)

    async def _bump(self, *, namespace: str, earlier: _Seen, now: str) -> bool:
        patch = {"count": earlier.count + 1, "lastTimestamp": now}
        try:
            await self.api.merge_patch(
                kind=EVENTS, namespace=namespace, name=earlier.name, patch=patch
            )
        except ApiError as error:
            if error.status_code == 404:
                return False
            raise
        earlier.count += 1
        return True
