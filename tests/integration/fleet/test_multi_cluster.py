"""Three clusters from one kubeconfig: one stopped by devcluster's admin call goes stale alone."""

from __future__ import annotations

import contextlib
from pathlib import Path

import httpx

from devcluster.harness import DevCluster, serve_devcluster
from devcluster.kubeconfig import fleet_kubeconfig_document, write_document
from portal.config import Settings
from portal.security.roles import Role
from tests.support import objects
from tests.support.apps import running_app, signed_in
from tests.support.waiting import wait_until

CLUSTERS = ("prod-eu", "prod-us", "staging")


def seed(dc: DevCluster, name: str) -> None:
    dc.objects.put(objects.namespace("shop"))
    dc.objects.put(objects.deployment(name, "shop"))
    dc.objects.put(objects.canary(name, "shop"))


async def test_a_cluster_stopped_by_an_admin_call_is_stale_while_the_others_update(
    database_url: str, tmp_path: Path
) -> None:
    async with contextlib.AsyncExitStack() as stack:
        clusters: dict[str, DevCluster] = {}
        for name in CLUSTERS:
            clusters[name] = await stack.enter_async_context(
                serve_devcluster(scenario="empty", simulate=False, context=name)
            )
            seed(clusters[name], "web")
        servers = {name: dc.url for name, dc in clusters.items()}
        kubeconfig = write_document(
            tmp_path / "kubeconfig", fleet_kubeconfig_document(servers=servers, token=None)
        )
        settings = Settings(
            database_url=database_url,
            kubeconfig=kubeconfig,
            kube_contexts=list(CLUSTERS),
            log_format="console",
            watch_kinds=["canaries"],
        )
        async with running_app(settings) as running:
            view = running.app.state.portal.view
            await wait_until(lambda: view.unready_clusters() == {}, what="first lists")
            async with httpx.AsyncClient() as client:
                answer = await client.post(
                    f"{servers['prod-us']}/devcluster/admin/down", json={"seconds": 600}
                )
            assert answer.json() == {"down_for_seconds": 600}
            await wait_until(lambda: view.cluster_status("prod-us").stale, what="prod-us stale")
            seed(clusters["staging"], "api")
            await wait_until(
                lambda: (
                    view.get("canaries", cluster="staging", namespace="shop", name="api")
                    is not None
                ),
                what="staging still updating",
            )
            async with signed_in(running, Role.viewer) as client:
                api = (await client.get("/api/v1/canaries")).json()
                page = (await client.get("/canaries")).text
                staging_only = (await client.get("/api/v1/canaries?cluster=staging")).json()
    assert sorted((c["cluster"], c["name"]) for c in api["items"]) == [
        ("prod-eu", "web"),
        ("prod-us", "web"),
        ("staging", "api"),
        ("staging", "web"),
    ]
    assert {c["name"]: c["stale"] for c in api["clusters"]} == {
        "prod-eu": False,
        "prod-us": True,
        "staging": False,
    }
    assert [c["name"] for c in staging_only["items"]] == ["api", "web"]
    assert "Cluster <strong>prod-us</strong> is unreachable" in page
    assert "Cluster <strong>prod-eu</strong> is unreachable" not in page
    assert "Cluster <strong>staging</strong> is unreachable" not in page
    assert 'data-cluster-freshness="prod-us" title="last in sync' in page
    assert ">prod-us: stale</span>" in page
    assert ">prod-eu: live</span>" in page
    assert ">staging: live</span>" in page
