"""Namespace scoping, measured metric values from Prometheus, and the stale-cluster banner."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from devcluster.harness import serve_devcluster
from portal.config import Settings
from portal.security.roles import Role
from tests.integration.fleet.conftest import Fleet, seed
from tests.support import objects
from tests.support.apps import running_app, signed_in
from tests.support.servers import serve_app
from tests.support.waiting import wait_until


async def test_a_namespace_scoped_portal_sees_only_its_namespaces(database_url: str) -> None:
    async with serve_devcluster(scenario="empty", simulate=False) as dc:
        seed(dc)
        dc.objects.put(objects.namespace("payments"))
        dc.objects.put(objects.deployment("ledger", "payments"))
        dc.objects.put(objects.canary("ledger", "payments"))
        settings = Settings(
            database_url=database_url,
            kubeconfig=dc.kubeconfig,
            log_format="console",
            kube_namespaces={"devcluster": ["payments"]},
            watch_kinds=["canaries", "nodes"],
        )
        async with running_app(settings) as running:
            view = running.app.state.portal.view
            await wait_until(lambda: view.unready_clusters() == {}, what="first lists")
            async with signed_in(running, Role.viewer) as client:
                body = (await client.get("/api/v1/canaries")).json()
    assert [(c["namespace"], c["name"]) for c in body["items"]] == [("payments", "ledger")]
    watched = sorted(
        r.path for r in dc.requests if r.method == "GET" and not r.is_watch and "limit" in r.query
    )
    assert watched == ["/api/v1/nodes", "/apis/flagger.app/v1beta1/namespaces/payments/canaries"]


def prometheus_app(seen: list[str]) -> Starlette:
    async def query(request: Request) -> JSONResponse:
        seen.append(request.query_params["query"])
        result: list[dict[str, Any]] = [
            {
                "metric": {"name": "web", "namespace": "shop", "metric": "request-success-rate"},
                "value": [1764064800, "97.25"],
            },
            {  # another cluster's Flagger, scraped by the same Prometheus
                "metric": {
                    "name": "web",
                    "namespace": "shop",
                    "metric": "request-success-rate",
                    "cluster": "other",
                },
                "value": [1764064800, "12.5"],
            },
        ]
        return JSONResponse(
            {"status": "success", "data": {"resultType": "vector", "result": result}}
        )

    return Starlette(routes=[Route("/api/v1/query", query)])


@pytest.fixture
async def prometheus() -> AsyncIterator[tuple[str, list[str]]]:
    seen: list[str] = []
    async with serve_app(prometheus_app(seen)) as url:
        yield url, seen


async def test_canary_detail_shows_the_last_measured_value_from_prometheus(
    database_url: str, prometheus: tuple[str, list[str]]
) -> None:
    url, seen = prometheus
    async with serve_devcluster(scenario="empty", simulate=False) as dc:
        seed(dc)
        settings = Settings(
            database_url=database_url,
            kubeconfig=dc.kubeconfig,
            log_format="console",
            prometheus_url=url,
            watch_kinds=["canaries"],
        )
        async with running_app(settings) as running:
            view = running.app.state.portal.view
            await wait_until(lambda: view.unready_clusters() == {}, what="first lists")
            async with signed_in(running, Role.viewer) as client:
                body = (await client.get("/api/v1/canaries/devcluster/shop/web")).json()
                page = (await client.get("/canaries/devcluster/shop/web")).text
    assert [(m["name"], m["last_value"]) for m in body["metrics"]] == [
        ("request-success-rate", 97.25)
    ]
    assert seen[0] == 'flagger_canary_metric_analysis{namespace="shop",name="web"}'
    assert "<td>97.25</td>" in page


async def test_pages_say_which_cluster_is_stale_and_since_when(fleet: Fleet) -> None:
    view = fleet.portal.app.state.portal.view
    await fleet.dc.stop()
    await wait_until(lambda: view.cluster_status("devcluster").stale, what="stale")
    since = view.cluster_status("devcluster").last_sync.strftime("%Y-%m-%d %H:%M:%S UTC")
    async with signed_in(fleet.portal, Role.viewer) as client:
        pages = {path: (await client.get(path)).text for path in ("/canaries", "/audit", "/dora")}
        api = (await client.get("/api/v1/canaries")).json()
    banner = f"Cluster <strong>devcluster</strong> is unreachable: showing data last synced {since}"
    assert [path for path, page in pages.items() if banner not in page] == []
    assert [c["name"] for c in api["items"]] == ["api", "web"]
    assert api["clusters"][0]["stale"] is True
    await fleet.dc.start()
    await wait_until(lambda: not view.cluster_status("devcluster").stale, what="fresh again")
