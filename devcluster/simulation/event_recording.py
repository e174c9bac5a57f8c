"""Kubernetes core/v1 Events the simulated controllers record, correlated like client-go does.

client-go's recorder does not create a new Event for a repeat: it bumps `count` and
`lastTimestamp` on the one it made; it merges a chatty object's messages and drops events past
a rate limit (`event_correlation`). Flagger repeats messages every tick (a suspended canary
says so each interval), so a real cluster's Event list is not a log of what Flagger said.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from devcluster.simulation.api_client import EVENTS, ApiError, KubeApi
from devcluster.simulation.event_correlation import Correlated, EventCorrelator, EventFacts


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
class EventRecorder:
    """Posts Events through the API as client-go's default recorder does (recordToSink): each
    event goes through the correlator, which merges, counts or drops it; a repeat patches the
    Event it made, and an Event gone meanwhile (expired) is created again under its name."""

    api: KubeApi
    component: str
    clock: Callable[[], float] = time.monotonic
    """Seconds on the simulation's clock (scaled like the controllers' intervals)."""
    correlator: EventCorrelator = field(default_factory=EventCorrelator)

    async def record(
        self, *, involved: dict[str, Any], reason: str, message: str, warning: bool
    ) -> None:
        metadata = involved["metadata"]
        namespace = metadata.get("namespace", "default")
        facts = EventFacts(
            component=self.component,
            kind=involved["kind"],
            namespace=namespace,
            name=metadata["name"],
            uid=metadata.get("uid", ""),
            api_version=involved["apiVersion"],
            type="Warning" if warning else "Normal",
            reason=reason,
            message=message,
        )
        decision, key = self.correlator.correlate(facts, now=self.clock())
        if decision.skip:
            return
        now = utc_now()
        if decision.existing is not None and await self._patch(
            namespace=namespace, name=decision.existing, decision=decision, now=now
        ):
            return
        body = event_document(
            involved=involved,
            reason=reason,
            message=decision.message,
            warning=warning,
            component=self.component,
            now=now,
        )
        if decision.existing is not None:
            body["metadata"]["name"] = decision.existing
        body["count"] = decision.count  # a dropped first sighting still counted
        await self.api.create(kind=EVENTS, namespace=namespace, body=body)
        self.correlator.remember(key, name=body["metadata"]["name"])

    async def _patch(self, *, namespace: str, name: str, decision: Correlated, now: str) -> bool:
        patch = {"count": decision.count, "lastTimestamp": now, "message": decision.message}
        try:
            await self.api.merge_patch(kind=EVENTS, namespace=namespace, name=name, patch=patch)
        except ApiError as error:
            if error.status_code == 404:
                return False
            raise
        return True
