"""Acting on a canary while its cluster's API server is away: a clear 503 with `Retry-After`
and exactly one `failed` audit row, never a silent success. The views stay available, marked
stale, and converge within 5 s of the API server's return (a real 60 s outage of devcluster's
API, on the production watch timing).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import Request
from kubernetes_asyncio.client import ApiClient, Configuration

from devcluster.harness import DevCluster, serve_devcluster
from portal.config import Settings
from portal.deps import get_action_env
from portal.security.roles import Role
from portal.services.actions_requests import ActionEnv
from tests.integration.actions.conftest import stage_settings
from tests.integration.actions.support import CLUSTER, NS, act
from tests.support import databases, objects
from tests.support.apps import RunningApp, running_app, signed_in
from tests.support.servers import free_port
from tests.support.waiting import wait_until

WATCH_ERROR = "ClientConnectorError: Cannot connect to host 127.0.0.1:{port} ssl:default"


@pytest.fixture
async def cluster() -> AsyncIterator[DevCluster]:
    async with serve_devcluster(scenario="empty", simulate=False) as dc:
        dc.objects.put(objects.namespace(NS))
        dc.objects.put(objects.deployment("web", NS))
        dc.objects.put(objects.canary("web", NS))
        dc.objects.put(objects.canary("old", NS))
        yield dc


async def watching(running: RunningApp) -> None:
    view = running.app.state.portal.view
    await wait_until(lambda: view.unready_clusters() == {}, what="first lists")
    await wait_until(lambda: not view.cluster_status(CLUSTER).stale, what="watching")


async def audit_rows(running: RunningApp, action: str) -> list[dict[str, Any]]:
    async with signed_in(running, Role.viewer) as viewer:
        response = await viewer.get("/api/v1/audit", params={"action": action})
    assert response.status_code == 200
    return list(response.json())


async def canaries_api(running: RunningApp) -> dict[str, Any]:
    async with signed_in(running, Role.viewer) as viewer:
        response = await viewer.get("/api/v1/canaries", params={"cluster": CLUSTER})
    assert response.status_code == 200
    return dict(response.json())


def suspend_of(dc: DevCluster, name: str) -> object:
    return dc.objects.get("flagger.app/v1beta1", "Canary", name=name, namespace=NS)["spec"].get(
        "suspend"
    )


async def test_an_action_while_the_watch_is_disconnected_is_a_503_with_one_failed_audit_row(
    cluster: DevCluster, database_url: str
) -> None:
    async with running_app(stage_settings(database_url, cluster.kubeconfig)) as running:
        await watching(running)
        port = cluster.server.port
        await cluster.stop()
        view = running.app.state.portal.view
        refused = WATCH_ERROR.format(port=port)
        await wait_until(  # a call racing the shutdown may first see its 503 or a short watch
            lambda: (
                (errors := view.cluster_status(CLUSTER).errors) != ()
                and all(error.startswith(refused) for error in errors)
            ),
            what="every watch refused its connection",
        )
        listed = await canaries_api(running)
        async with signed_in(running, Role.operator) as operator:
            response = await act(operator, "web", "pause")
        [row] = await audit_rows(running, "pause")
        await cluster.start()
        await wait_until(lambda: not view.cluster_status(CLUSTER).stale, what="back")
    assert sorted(c["name"] for c in listed["items"]) == ["old", "web"]  # the last known state
    [status] = listed["clusters"]
    assert (status["name"], status["stale"]) == (CLUSTER, True)
    assert status["errors"][0].startswith(WATCH_ERROR.format(port=port))
    assert (response.status_code, response.headers["retry-after"]) == (503, "5")
    detail = response.json()["detail"]
    assert detail.startswith(
        f"cluster {CLUSTER} is unreachable: the portal's watch of its canaries is disconnected "
        f"({WATCH_ERROR.format(port=port)}"
    )
    assert detail.endswith("Nothing was changed: try again once it reconnects")
    assert (row["outcome"], row["name"], row["error"]) == ("failed", "web", detail)
    assert cluster.requests.matching(method="PATCH") == []  # nothing was attempted
    assert suspend_of(cluster, "web") is None


async def test_a_patch_that_cannot_connect_is_a_503_with_a_failed_audit_row(
    cluster: DevCluster, database_url: str
) -> None:
    """The watch is healthy but the write cannot reach the server (a real client aimed at a
    port nothing listens on): aiohttp's ClientConnectorError is a 503, never a 500."""
    dead_port = free_port()
    configuration = Configuration(host=f"http://127.0.0.1:{dead_port}")
    async with (
        running_app(stage_settings(database_url, cluster.kubeconfig)) as running,
        ApiClient(configuration=configuration) as dead,
    ):
        await watching(running)

        async def through_a_dead_connection(request: Request) -> ActionEnv:
            env = await get_action_env(request, running.app.state.portal)
            return replace(env, clients={CLUSTER: dead})

        running.app.dependency_overrides[get_action_env] = through_a_dead_connection
        async with signed_in(running, Role.operator) as operator:
            response = await act(operator, "web", "pause")
        [row] = await audit_rows(running, "pause")
    assert (response.status_code, response.headers["retry-after"]) == (503, "5")
    assert response.json()["detail"] == (
        f"cluster {CLUSTER} is unreachable (ClientConnectorError: Cannot connect to host "
        f"127.0.0.1:{dead_port} ssl:default [Connect call failed ('127.0.0.1', {dead_port})]); "
        "nothing was changed: try again once it is back"
    )
    assert (row["outcome"], row["error"]) == ("failed", response.json()["detail"])
    assert suspend_of(cluster, "web") is None


def outage_settings(database_url: str, kubeconfig: Path) -> Settings:
    """Every kind watched, production watch timing (backoff capped at 4 s)."""
    settings = stage_settings(database_url, kubeconfig)
    kinds = ["canaries", "hpas", "canary-events", "hpa-events", "deployments", "nodes", "pods"]
    return settings.model_copy(update={"watch_kinds": kinds})


@pytest.mark.slow
@pytest.mark.timeout(180)
async def test_a_60_s_outage_keeps_views_stale_but_available_and_they_converge_within_5_s(
    cluster: DevCluster, sqlite_template: Path, tmp_path: Path
) -> None:
    """SQLite only: the outage is the API server's, and 60 s once is enough."""
    database_url = databases.clone_sqlite_database(sqlite_template, tmp_path)
    async with running_app(outage_settings(database_url, cluster.kubeconfig)) as running:
        await watching(running)
        view = running.app.state.portal.view
        async with httpx.AsyncClient(base_url=cluster.url, timeout=5) as admin:
            answer = await admin.post("/devcluster/admin/down", json={"seconds": 60})
        assert answer.json() == {"down_for_seconds": 60}
        await cluster.server.wait_down()
        went_down = datetime.now(UTC)
        await wait_until(lambda: view.cluster_status(CLUSTER).stale, what="stale")
        cluster.objects.put(objects.canary("api", NS))  # changes the portal cannot see yet
        cluster.objects.delete("flagger.app/v1beta1", "Canary", name="old", namespace=NS)
        cluster.objects.put(objects.deployment("api", NS))
        during = await canaries_api(running)
        async with signed_in(running, Role.operator) as operator:
            refused = await act(operator, "web", "pause")
        await cluster.server.wait_up()
        back = time.monotonic()
        reconnected: dict[str, float] = {}

        def every_watch_reconnected() -> bool:
            for watch in view.watches():
                if watch.connected and watch.kind not in reconnected:
                    reconnected[watch.kind] = time.monotonic() - back
            return len(reconnected) == len(view.watches())

        await wait_until(every_watch_reconnected, within=15, what="every watch reconnected")
        await wait_until(
            lambda: (
                sorted(n for _, n in canary_keys(view)) == ["api", "web"]
                and view.get("deployments", cluster=CLUSTER, namespace=NS, name="api") is not None
            ),
            within=15,
            what="the view converged",
        )
        converged = time.monotonic() - back
        after = await canaries_api(running)
        [row] = await audit_rows(running, "pause")
    times = sorted(reconnected.values())
    print(
        f"60 s outage: {len(times)} watches reconnected {statistics.median(times):.2f} s after "
        f"recovery (median; min {times[0]:.2f}, max {times[-1]:.2f}); data converged "
        f"{converged:.2f} s after recovery"
    )
    assert sorted(c["name"] for c in during["items"]) == ["old", "web"]
    assert during["clusters"][0]["stale"] is True
    assert datetime.fromisoformat(during["clusters"][0]["last_sync"]) <= went_down
    assert (refused.status_code, refused.headers["retry-after"]) == (503, "5")
    assert (row["outcome"], row["error"]) == ("failed", refused.json()["detail"])
    assert times[-1] < 5.0
    assert converged < 5.0
    assert sorted(c["name"] for c in after["items"]) == ["api", "web"]
    assert after["clusters"][0]["stale"] is False
    assert suspend_of(cluster, "web") is None


def canary_keys(view: Any) -> list[tuple[str, str]]:
    return [(NS, obj["metadata"]["name"]) for _, obj in view.objects("canaries")]
