"""How soon the portal's views converge after the API server comes back from an outage, with
the watch backoff capped at 4 s (now) and at 30 s (before, client-go's reflector cap), in the
same run against the same outages.

One devcluster (in this process) serves two sets of watches, one per cap, each with its own
clients and ClusterView: every kind the portal can watch. The API server goes down for
`--seconds` (60 by default, stopped as `devcluster/admin/down` stops it: listener and
connections closed, new connections refused), a canary is added meanwhile, and when the server
is back each watch's reconnection (connected again) and each view's convergence (the new canary
seen) are timed from the moment it listens again.

    .venv/bin/python bench/watch_outage_convergence.py [--outages 3] [--seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime

from devcluster.harness import DevCluster, serve_devcluster
from portal.kube.clusters import open_clusters
from portal.kube.fleet_watch import watching_fleet
from portal.kube.kinds import KINDS_BY_KEY
from portal.kube.view import ClusterView
from portal.kube.watch_timing import WatchTiming

NAMESPACE = "shop"
CLUSTER = "devcluster"
CAPS = {"cap 4 s (now)": 4.0, "cap 30 s (before)": 30.0}


def canary(name: str) -> dict[str, object]:
    return {
        "apiVersion": "flagger.app/v1beta1",
        "kind": "Canary",
        "metadata": {"name": name, "namespace": NAMESPACE},
        "spec": {
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "service": {"port": 80},
            "analysis": {"interval": "1m", "threshold": 5, "maxWeight": 50, "stepWeight": 10},
        },
    }


@asynccontextmanager
async def watched(dc: DevCluster, cap: float) -> AsyncIterator[ClusterView]:
    timing = WatchTiming(backoff_cap_seconds=cap)
    async with open_clusters(
        kubeconfig=dc.kubeconfig, contexts=[CLUSTER], namespaces={}, in_cluster_name="x"
    ) as clusters:
        view = ClusterView(clusters=[CLUSTER])
        kinds = list(KINDS_BY_KEY.values())
        async with watching_fleet(clusters=clusters, kinds=kinds, view=view, timing=timing):
            yield view


def all_connected(view: ClusterView) -> bool:
    return all(w.connected for w in view.watches())


async def until(condition: object, *, within: float) -> None:
    deadline = time.monotonic() + within
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.02)


async def one_outage(
    dc: DevCluster, views: dict[str, ClusterView], *, number: int, seconds: float
) -> dict[str, tuple[list[float], float]]:
    """Per cap: every watch's reconnection time and the view's convergence, after recovery."""
    for view in views.values():
        await until(lambda v=view: all_connected(v), within=120)
    await dc.stop()
    name = f"during-outage-{number}"
    dc.objects.put(canary(name))
    await asyncio.sleep(seconds)  # the outage itself
    await dc.start()
    back = time.monotonic()
    reconnected: dict[str, dict[str, float]] = {label: {} for label in views}
    converged: dict[str, float] = {}
    while len(converged) < len(views) or any(
        len(reconnected[label]) < len(view.watches()) for label, view in views.items()
    ):
        now = time.monotonic() - back
        for label, view in views.items():
            for watch in view.watches():
                if watch.connected and watch.kind not in reconnected[label]:
                    reconnected[label][watch.kind] = now
            if label not in converged and view.get(
                "canaries", cluster=CLUSTER, namespace=NAMESPACE, name=name
            ):
                converged[label] = now
        if now > 120:
            raise TimeoutError("a view did not converge within 120 s of recovery")
        await asyncio.sleep(0.02)
    return {label: (list(reconnected[label].values()), converged[label]) for label in views}


async def run(outages: int, seconds: float) -> None:
    async with serve_devcluster(scenario="empty", simulate=False) as dc:
        dc.objects.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
        dc.objects.put(canary("web"))
        async with AsyncExitStack() as stack:
            views = {
                label: await stack.enter_async_context(watched(dc, cap))
                for label, cap in CAPS.items()
            }
            results: dict[str, tuple[list[float], list[float]]] = {
                label: ([], []) for label in CAPS
            }
            for number in range(outages):
                found = await one_outage(dc, views, number=number, seconds=seconds)
                for label, (reconnects, convergence) in found.items():
                    results[label][0].extend(reconnects)
                    results[label][1].append(convergence)
                    print(
                        f"outage {number + 1}: {label}: converged {convergence:.2f} s after "
                        f"recovery; watches back after {sorted(round(r, 2) for r in reconnects)}"
                    )
    report(results, outages=outages, seconds=seconds)


def report(
    results: dict[str, tuple[list[float], list[float]]], *, outages: int, seconds: float
) -> None:
    print(
        f"\n{outages} outages of {seconds:g} s, {datetime.now(UTC):%Y-%m-%d}, "
        f"{platform.machine()} Python {platform.python_version()}\n"
    )
    columns = ["backoff cap", "view converged after recovery: median (max)"]
    columns.append("watches reconnected: median (max), n")
    print("| " + " | ".join(columns) + " |")
    print("|---|---|---|")
    for label, (reconnects, convergences) in results.items():
        print(
            f"| {label} | {statistics.median(convergences):.2f} s ({max(convergences):.2f} s) | "
            f"{statistics.median(reconnects):.2f} s ({max(reconnects):.2f} s), {len(reconnects)} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--outages", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    asyncio.run(run(args.outages, args.seconds))


if __name__ == "__main__":
    main()
