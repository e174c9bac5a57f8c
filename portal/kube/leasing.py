"""Leader election over one `coordination.k8s.io/v1` Lease, so singleton work runs on one replica.

kubernetes_asyncio's `LeaseLock` reads, creates and replaces the Lease (the replace carries the
resourceVersion it read, so of two replicas writing at once one gets a 409 and loses), and its
`LeaderElection.try_acquire_or_renew` decides one attempt the way client-go does: a candidate
takes the Lease over only when it has seen no change to it for a lease duration, measured on its
own clock, never by comparing its clock with the holder's `renewTime`.

Its `run()` loop is not used, for what reading it (kubernetes_asyncio 32) showed:
- an exception other than `ApiException` (connection refused, a body that is not JSON) escapes
  `run()` while the leader's task goes on running;
- no call is bounded, so an API server that hangs holds the renew loop past the renew deadline
  and the replica goes on working after its Lease expired;
- it never releases the Lease and never campaigns again after losing it.
`LeaseElector.run` bounds every attempt by the time left before the renew deadline, counts any
failure as a failed attempt, campaigns again after a loss, and `release` hands the Lease back.
"""

from __future__ import annotations

import asyncio
import math
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import structlog
from kubernetes_asyncio.client import ApiClient
from kubernetes_asyncio.leaderelection.electionconfig import Config
from kubernetes_asyncio.leaderelection.leaderelection import LeaderElection
from kubernetes_asyncio.leaderelection.resourcelock.leaselock import LeaseLock

log = structlog.get_logger("portal.leader")

SERVICE_ACCOUNT_NAMESPACE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")

Changed = Callable[[bool], Awaitable[None]]
"""Called with True when this replica starts leading, False when it stops."""


@dataclass(frozen=True, slots=True)
class LeaseTiming:
    """client-go's three durations (leaderelection.LeaderElectionConfig)."""

    lease_seconds: int
    """How long a candidate waits, from the last change it saw, before taking the Lease."""
    renew_deadline_seconds: float
    """How long the leader keeps trying to renew before it stops leading."""
    retry_seconds: float
    """Time between two attempts (renewals of the leader, campaigns of the others)."""


def default_identity() -> str:
    """`<hostname>-<pid>`: unique per process, readable in `kubectl get lease`."""
    return f"{socket.gethostname()}-{os.getpid()}"


def default_namespace(*, in_cluster: bool) -> str:
    """The pod's own namespace in a cluster (where its Role grants Leases), else `default`."""
    if in_cluster and SERVICE_ACCOUNT_NAMESPACE.is_file():
        return SERVICE_ACCOUNT_NAMESPACE.read_text(encoding="utf-8").strip()
    return "default"


async def _never() -> None:
    """LeaderElection's config insists on a start callback; this module's loop starts the work."""


class LeaseElector:
    """One replica's candidacy: `run()` until cancelled, then `release()`."""

    def __init__(
        self,
        *,
        client: ApiClient,
        name: str,
        namespace: str,
        identity: str,
        timing: LeaseTiming,
        on_change: Changed,
    ) -> None:
        self.name = name
        self.namespace = namespace
        self.identity = identity
        self.timing = timing
        self._on_change = on_change
        self._lock = LeaseLock(name, namespace, identity, client)
        self._election = LeaderElection(
            Config(
                self._lock,
                lease_duration=timing.lease_seconds,
                renew_deadline=timing.renew_deadline_seconds,
                retry_period=timing.retry_seconds,
                onstarted_leading=_never,
                onstopped_leading=None,  # type: ignore[arg-type]
            )
        )
        self.leading = False
        self.attempted = asyncio.Event()
        """Set after the first attempt, won or lost (the lifespan waits for it, bounded)."""
        self.last_error: str | None = None

    @property
    def holder(self) -> str | None:
        """Who held the Lease at the last look (None: nobody, or not looked yet)."""
        record = self._election.observed_record
        return record.holder_identity if record is not None else None

    async def run(self) -> None:
        """Campaign, lead, renew, and campaign again after a loss, until cancelled.

        A leader stops leading the moment its renew deadline passes, never later: attempts are
        bounded by the time left and so is the pause between them."""
        loop = asyncio.get_running_loop()
        deadline = self.timing.renew_deadline_seconds
        renewed = -math.inf
        while True:
            left = deadline - (loop.time() - renewed) if self.leading else deadline
            if left <= 0:
                log.warning("lease not renewed within the deadline; stop leading", lease=self.name)
                await self._become(leading=False)
                continue
            won = await self._attempt(within=left)
            self.attempted.set()
            if won:
                renewed = loop.time()
                await self._become(leading=True)
            pause = self.timing.retry_seconds
            if self.leading:
                pause = min(pause, max(deadline - (loop.time() - renewed), 0.0))
            await asyncio.sleep(pause)

    async def _attempt(self, *, within: float) -> bool:
        """One try to acquire or renew; False for a lost race, an error or no answer in time."""
        try:
            async with asyncio.timeout(within):
                won = await self._election.try_acquire_or_renew()
        except TimeoutError:
            self.last_error = f"no answer from the API server within {within:.1f}s"
            return False
        except Exception as error:  # any failure is a failed attempt; the loop goes on
            self.last_error = f"{type(error).__name__}: {str(error)[:200]}"
            return False
        if won or self.holder not in (None, self.identity):
            self.last_error = None  # won, or another replica holds it: nothing is wrong
        else:
            self.last_error = "not acquired: the API server refused (see the election log)"
        return bool(won)

    async def _become(self, *, leading: bool) -> None:
        if leading == self.leading:
            return
        self.leading = leading
        log.info("leadership changed", leading=leading, identity=self.identity, lease=self.name)
        await self._on_change(leading)

    async def stop(self) -> None:
        """After `run()` was cancelled: stop leading (the work first), then release."""
        was_leading = self.leading
        await self._become(leading=False)
        if was_leading:
            await self.release()

    async def release(self) -> None:
        """Hand the Lease back as client-go's `release()` does (holder cleared, duration 1 s),
        so a waiting replica takes over at its next attempt instead of a lease duration later.
        Never raises: an unreachable API server leaves the Lease to expire."""
        api = self._lock.api_instance
        try:
            async with asyncio.timeout(self.timing.retry_seconds):
                lease = await api.read_namespaced_lease(self.name, self.namespace)
                if lease.spec is None or lease.spec.holder_identity != self.identity:
                    return
                now = datetime.now(UTC)
                lease.spec.holder_identity = ""
                lease.spec.lease_duration_seconds = 1
                lease.spec.renew_time = now
                lease.spec.acquire_time = now
                await api.replace_namespaced_lease(self.name, self.namespace, lease)
        except Exception as error:  # a 409 means another replica wrote first: nothing to hand
            log.warning("lease not released", lease=self.name, error=type(error).__name__)
            return
        log.info("lease released", lease=self.name, identity=self.identity)
