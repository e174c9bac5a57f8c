"""Run and supervise every watch of the fleet: named tasks, cancelled and awaited on exit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from portal.kube.clusters import Cluster
from portal.kube.kinds import Kind
from portal.kube.view import ClusterView
from portal.kube.watch_timing import WatchTiming
from portal.kube.watching import WatchTarget, keep_watching


def watch_targets(clusters: Sequence[Cluster], kinds: Sequence[Kind]) -> list[WatchTarget]:
    """One target per kind per cluster, or per namespace where the portal is scoped."""
    targets = []
    for cluster in clusters:
        for kind in kinds:
            if cluster.namespaces is None or not kind.namespaced:
                targets.append(WatchTarget(cluster.name, kind, None))
            else:
                targets.extend(WatchTarget(cluster.name, kind, ns) for ns in cluster.namespaces)
    return targets


@asynccontextmanager
async def watching_fleet(
    *,
    clusters: Sequence[Cluster],
    kinds: Sequence[Kind],
    view: ClusterView,
    timing: WatchTiming,
) -> AsyncIterator[list[asyncio.Task[None]]]:
    clients = {cluster.name: cluster.client for cluster in clusters}
    targets = watch_targets(clusters, kinds)
    for target in targets:
        view.register_watch(cluster=target.cluster, kind=target.kind.key, scope=target.scope)
    tasks = [
        asyncio.create_task(
            keep_watching(clients[target.cluster], target, view, timing), name=target.name
        )
        for target in targets
    ]
    try:
        yield tasks
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
