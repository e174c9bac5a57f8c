"""Which replica runs the singleton work: a Lease in the home cluster, or this process alone.

The home cluster is the first configured context (every replica lists the same contexts), or
the in-cluster ServiceAccount's cluster, where the portal itself runs. Without a cluster to
hold a Lease, or with PORTAL_LEADER_ELECTION=false, the process leads alone (one replica).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from portal.config import Settings
from portal.kube.clusters import Cluster
from portal.kube.leasing import LeaseElector, LeaseTiming, default_identity, default_namespace
from portal.services.leadership import LeaderOnly, LeaderStatus, StatusSource


@asynccontextmanager
async def electing(
    *, settings: Settings, clusters: Sequence[Cluster], leader_only: LeaderOnly
) -> AsyncIterator[StatusSource]:
    """Run `leader_only` while this replica leads; on exit stop it, then release the Lease."""
    identity = settings.leader_identity or default_identity()
    if not settings.leader_election or not clusters:
        alone = LeaderStatus(identity=identity, is_leader=True, holder=identity, lease=None)
        leader_only.start()
        try:
            yield lambda: alone
        finally:
            await leader_only.stop()
        return
    elector = _elector(settings, clusters[0], identity=identity, leader_only=leader_only)
    task = asyncio.create_task(elector.run(), name="leader-election")
    try:
        # a sole replica leads before it serves (an attempt is bounded by the renew deadline)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(settings.leader_renew_deadline_seconds):
                await elector.attempted.wait()
        yield lambda: _status(elector)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await elector.stop()  # the work ends before the Lease is handed over


def _elector(
    settings: Settings, home: Cluster, *, identity: str, leader_only: LeaderOnly
) -> LeaseElector:
    namespace = settings.leader_lease_namespace or default_namespace(
        in_cluster=settings.kubeconfig is None
    )
    return LeaseElector(
        client=home.client,
        name=settings.leader_lease_name,
        namespace=namespace,
        identity=identity,
        timing=LeaseTiming(
            lease_seconds=settings.leader_lease_seconds,
            renew_deadline_seconds=settings.leader_renew_deadline_seconds,
            retry_seconds=settings.leader_retry_seconds,
        ),
        on_change=leader_only.follow,
    )


def _status(elector: LeaseElector) -> LeaderStatus:
    return LeaderStatus(
        identity=elector.identity,
        is_leader=elector.leading,
        holder=elector.holder,
        lease=f"{elector.namespace}/{elector.name}",
        error=elector.last_error,
    )
