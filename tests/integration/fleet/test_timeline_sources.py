"""The event webhook is the faithful source of a run's timeline; Kubernetes Events, which
client-go's correlator merges and drops, are the fallback, and a run rebuilt from them alone
says so (issue 10.1)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from devcluster.harness import DevCluster, serve_devcluster
from portal.config import Settings
from portal.domain.flagger_events import COMBINED_PREFIX
from portal.security.roles import Role
from tests.support import objects
from tests.support.apps import RunningApp, running_app, signed_in
from tests.support.flagger_callers import FLAGGER_TOKEN, flagger_tokens
from tests.support.servers import serve_app
from tests.support.waiting import wait_until

EVENTS_ONLY_NOTE = "Some entries may be missing: this run's timeline was rebuilt from Kubernetes"


@dataclass(frozen=True)
class Stage:
    dc: DevCluster
    portal: RunningApp


def with_event_webhook(canary: dict[str, Any], *, base_url: str) -> dict[str, Any]:
    hook = {
        "name": "portal-events",
        "type": "event",
        "url": f"{base_url}/flagger/events",
        "metadata": {"token": FLAGGER_TOKEN},
    }
    canary["spec"]["analysis"]["webhooks"] = [hook]
    return canary


@pytest.fixture
async def stage(database_url: str) -> AsyncIterator[Stage]:
    async with serve_devcluster(scenario="empty", simulate=True, time_scale=100.0) as dc:
        dc.objects.put(objects.namespace("shop"))
        settings = Settings(
            database_url=database_url,
            kubeconfig=dc.kubeconfig,
            watch_kinds=["canaries", "canary-events", "deployments"],
            flagger_tokens=flagger_tokens(),
            log_format="console",
        )
        async with running_app(settings) as running, serve_app(running.app, lifespan="off") as url:
            view = running.app.state.portal.view
            await wait_until(lambda: view.unready_clusters() == {}, what="first lists")
            for name in ("web", "api"):
                dc.objects.put(objects.deployment(name, "shop", image=f"registry/{name}:1"))
            dc.objects.put(with_event_webhook(objects.canary("web", "shop"), base_url=url))
            dc.objects.put(objects.canary("api", "shop"))
            yield Stage(dc=dc, portal=running)


def phase(dc: DevCluster, name: str) -> str:
    canary = dc.objects.get("flagger.app/v1beta1", "Canary", name=name, namespace="shop")
    return str((canary.get("status") or {}).get("phase"))


def release(dc: DevCluster, name: str, **annotations: str) -> None:
    deployment = dc.objects.get("apps/v1", "Deployment", name=name, namespace="shop")
    del deployment["metadata"]["resourceVersion"]
    deployment["spec"]["template"]["spec"]["containers"][0]["image"] = f"registry/{name}:2"
    deployment["metadata"].setdefault("annotations", {}).update(
        {
            f"devcluster.infra-fleet.io/{key.replace('_', '-')}": value
            for key, value in annotations.items()
        }
    )
    dc.objects.put(deployment)


async def initialized(dc: DevCluster, name: str) -> None:
    await wait_until(lambda: phase(dc, name) == "Initialized", within=20, what=f"{name} ready")


async def test_a_run_heard_only_from_kubernetes_events_says_entries_may_be_missing(
    stage: Stage,
) -> None:
    for name in ("web", "api"):
        await initialized(stage.dc, name)
        release(stage.dc, name)
    async with signed_in(stage.portal, Role.viewer) as client:

        async def detail(name: str) -> dict[str, Any]:
            response = await client.get(f"/api/v1/canaries/devcluster/shop/{name}")
            body: dict[str, Any] = response.json()
            return body

        async def both_promoted() -> bool:
            runs = [(await detail(name))["runs"] for name in ("web", "api")]
            return all([r["outcome"] for r in run] == ["promoted"] for run in runs)

        await wait_until(both_promoted, within=30, what="both runs promoted")
        web, api = await detail("web"), await detail("api")
        web_page = await client.get("/canaries/devcluster/shop/web")
        api_page = await client.get("/canaries/devcluster/shop/api")
    assert [r["timeline_from_events_only"] for r in web["runs"]] == [False]
    assert [r["timeline_from_events_only"] for r in api["runs"]] == [True]
    assert EVENTS_ONLY_NOTE not in web_page.text
    assert EVENTS_ONLY_NOTE in api_page.text
    assert "from Events only" in api_page.text
    # ten distinct messages of one reason: Kubernetes stored the last ones combined; the
    # timeline keeps them as Flagger said them
    messages = [entry["message"] for entry in api["timeline"]]
    assert "Promotion completed! Scaling down api.shop" in messages
    assert [m for m in messages if m.startswith(COMBINED_PREFIX)] == []


async def test_a_failing_run_shows_what_flagger_measured_against_the_threshold(
    stage: Stage,
) -> None:
    """Measured values exist only in Flagger's Warning events (scheduler_metrics.go at v1.44.0):
    the canary's JSON and page show each metric's last failed measurement of the run."""
    await initialized(stage.dc, "web")
    release(stage.dc, "web", failure_rate="1", success_rate="87.5")
    async with signed_in(stage.portal, Role.viewer) as client:
        seen: dict[str, Any] = {}

        async def rolled_back() -> bool:
            response = await client.get("/api/v1/canaries/devcluster/shop/web")
            seen.update(response.json())
            return [r["outcome"] for r in seen["runs"]] == ["rolled_back"]

        await wait_until(rolled_back, within=30, what="the failing run rolled back")
        page = await client.get("/canaries/devcluster/shop/web")
    [measured] = seen["measured_metrics"]
    assert measured == {
        "metric": "request-success-rate",
        "value": 87.5,
        "threshold": 99.0,
        "comparison": "<",
        "at": measured["at"],
        "message": "Halt web.shop advancement success rate 87.50% < 99%",
    }
    assert '<span class="bad">87.5 &lt; 99.0</span>' in page.text
