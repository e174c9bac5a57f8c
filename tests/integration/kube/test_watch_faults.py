"""Watching through devcluster's injected API faults: what the portal waits, what it relists,
what it never loses or repeats, and what it leaves behind (nothing).

Gaps between calls are measured on devcluster's side (`RequestRecord.at`, when each answer
started), so they include no client-side bookkeeping.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import parse_qs

import pytest

from devcluster.harness import DevCluster, serve_devcluster
from devcluster.request_log import RequestRecord
from portal.kube.clusters import open_clusters
from portal.kube.fleet_watch import watching_fleet
from portal.kube.kinds import CANARIES, HPAS
from portal.kube.view import Change, ClusterView, WatchState
from portal.kube.watch_timing import WatchTiming
from tests.support import objects
from tests.support.waiting import wait_until

UNNAMED = re.compile(r"Task-\d+")
CANARY_PATH = "/apis/flagger.app/v1beta1/canaries"
FAST = WatchTiming(
    server_timeout_seconds=30,
    request_timeout_seconds=5.0,
    backoff_initial_seconds=0.05,
    backoff_cap_seconds=0.5,
)


@pytest.fixture
async def cluster() -> AsyncIterator[DevCluster]:
    async with serve_devcluster(scenario="empty", simulate=False) as dc:
        dc.objects.put(objects.namespace("shop"))
        dc.objects.put(objects.canary("web", "shop"))
        yield dc


@asynccontextmanager
async def watched(
    dc: DevCluster, timing: WatchTiming = FAST
) -> AsyncIterator[tuple[ClusterView, list[Change]]]:
    changes: list[Change] = []
    async with open_clusters(
        kubeconfig=dc.kubeconfig, contexts=["devcluster"], namespaces={}, in_cluster_name="x"
    ) as clusters:
        view = ClusterView(clusters=[c.name for c in clusters])
        view.subscribe(changes.append)
        async with watching_fleet(
            clusters=clusters, kinds=[CANARIES, HPAS], view=view, timing=timing
        ):
            await wait_until(lambda: view.unready_clusters() == {}, what="first list")
            await wait_until(lambda: watch_calls_answered(dc) == 2, what="both watch calls open")
            yield view, changes


def task_census() -> Counter[str]:
    """Running tasks by name; the unnamed ones (uvicorn's, one per request, `Task-<n>`) are
    counted together, since each new request's task gets a new number."""
    return Counter(
        "unnamed" if UNNAMED.fullmatch(t.get_name()) else t.get_name()
        for t in asyncio.all_tasks()
        if not t.done()
    )


def watch_calls_answered(dc: DevCluster) -> int:
    return len(dc.requests.matching(watch=True, status=200))


def canary_names(view: ClusterView) -> list[str]:
    return [obj["metadata"]["name"] for _, obj in view.objects("canaries")]


def canary_calls(dc: DevCluster) -> list[RequestRecord]:
    return dc.requests.matching(method="GET", path=CANARY_PATH)


def canary_watch(view: ClusterView) -> WatchState:
    return next(w for w in view.watches() if w.kind == "canaries")


def gaps(calls: list[RequestRecord]) -> list[float]:
    return [later.at - earlier.at for earlier, later in itertools.pairwise(calls)]


def connected(view: ClusterView) -> bool:
    return all(w.connected for w in view.watches())


async def test_a_429_with_retry_after_is_honoured_and_the_watch_resumes(
    cluster: DevCluster,
) -> None:
    async with watched(cluster) as (view, changes):
        cluster.requests.clear()
        cluster.faults.fail_next_requests(
            count=2, status=429, retry_after=1, path_prefix=CANARY_PATH
        )
        assert cluster.faults.close_watches() == 2  # both kinds; only canaries meet the 429s
        await wait_until(lambda: canary_watch(view).last_error is not None, what="the 429 seen")
        assert view.cluster_status("devcluster").stale
        cluster.objects.put(objects.canary("api", "shop"))
        await wait_until(lambda: canary_names(view) == ["api", "web"], what="api after the 429s")
        calls = canary_calls(cluster)
    assert [(c.status, c.is_watch) for c in calls] == [(429, True), (429, True), (200, True)]
    measured = gaps(calls)
    print(f"gaps after a 429 with Retry-After 1: {[round(g, 3) for g in measured]}")
    assert all(1.0 <= gap < 2.0 for gap in measured), measured
    assert (
        canary_watch(view).last_error
        == "HTTP 429 the server has received too many requests and has asked us to try again later"
    )
    assert [(c.type, c.name) for c in changes] == [("ADDED", "web"), ("ADDED", "api")]


async def test_a_burst_of_500s_backs_off_exponentially_then_resumes_without_a_relist(
    cluster: DevCluster,
) -> None:
    timing = WatchTiming(
        server_timeout_seconds=30,
        request_timeout_seconds=5.0,
        backoff_initial_seconds=0.2,
        backoff_cap_seconds=1.6,
    )
    async with watched(cluster, timing) as (view, changes):
        cluster.requests.clear()
        cluster.faults.fail_next_requests(count=4, status=500, path_prefix=CANARY_PATH)
        cluster.faults.close_watches()
        cluster.objects.put(objects.canary("api", "shop"))
        await wait_until(lambda: canary_names(view) == ["api", "web"], what="api after the 500s")
        calls = canary_calls(cluster)
    assert [(c.status, c.is_watch) for c in calls] == [(500, True)] * 4 + [(200, True)]
    measured = gaps(calls)
    ceilings = [0.2, 0.4, 0.8, 1.6]  # the first failure follows a healthy watch: attempt 0
    print(f"gaps in a burst of 500s: {[round(g, 3) for g in measured]} (ceilings {ceilings})")
    assert all(c / 2 <= g < c + 0.5 for g, c in zip(measured, ceilings, strict=True)), measured
    assert canary_watch(view).restarts == 0
    assert [(c.type, c.name) for c in changes] == [("ADDED", "web"), ("ADDED", "api")]


async def test_a_410_relists_once_and_the_view_matches_what_changed_meanwhile(
    cluster: DevCluster,
) -> None:
    async with watched(cluster) as (view, changes):
        cluster.requests.clear()
        hold = cluster.faults.hold_next_request(path_prefix=CANARY_PATH, method="GET")
        cluster.faults.expire_next_watches(1, path_prefix=CANARY_PATH)
        cluster.faults.close_watches()
        async with asyncio.timeout(5):
            await hold.arrived.wait()
        cluster.objects.put(objects.canary("api", "shop"))
        cluster.objects.delete("flagger.app/v1beta1", "Canary", name="web", namespace="shop")
        hold.release()
        await wait_until(lambda: canary_names(view) == ["api"], what="the relist")
        await wait_until(lambda: len(canary_calls(cluster)) == 3, what="watching again")
        calls = [(c.status, c.is_watch) for c in canary_calls(cluster)]
    assert calls == [(200, True), (200, False), (200, True)]  # 410 event, relist, watch
    assert canary_watch(view).restarts == 1
    assert [(c.type, c.name) for c in changes] == [
        ("ADDED", "web"),
        ("DELETED", "web"),
        ("ADDED", "api"),
    ]


@pytest.mark.parametrize(("mode", "error"), [("abort", "ClientPayloadError"), ("end", "StreamCut")])
async def test_a_stream_cut_mid_event_resumes_from_the_last_version_without_loss_or_duplicate(
    cluster: DevCluster, mode: str, error: str
) -> None:
    async with watched(cluster) as (view, changes):
        last_seen = str(cluster.store.revision)  # the list's version: nothing changed since
        cluster.requests.clear()
        cluster.faults.cut_next_watch_events(1, path_prefix=CANARY_PATH, mode=mode)  # type: ignore[arg-type]
        cluster.objects.put(objects.canary("api", "shop"))
        cluster.objects.put(objects.canary("cart", "shop"))
        await wait_until(lambda: canary_names(view) == ["api", "cart", "web"], what="both added")
        cluster.objects.put(objects.canary("db", "shop"))
        await wait_until(lambda: len(canary_names(view)) == 4, what="db on the resumed watch")
        calls = canary_calls(cluster)
    assert [(c.status, c.is_watch) for c in calls] == [(200, True)]  # one resumed watch, no list
    assert parse_qs(calls[0].query)["resourceVersion"] == [last_seen]
    assert [(c.type, c.name) for c in changes] == [
        ("ADDED", "web"),
        ("ADDED", "api"),
        ("ADDED", "cart"),
        ("ADDED", "db"),
    ]
    assert canary_watch(view).restarts == 0
    assert (canary_watch(view).last_error or "").startswith(error)


async def test_responses_slowed_by_three_seconds_do_not_block_the_event_loop(
    cluster: DevCluster,
) -> None:
    lags: list[float] = []

    async def measure_lag() -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(0.01)
            lags.append(time.monotonic() - before - 0.01)

    async with watched(cluster) as (view, _):
        cluster.requests.clear()
        cluster.faults.slow_next_requests(count=1, delay_seconds=3.0, path_prefix=CANARY_PATH)
        cluster.faults.close_watches()
        ticker = asyncio.create_task(measure_lag(), name="loop-lag")
        started = time.monotonic()
        cluster.objects.put(objects.canary("api", "shop"))
        try:
            await wait_until(lambda: canary_names(view) == ["api", "web"], what="api, late")
        finally:
            ticker.cancel()
            await asyncio.gather(ticker, return_exceptions=True)
        waited = time.monotonic() - started
    lags.sort()
    print(
        f"slowed watch: converged after {waited:.2f}s; loop lag over {len(lags)} ticks: "
        f"median {lags[len(lags) // 2] * 1000:.1f} ms, max {lags[-1] * 1000:.1f} ms"
    )
    assert 3.0 <= waited < 5.0
    assert len(lags) > 100  # the loop kept turning while the watch call waited
    assert lags[-1] < 0.25


async def test_five_fault_cycles_leak_no_task_and_no_connection(cluster: DevCluster) -> None:
    faults = [
        lambda: cluster.faults.cut_next_watch_events(1, path_prefix=CANARY_PATH, mode="abort"),
        lambda: cluster.faults.cut_next_watch_events(1, path_prefix=CANARY_PATH, mode="end"),
        lambda: cluster.faults.expire_next_watches(1, path_prefix=CANARY_PATH),
        lambda: cluster.faults.fail_next_requests(count=3, status=500, path_prefix=CANARY_PATH),
        lambda: cluster.faults.fail_next_requests(
            count=1, status=429, retry_after=1, path_prefix=CANARY_PATH
        ),
    ]
    async with watched(cluster) as (view, _):
        tasks = task_census()
        connections = cluster.server.open_connections()
        for cycle, inject in enumerate(faults):
            inject()
            if cycle >= 2:
                cluster.faults.close_watches()  # the next watch call meets the fault
            cluster.objects.put(objects.canary(f"c{cycle}", "shop"))
            await wait_until(lambda c=cycle: f"c{c}" in canary_names(view), what=f"cycle {cycle}")
            await wait_until(lambda: connected(view), what="connected")
            await wait_until(
                lambda: task_census() == tasks and cluster.server.open_connections() == connections,
                what=f"tasks and connections back to where they were after cycle {cycle}",
            )

        after = (
            task_census(),
            cluster.server.open_connections(),
        )
    print(
        f"after 5 fault cycles: {sum(tasks.values())} tasks, {connections} connections, as before"
    )
    assert after == (tasks, connections)
    assert connections == 2  # one streaming watch per kind
    assert [w.restarts for w in view.watches()] == [1, 0]  # the 410 relisted canaries once


async def test_watches_the_server_ends_at_once_are_backed_off_not_hammered(
    cluster: DevCluster,
) -> None:
    """A server that ends every watch at once without an event (here: `timeoutSeconds=0`) is
    client-go's "very short watch": a failure, backed off, never a tight loop."""
    timing = WatchTiming(
        server_timeout_seconds=0,
        request_timeout_seconds=5.0,
        backoff_initial_seconds=0.2,
        backoff_cap_seconds=0.4,
    )
    async with open_clusters(
        kubeconfig=cluster.kubeconfig, contexts=["devcluster"], namespaces={}, in_cluster_name="x"
    ) as clusters:
        view = ClusterView(clusters=["devcluster"])
        async with watching_fleet(clusters=clusters, kinds=[CANARIES], view=view, timing=timing):
            await wait_until(
                lambda: len(cluster.requests.matching(path=CANARY_PATH, watch=True)) >= 5,
                what="five watch calls",
            )
            calls = cluster.requests.matching(path=CANARY_PATH, watch=True)[:5]
            error = canary_watch(view).last_error
    measured = gaps(calls)
    print(f"gaps between watches ended at once: {[round(g, 3) for g in measured]}")
    assert all(gap >= 0.1 for gap in measured), measured
    assert error == "WatchFailed: very short watch: it ended within a second and carried no event"
