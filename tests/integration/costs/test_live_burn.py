"""The live burn rate, namespace estimate and savings from nodes and pods a real devcluster
serves and the portal watches (no Cost Explorer configured)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from devcluster.harness import DevCluster, serve_devcluster
from devcluster.scenarios import DemoNode, node_object
from portal.config import Settings
from portal.security.roles import Role
from tests.support import objects
from tests.support.apps import RunningApp, running_app, signed_in
from tests.support.waiting import wait_until

SCHEDULE = ["Mon-Thu 20:00-08:00", "Fri 20:00-Mon 08:00"]


def pod(name: str, namespace: str, node: str, cpu: str, memory: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "nodeName": node,
            "containers": [
                {
                    "name": "app",
                    "image": "ghcr.io/infra-fleet/app:1.0.0",
                    "resources": {"requests": {"cpu": cpu, "memory": memory}},
                }
            ],
        },
        "status": {"phase": "Running"},
    }


@pytest.fixture
async def watched(database_url: str) -> AsyncIterator[tuple[DevCluster, RunningApp]]:
    async with serve_devcluster(scenario="empty", simulate=False) as dc:
        for namespace in ("shop", "search"):
            dc.objects.put(objects.namespace(namespace))
        dc.objects.put(
            node_object(node=DemoNode("a", "m5.xlarge", "ON_DEMAND", "eu-west-1a", 4, 16))
        )
        dc.objects.put(node_object(node=DemoNode("b", "t3.large", "SPOT", "eu-west-1b", 2, 8)))
        dc.objects.put(pod("web-1", "shop", "a", "1", "4Gi"))
        dc.objects.put(pod("q-1", "search", "b", "1", "2Gi"))
        settings = Settings(
            database_url=database_url,
            kubeconfig=dc.kubeconfig,
            log_format="console",
            cost_spot_discount=0.5,
            cost_downtime={"devcluster": SCHEDULE},
        )
        async with running_app(settings) as running:
            view = running.app.state.portal.view
            await wait_until(lambda: view.unready_clusters() == {}, what="first lists")
            yield dc, running


async def test_burn_rate_namespaces_and_savings_from_the_watched_fleet(
    watched: tuple[DevCluster, RunningApp],
) -> None:
    _, running = watched
    async with signed_in(running, Role.viewer) as viewer:
        body = (await viewer.get("/api/v1/costs")).json()
        page = await viewer.get("/costs")
    [cluster] = body["clusters"]
    # m5.xlarge on demand 0.214 + t3.large spot 0.0912 * 0.5 + control plane 0.10
    assert (cluster["cluster"], cluster["usd_per_hour"], cluster["month_projection"]) == (
        "devcluster",
        0.3596,
        262.51,
    )
    assert [(n["name"], n["capacity_type"], n["usd_per_hour"]) for n in cluster["nodes"]] == [
        ("a", "on_demand", 0.214),
        ("b", "spot", 0.0456),
    ]
    # shop: 0.214 * (0.9 * 1/4 + 0.1 * 4/16); search: 0.0456 * (0.9 * 1/2 + 0.1 * 2/8)
    rows = [(n["namespace"], n["usd_per_hour"], n["share"], n["idle"]) for n in body["namespaces"]]
    assert rows == [
        ("shop", 0.0535, 0.2061, False),
        ("search", 0.0217, 0.0834, False),
        ("idle", 0.1844, 0.7105, True),
    ]  # fmt: skip
    [saving] = body["savings"]["clusters"]
    assert (saving["down_hours_per_week"], saving["usd_per_week"], saving["usd_per_month"]) == (
        108.0,
        38.84,
        168.76,
    )
    assert saving["up_while_scheduled_down"] == saving["scheduled_down_now"]  # it has nodes
    assert page.status_code == 200
    assert 'data-namespace="devcluster/shop"' in page.text
    assert "0.3596" in page.text


async def test_a_new_pod_shows_up_in_the_estimate(watched: tuple[DevCluster, RunningApp]) -> None:
    dc, running = watched
    view = running.app.state.portal.view
    dc.objects.put(pod("web-2", "shop", "a", "1", "4Gi"))
    await wait_until(lambda: len(view.objects("pods")) == 3, what="the new pod watched")
    async with signed_in(running, Role.viewer) as viewer:
        body = (await viewer.get("/api/v1/costs")).json()
    assert body["namespaces"][0] == {
        "cluster": "devcluster",
        "namespace": "shop",
        "usd_per_hour": 0.107,
        "share": 0.4122,
        "idle": False,
    }
