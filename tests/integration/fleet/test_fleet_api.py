"""The fleet JSON API returns the documented fields, read from the watched copy."""

from __future__ import annotations

from portal.security.roles import Role
from tests.integration.fleet.conftest import Fleet
from tests.support.apps import signed_in
from tests.support.waiting import wait_until


async def test_canary_list_carries_the_documented_fields(fleet: Fleet) -> None:
    async with signed_in(fleet.portal, Role.viewer) as client:
        response = await client.get("/api/v1/canaries", params={"namespace": "shop"})
    assert response.status_code == 200
    body = response.json()
    assert [c["name"] for c in body["items"]] == ["api", "web"]
    web = body["items"][1]
    assert {
        k: web[k]
        for k in (
            "cluster",
            "namespace",
            "name",
            "phase",
            "canary_weight",
            "max_weight",
            "step_weight",
            "failed_checks",
            "threshold",
            "iterations",
            "suspended",
            "target",
            "progress",
            "needs_attention",
            "gates",
            "last_transition_time",
        )
    } == {
        "cluster": "devcluster",
        "namespace": "shop",
        "name": "web",
        "phase": "Progressing",
        "canary_weight": 20,
        "max_weight": 50,
        "step_weight": 10,
        "failed_checks": 1,
        "threshold": 3,
        "iterations": 0,
        "suspended": False,
        "target": {"kind": "Deployment", "name": "web"},
        "progress": 0.4,
        "needs_attention": True,
        "gates": ["confirm-promotion", "rollback"],
        "last_transition_time": "2026-11-25T10:00:00Z",
    }
    assert web["step_plan"] == [10, 20, 30, 40, 50]
    assert web["current_step"] == 1
    assert body["clusters"] == [
        {
            "name": "devcluster",
            "ready": True,
            "stale": False,
            "last_sync": body["clusters"][0]["last_sync"],
            "errors": [],
        }
    ]


async def test_attention_filter_keeps_only_canaries_needing_attention(fleet: Fleet) -> None:
    async with signed_in(fleet.portal, Role.viewer) as client:
        response = await client.get("/api/v1/canaries", params={"attention": "true"})
    assert [c["name"] for c in response.json()["items"]] == ["web"]


async def test_canary_detail_has_webhooks_image_and_the_run_joined_late(fleet: Fleet) -> None:
    async with signed_in(fleet.portal, Role.viewer) as client:

        async def recorded() -> bool:
            response = await client.get("/api/v1/canaries/devcluster/shop/web")
            return bool(response.json()["runs"])

        await wait_until(recorded, what="the run in progress recorded")
        response = await client.get("/api/v1/canaries/devcluster/shop/web")
    assert response.status_code == 200
    body = response.json()
    assert body["image"] == "ghcr.io/infra-fleet/web:2.1.0"
    assert [(h["name"], h["portal_gate"]) for h in body["webhooks"]] == [
        ("rollback", "rollback"),
        ("confirm-promotion", "confirm-promotion"),
    ]
    assert body["metrics"] == [
        {
            "name": "request-success-rate",
            "interval_seconds": 60.0,
            "threshold_min": 99.0,
            "threshold_max": None,
            "template": None,
            "last_value": None,
        }
    ]
    [run] = body["runs"]
    assert (run["revision"], run["image"], run["outcome"], run["ended_at"]) == (
        "5d8f9c7b6a",
        "ghcr.io/infra-fleet/web:2.1.0",
        None,
        None,
    )
    assert [(e["category"], e["message"]) for e in body["timeline"]] == [
        ("step", "Progressing: weight 20%")
    ]


async def test_unknown_canary_and_cluster_are_404_with_the_reason(fleet: Fleet) -> None:
    async with signed_in(fleet.portal, Role.viewer) as client:
        missing = await client.get("/api/v1/canaries/devcluster/shop/nope")
        cluster = await client.get("/api/v1/canaries", params={"cluster": "elsewhere"})
    assert (missing.status_code, missing.json()) == (
        404,
        {"detail": "canary shop/nope not found in cluster devcluster"},
    )
    assert (cluster.status_code, cluster.json()) == (
        404,
        {"detail": "unknown cluster 'elsewhere' (watched clusters: devcluster)"},
    )


async def test_hpa_list_links_the_primary_hpa_to_its_canary(fleet: Fleet) -> None:
    async with signed_in(fleet.portal, Role.viewer) as client:
        response = await client.get("/api/v1/hpas")
    [hpa] = response.json()["items"]
    assert {
        k: hpa[k]
        for k in (
            "cluster",
            "namespace",
            "name",
            "target",
            "min_replicas",
            "max_replicas",
            "current_replicas",
            "desired_replicas",
            "canary",
            "is_primary",
        )
    } == {
        "cluster": "devcluster",
        "namespace": "shop",
        "name": "web-primary",
        "target": {"kind": "Deployment", "name": "web-primary"},
        "min_replicas": 2,
        "max_replicas": 10,
        "current_replicas": 3,
        "desired_replicas": 4,
        "canary": "web",
        "is_primary": True,
    }
    assert [(m["name"], m["current"], m["target"]) for m in hpa["metrics"]] == [
        ("cpu", "91%", "70%")
    ]
    assert [c["type"] for c in hpa["conditions"]] == ["AbleToScale"]


async def test_page_views_cause_no_kubernetes_api_calls(fleet: Fleet) -> None:
    fleet.dc.requests.clear()
    async with signed_in(fleet.portal, Role.viewer) as client:
        for _ in range(10):
            for path in (
                "/",
                "/canaries",
                "/canaries/devcluster/shop/web",
                "/hpas",
                "/api/v1/canaries",
                "/api/v1/canaries/devcluster/shop/web",
                "/api/v1/hpas",
                "/api/v1/hpas/devcluster/shop/web-primary",
            ):
                assert (await client.get(path)).status_code == 200, path
    # the leader renews its Lease on its own schedule, whatever the pages do
    renewals = "/apis/coordination.k8s.io/"
    assert [r for r in fleet.dc.requests if not r.is_watch and renewals not in r.path] == []
