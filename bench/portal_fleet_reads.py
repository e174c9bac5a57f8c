"""Portal read path at fleet scale: what a first list costs, and what a page view costs.

Run: .venv/bin/python bench/portal_fleet_reads.py [--hpas 2000] [--canaries 1000] [--views 30]

1. First list of N HPAs from devcluster through kubernetes-asyncio: the portal's raw-dict path
   (`portal.kube.watching.list_objects`) against the baseline of the generated typed models
   (`AutoscalingV2Api.list_horizontal_pod_autoscaler_for_all_namespaces`), same run, same server.
2. Page views once the view is synced: GET /api/v1/canaries and /canaries with M canaries, over
   the ASGI transport (no Kubernetes call is made; the figure is rendering from memory).
Prints medians and ratios; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kubernetes_asyncio.client import AutoscalingV2Api
from kubernetes_asyncio.config import new_client_from_config

from devcluster.harness import serve_devcluster
from portal import migrations
from portal.config import Settings
from portal.kube.kinds import HPAS
from portal.kube.watch_timing import WatchTiming
from portal.kube.watching import WatchTarget, list_objects
from portal.logs import configure_logging
from portal.security.roles import Role
from tests.support import objects
from tests.support.apps import running_app, signed_in
from tests.support.waiting import wait_until

NAMESPACES = 20


def hpa(index: int) -> dict[str, Any]:
    item = objects.hpa(f"svc-{index:05d}", f"team-{index % NAMESPACES:02d}", target="x")
    item["status"] = {"currentReplicas": 3, "desiredReplicas": 3}
    return item


async def timed(runs: int, work: Any) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        await work()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def line(label: str, samples: list[float]) -> float:
    median = statistics.median(samples)
    print(f"{label:<58} median {median:8.1f} ms  (min {min(samples):.1f}, n={len(samples)})")
    return median


async def list_costs(hpas: int, runs: int) -> None:
    async with serve_devcluster(scenario="empty", simulate=False) as dc:
        for ns in range(NAMESPACES):
            dc.objects.put(objects.namespace(f"team-{ns:02d}"))
        for index in range(hpas):
            dc.objects.put(hpa(index))
        client = await new_client_from_config(config_file=str(dc.kubeconfig), persist_config=False)
        try:
            target = WatchTarget("devcluster", HPAS, None)
            raw = await timed(runs, lambda: list_objects(client, target, WatchTiming()))
            api = AutoscalingV2Api(client)

            async def typed_list() -> int:
                count, token = 0, None
                while True:
                    page = await api.list_horizontal_pod_autoscaler_for_all_namespaces(
                        limit=500, _continue=token, _request_timeout=120
                    )
                    count += len(page.items)
                    token = page.metadata._continue
                    if not token:
                        return count

            typed = await timed(runs, typed_list)
        finally:
            await client.close()
    print(f"first list of {hpas} HPAs from devcluster")
    raw_median = line("portal: raw dicts (list_objects, pages of 500)", raw)
    typed_median = line("baseline: generated typed models (pages of 500)", typed)
    print(f"  raw vs typed: x{raw_median / typed_median:.2f}")


async def view_costs(canaries: int, views: int) -> None:
    async with serve_devcluster(scenario="empty", simulate=False) as dc:
        for ns in range(NAMESPACES):
            dc.objects.put(objects.namespace(f"team-{ns:02d}"))
        for index in range(canaries):
            dc.objects.put(objects.canary(f"svc-{index:05d}", f"team-{index % NAMESPACES:02d}"))
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{tmp}/bench.db"
            await asyncio.to_thread(migrations.upgrade, url)
            settings = Settings(
                database_url=url,
                kubeconfig=dc.kubeconfig,
                log_level="warning",
                watch_kinds=["canaries"],
            )
            async with running_app(settings) as running:
                view = running.app.state.portal.view
                await wait_until(lambda: view.unready_clusters() == {}, within=120, what="list")
                async with signed_in(running, Role.viewer) as client:
                    api = await timed(views, lambda: client.get("/api/v1/canaries"))
                    page = await timed(views, lambda: client.get("/canaries"))
                    one = await timed(
                        views, lambda: client.get("/api/v1/canaries/devcluster/team-00/svc-00000")
                    )
    print(f"page views with {canaries} canaries in the view (no Kubernetes call)")
    api_median = line("GET /api/v1/canaries (all)", api)
    line("GET /canaries (full HTML page)", page)
    one_median = line("GET /api/v1/canaries/{c}/{ns}/{name} (one, with DB history)", one)
    per_canary = api_median / canaries * 1000
    print(
        f"  per canary in the list: {per_canary:.1f} us; one canary x{one_median / api_median:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hpas", type=int, default=2000)
    parser.add_argument("--canaries", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--views", type=int, default=30)
    args = parser.parse_args()
    configure_logging(level="warning", fmt="console")
    asyncio.run(list_costs(args.hpas, args.runs))
    asyncio.run(view_costs(args.canaries, args.views))


if __name__ == "__main__":
    main()
