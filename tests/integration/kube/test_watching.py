"""Watching against devcluster: the view converges through dropped streams, 410s, 500s and an
API server that goes away and comes back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from devcluster.harness import DevCluster, serve_devcluster
from portal.kube.clusters import open_clusters
from portal.kube.fleet_watch import watching_fleet
from portal.kube.kinds import CANARIES, HPAS
from portal.kube.view import Change, ClusterView
from portal.kube.watch_timing import WatchTiming
from tests.support import objects
from tests.support.waiting import wait_until

FAST = WatchTiming(
    server_timeout_seconds=30,
    request_timeout_seconds=5.0,
    backoff_initial_seconds=0.05,
    backoff_cap_seconds=0.5,
)


@pytest.fixture
async def cluster() -> AsyncIterator[DevCluster]:
    async with serve_devcluster(scenario="empty", simulate=False, admin_token="admin-token") as dc:
        dc.objects.put(objects.namespace("shop"))
        dc.objects.put(objects.deployment("web", "shop"))
        dc.objects.put(objects.canary("web", "shop"))
        yield dc


@asynccontextmanager
async def watched(dc: DevCluster) -> AsyncIterator[tuple[ClusterView, list[Change]]]:
    changes: list[Change] = []
    async with open_clusters(
        kubeconfig=dc.kubeconfig, contexts=["devcluster"], namespaces={}, in_cluster_name="x"
    ) as clusters:
        view = ClusterView(clusters=[c.name for c in clusters])
        view.subscribe(changes.append)
        async with watching_fleet(
            clusters=clusters, kinds=[CANARIES, HPAS], view=view, timing=FAST
        ):
            await wait_until(lambda: view.unready_clusters() == {}, what="first list")
            await wait_until(
                lambda: len(dc.requests.matching(watch=True, status=200)) == 2,
                what="both watch calls open",
            )
            yield view, changes


def canary_names(view: ClusterView) -> list[str]:
    return [obj["metadata"]["name"] for _, obj in view.objects("canaries")]


def lists(dc: DevCluster, plural: str) -> int:
    return sum(
        1 for r in dc.requests if r.method == "GET" and r.path.endswith(plural) and not r.is_watch
    )


async def test_first_list_fills_the_view_and_watch_follows_changes(cluster: DevCluster) -> None:
    async with watched(cluster) as (view, changes):
        assert canary_names(view) == ["web"]
        assert [(c.kind, c.type, c.name) for c in changes] == [("canaries", "ADDED", "web")]
        cluster.objects.put(objects.canary("api", "shop"))
        await wait_until(lambda: canary_names(view) == ["api", "web"], what="api added")
        cluster.objects.delete("flagger.app/v1beta1", "Canary", name="web", namespace="shop")
        await wait_until(lambda: canary_names(view) == ["api"], what="web deleted")
        assert [(c.type, c.name) for c in changes[1:]] == [("ADDED", "api"), ("DELETED", "web")]
        status = view.cluster_status("devcluster")
        assert (status.ready, status.stale) == (True, False)


async def test_dropped_stream_resumes_from_the_last_version_without_relisting(
    cluster: DevCluster,
) -> None:
    async with watched(cluster) as (view, _):
        assert cluster.faults.close_watches() == 2
        cluster.objects.put(objects.canary("api", "shop"))
        await wait_until(lambda: canary_names(view) == ["api", "web"], what="change after drop")
        assert lists(cluster, "/canaries") == 1
        assert [w.restarts for w in view.watches()] == [0, 0]


async def test_410_goes_back_to_a_fresh_list_at_once(cluster: DevCluster) -> None:
    async with watched(cluster) as (view, changes):
        cluster.faults.expire_next_watches(1, path_prefix="/apis/flagger.app/")
        assert cluster.faults.close_watches() == 2
        await wait_until(lambda: lists(cluster, "/canaries") == 2, what="relist after 410")
        await wait_until(lambda: not view.cluster_status("devcluster").stale, what="fresh")
        cluster.objects.put(objects.canary("api", "shop"))
        await wait_until(lambda: canary_names(view) == ["api", "web"], what="watching again")
        canary_watch = next(w for w in view.watches() if w.kind == "canaries")
        assert canary_watch.restarts == 1
        assert lists(cluster, "/horizontalpodautoscalers") == 1
        assert [(c.type, c.name) for c in changes] == [("ADDED", "web"), ("ADDED", "api")]


async def test_server_errors_back_off_and_recover(cluster: DevCluster) -> None:
    cluster.faults.fail_next_requests(count=3, status=500, path_prefix="/apis/flagger.app")
    async with watched(cluster) as (view, _):
        assert canary_names(view) == ["web"]
        canary_watch = next(w for w in view.watches() if w.kind == "canaries")
        assert canary_watch.restarts == 3
        assert lists(cluster, "/canaries") == 4


@pytest.mark.slow
async def test_view_converges_after_the_api_server_is_down_for_ten_seconds(
    cluster: DevCluster,
) -> None:
    async with watched(cluster) as (view, _):
        await cluster.stop()
        await wait_until(lambda: view.cluster_status("devcluster").stale, what="stale")
        stale_since = view.cluster_status("devcluster").last_sync
        went_down = time.monotonic()
        cluster.objects.put(objects.canary("api", "shop"))
        cluster.objects.delete("flagger.app/v1beta1", "Canary", name="web", namespace="shop")
        while time.monotonic() - went_down < 10:  # the outage itself, not a synchronisation
            assert view.cluster_status("devcluster").stale
            await asyncio.sleep(0.5)
        assert view.cluster_status("devcluster").last_sync == stale_since
        await cluster.start()
        await wait_until(lambda: canary_names(view) == ["api"], within=15, what="converged")
        await wait_until(lambda: not view.cluster_status("devcluster").stale, what="fresh")


async def test_a_failing_listener_stops_neither_the_watch_nor_the_other_listeners(
    cluster: DevCluster,
) -> None:
    async with watched(cluster) as (view, changes):
        failing: list[str] = []

        def fails_on_api(change: Change) -> None:
            if change.name == "api":
                failing.append(change.name)
                raise KeyError("a listener's own bug")

        view.subscribe(fails_on_api)
        cluster.objects.put(objects.canary("api", "shop"))
        await wait_until(lambda: canary_names(view) == ["api", "web"], what="api added")
        cluster.objects.put(objects.canary("cart", "shop"))
        await wait_until(lambda: canary_names(view) == ["api", "cart", "web"], what="cart added")
        assert failing == ["api"]
        assert view.listener_failures == 1
        assert [(c.type, c.name) for c in changes[1:]] == [("ADDED", "api"), ("ADDED", "cart")]
        status = view.cluster_status("devcluster")
        assert (status.ready, status.stale) == (True, False)
