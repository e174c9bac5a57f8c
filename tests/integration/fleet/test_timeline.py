"""The timeline outlives Kubernetes events: runs, Flagger events and HPA samples are stored,
from the watch and from Flagger's event webhook."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devcluster.harness import DevCluster, serve_devcluster
from portal.config import Settings
from portal.security.roles import Role
from tests.support import objects
from tests.support.apps import RunningApp, running_app, signed_in
from tests.support.flagger_callers import FLAGGER_TOKEN as TOKEN
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
            watch_kinds=["canaries", "canary-events", "deployments", "hpas"],
            flagger_tokens=flagger_tokens(),
            log_format="console",
        )
        async with running_app(settings) as running:
            view = running.app.state.portal.view
            await wait_until(lambda: view.unready_clusters() == {}, what="first lists")
            yield dc, running


def release(dc: DevCluster, image: str, *, failure_rate: str | None = None) -> None:
    deployment = dc.objects.get("apps/v1", "Deployment", name="web", namespace="shop")
    del deployment["metadata"]["resourceVersion"]  # an unconditional update, like kubectl replace
    deployment["spec"]["template"]["spec"]["containers"][0]["image"] = image
    annotations = deployment["metadata"].setdefault("annotations", {})
    if failure_rate is None:
        annotations.pop(FAILURE_RATE, None)
    else:
        annotations[FAILURE_RATE] = failure_rate
    dc.objects.put(deployment)


async def detail(running: RunningApp) -> dict[str, Any]:
    async with signed_in(running, Role.viewer) as client:
        response = await client.get("/api/v1/canaries/devcluster/shop/web")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def wait_for_phase(running: RunningApp, phase: str) -> None:
    view = running.app.state.portal.view

    def reached() -> bool:
        canary = view.get("canaries", cluster="devcluster", namespace="shop", name="web") or {}
        return bool(canary.get("status", {}).get("phase") == phase)

    await wait_until(reached, within=20, what=f"canary {phase}")


async def wait_for_runs(running: RunningApp, count: int) -> list[dict[str, Any]]:
    """The runs once `count` have ended (a failure shows every run there is)."""

    async def ended() -> bool:
        runs = (await detail(running))["runs"]
        return sum(1 for run in runs if run["outcome"]) >= count

    await wait_until(ended, within=30, what=f"{count} finished run(s)")
    return list((await detail(running))["runs"])


async def test_a_good_release_is_recorded_as_a_promoted_run(
    simulated: tuple[DevCluster, RunningApp],
) -> None:
    dc, running = simulated
    await wait_for_phase(running, "Initialized")
    release(dc, "registry/web:2")
    [run] = await wait_for_runs(running, 1)
    assert (run["outcome"], run["reason"], run["image"]) == ("promoted", None, "registry/web:2")
    started, ended = (datetime.fromisoformat(run[k]) for k in ("started_at", "ended_at"))
    assert run["duration_seconds"] == (ended - started).total_seconds()
    messages = [entry["message"] for entry in (await detail(running))["timeline"]]
    assert "New revision detected! Scaling up web.shop" in messages
    assert "Advance web.shop canary weight 50" in messages
    assert "Promotion completed! Scaling down web.shop" in messages


async def test_a_failing_release_is_recorded_as_rolled_back_with_the_reason(
    simulated: tuple[DevCluster, RunningApp],
) -> None:
    dc, running = simulated
    await wait_for_phase(running, "Initialized")
    release(dc, "registry/web:bad", failure_rate="1")
    [run] = await wait_for_runs(running, 1)
    assert run["outcome"] == "rolled_back"
    assert run["reason"] == "failed checks threshold reached 3"
    messages = [entry["message"] for entry in (await detail(running))["timeline"]]
    assert "Rolling back web.shop failed checks threshold reached 3" in messages
    assert "Canary failed! Scaling down web.shop" in messages


async def test_event_webhook_is_202_and_lands_in_the_timeline(
    simulated: tuple[DevCluster, RunningApp],
) -> None:
    _, running = simulated
    # within the retention window: the leader's first purge may run after the write
    sent = (datetime.now(UTC) - timedelta(minutes=5)).replace(microsecond=0)
    payload = {
        "name": "web",
        "namespace": "shop",
        "phase": "Progressing",
        "checksum": "abc",
        "metadata": {
            "token": TOKEN,
            "eventMessage": "Custom note from Flagger",
            "eventType": "Warning",
            "timestamp": str(int(sent.timestamp()) * 1000),
        },
    }
    response = await running.client.post("/flagger/events", json=payload)
    assert (response.status_code, response.json()) == (
        202,
        {"status": "accepted", "cluster": "devcluster"},
    )

    async def stored() -> bool:
        return any(
            e["message"] == "Custom note from Flagger" for e in (await detail(running))["timeline"]
        )

    await wait_until(stored, what="webhook event stored")
    [entry] = [
        e for e in (await detail(running))["timeline"] if e["message"] == "Custom note from Flagger"
    ]
    assert (entry["event_type"], entry["source"], entry["at"][:19]) == (
        "Warning",
        "webhook",
        sent.isoformat()[:19],
    )


@pytest.mark.parametrize(
    ("metadata", "reason"),
    [
        ({"eventMessage": "x"}, "missing or wrong token on the Flagger webhook"),
        (
            {"token": "wrong", "eventMessage": "x"},
            "missing or wrong token on the Flagger webhook",
        ),
        (
            {"token": TOKEN, "cluster": "other", "eventMessage": "x"},
            "the token belongs to cluster 'devcluster', the call names 'other'",
        ),
    ],
)
async def test_event_webhook_refuses_bad_callers_with_the_reason(
    simulated: tuple[DevCluster, RunningApp], metadata: dict[str, str], reason: str
) -> None:
    _, running = simulated
    body = {"name": "web", "namespace": "shop", "phase": "Progressing", "metadata": metadata}
    response = await running.client.post("/flagger/events", json=body)
    assert (response.status_code, response.json()) == (403, {"detail": reason})


async def test_event_webhook_without_a_message_is_422(
    simulated: tuple[DevCluster, RunningApp],
) -> None:
    _, running = simulated
    body = {
        "name": "web",
        "namespace": "shop",
        "metadata": {"token": TOKEN},
    }
    response = await running.client.post("/flagger/events", json=body)
    assert (response.status_code, response.json()) == (
        422,
        {"detail": "metadata.eventMessage is required on a Flagger event webhook"},
    )
