"""A Failed canary's "last change" is when it failed, although Flagger rewrites its status
(and so `lastTransitionTime`) every tick (scheduler.go:861-867 at v1.44.0; issue 10.11)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import pytest

from devcluster.harness import DevCluster, serve_devcluster
from portal.config import Settings
from portal.security.roles import Role
from tests.support import objects
from tests.support.apps import RunningApp, running_app, signed_in
from tests.support.flagger_callers import flagger_tokens
from tests.support.waiting import wait_until

FAILURE_RATE = "devcluster.infra-fleet.io/failure-rate"


@pytest.fixture
async def simulated(database_url: str) -> AsyncIterator[tuple[DevCluster, RunningApp]]:
    async with serve_devcluster(scenario="empty", simulate=True, time_scale=100.0) as dc:
        dc.objects.put(objects.namespace("shop"))
        dc.objects.put(objects.deployment("web", "shop", image="registry/web:1"))
        dc.objects.put(objects.canary("web", "shop"))
        settings = Settings(
            database_url=database_url,
            kubeconfig=dc.kubeconfig,
            watch_kinds=["canaries", "deployments"],
            flagger_tokens=flagger_tokens(),
            log_format="console",
        )
        async with running_app(settings) as running:
            view = running.app.state.portal.view
            await wait_until(lambda: view.unready_clusters() == {}, what="first lists")
            yield dc, running


def stored_status(dc: DevCluster) -> dict[str, Any]:
    canary = dc.objects.get("flagger.app/v1beta1", "Canary", name="web", namespace="shop")
    return dict(canary.get("status") or {})


def release_a_failing_revision(dc: DevCluster) -> None:
    deployment = dc.objects.get("apps/v1", "Deployment", name="web", namespace="shop")
    del deployment["metadata"]["resourceVersion"]
    deployment["spec"]["template"]["spec"]["containers"][0]["image"] = "registry/web:bad"
    deployment["metadata"].setdefault("annotations", {})[FAILURE_RATE] = "1"
    dc.objects.put(deployment)


def when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def test_a_failed_canary_shows_when_it_failed_not_its_last_tick(
    simulated: tuple[DevCluster, RunningApp],
) -> None:
    dc, running = simulated
    await wait_until(lambda: stored_status(dc).get("phase") == "Initialized", within=20)
    release_a_failing_revision(dc)
    await wait_until(lambda: stored_status(dc).get("phase") == "Failed", within=20)
    failed_at = stored_status(dc)["conditions"][0]["lastUpdateTime"]
    # the simulator, like Flagger, syncs the Failed status every tick: wait for a later stamp
    await wait_until(
        lambda: when(stored_status(dc)["lastTransitionTime"]) > when(failed_at),
        within=10,
        what="a later tick's status write",
    )
    seen: dict[str, Any] = {}
    async with signed_in(running, Role.viewer) as client:

        async def seen_rewritten() -> bool:
            seen.update((await client.get("/api/v1/canaries/devcluster/shop/web")).json())
            return when(seen["last_transition_time"]) > when(failed_at)

        await wait_until(seen_rewritten, within=10, what="the portal sees the rewrite")
        page = await client.get("/canaries/devcluster/shop/web")
    body = seen
    assert body["phase"] == "Failed"
    assert when(body["last_change"]) == when(failed_at)
    shown = when(failed_at).strftime("%Y-%m-%d %H:%M:%S UTC")
    assert f"last change {shown}" in page.text
