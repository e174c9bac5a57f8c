"""Singleton work runs on one replica: the one that holds the Lease.

Several replicas share one database and watch the same clusters. Work that writes or reaches
outside (the run-end sweeper, the timeline recorder, retention, notification delivery, the cost
refresh, ...) is registered in `LeaderOnly`: it starts when this replica starts leading and is
cancelled and awaited when it stops, so a replica that lost its Lease has stopped working before
another can take the Lease over (the renew deadline is shorter than the lease duration).
Read-only, per-process work (the live push to this replica's browsers, its metrics) is not
registered here and runs on every replica.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

Job = Callable[[], Coroutine[Any, Any, None]]


class LeaderOnly:
    """Named jobs that run only while this replica leads."""

    def __init__(self) -> None:
        self._jobs: list[tuple[str, Job]] = []
        self._tasks: list[asyncio.Task[None]] = []

    def add(self, job: Job, *, name: str) -> None:
        self._jobs.append((name, job))

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self._jobs]

    @property
    def running(self) -> list[str]:
        return [task.get_name() for task in self._tasks if not task.done()]

    def start(self) -> None:
        if not self._tasks:
            self._tasks = [asyncio.create_task(job(), name=name) for name, job in self._jobs]

    async def stop(self) -> None:
        """Cancel every job and wait until each has ended."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def follow(self, leading: bool) -> None:
        """The elector's callback: start on leading, stop on losing."""
        if leading:
            self.start()
        else:
            await self.stop()


@dataclass(frozen=True, slots=True)
class LeaderStatus:
    """What /readyz says about leadership."""

    identity: str
    is_leader: bool
    holder: str | None
    lease: str | None
    """`namespace/name` of the Lease; None when this replica leads alone (no cluster)."""
    error: str | None = None


StatusSource = Callable[[], LeaderStatus]


class LeaderCollector(Collector):
    """`portal_leader{identity}`: 1 while this replica leads, else 0; and
    `portal_leader_job_running{job}` for each singleton job (1 while it runs here)."""

    def __init__(self, status: StatusSource, jobs: LeaderOnly) -> None:
        self._status = status
        self._jobs = jobs

    def collect(self) -> Iterator[Metric]:
        status = self._status()
        leader = GaugeMetricFamily(
            "portal_leader", "1 while this replica runs the singleton work", labels=["identity"]
        )
        leader.add_metric([status.identity], 1.0 if status.is_leader else 0.0)
        yield leader
        running = set(self._jobs.running)
        jobs = GaugeMetricFamily(
            "portal_leader_job_running", "1 while this singleton job runs here", labels=["job"]
        )
        for name in self._jobs.names:
            jobs.add_metric([name], 1.0 if name in running else 0.0)
        yield jobs
