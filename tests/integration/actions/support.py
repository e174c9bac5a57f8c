"""Canaries wired to a served portal's gates, and small helpers to drive them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from devcluster.harness import DevCluster
from tests.support import objects
from tests.support.apps import RunningApp
from tests.support.waiting import wait_until

GATE_TOKEN = "gate-s3cret-0123456789abcdefghijkl"
CLUSTER = "devcluster"
NS = "shop"


@dataclass(frozen=True)
class Stage:
    dc: DevCluster
    portal: RunningApp
    base_url: str


def gated_canary(
    name: str,
    *,
    base_url: str,
    gates: Mapping[str, Mapping[str, str]],
    interval: str = "10s",
    step_weight: int = 10,
    max_weight: int = 50,
) -> dict[str, Any]:
    """A canary-strategy Canary whose `gates` (type -> extra metadata) call the portal."""
    hooks = [
        {
            "name": f"portal-{gate}",
            "type": gate,
            "url": f"{base_url}/flagger/gates/{gate}",
            "metadata": {"token": GATE_TOKEN, **extra},
        }
        for gate, extra in gates.items()
    ]
    return {
        "apiVersion": "flagger.app/v1beta1",
        "kind": "Canary",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "service": {"port": 80},
            "analysis": {
                "interval": interval,
                "threshold": 3,
                "maxWeight": max_weight,
                "stepWeight": step_weight,
                "webhooks": hooks,
            },
        },
    }


def status(stage: Stage, name: str) -> dict[str, Any]:
    """The canary's status as stored in devcluster right now."""
    canary = stage.dc.objects.get("flagger.app/v1beta1", "Canary", name=name, namespace=NS)
    return dict(canary.get("status") or {})


def spec(stage: Stage, name: str) -> dict[str, Any]:
    canary = stage.dc.objects.get("flagger.app/v1beta1", "Canary", name=name, namespace=NS)
    return dict(canary["spec"])


async def wait_phase(stage: Stage, name: str, phase: str, *, within: float = 20) -> None:
    await wait_until(
        lambda: status(stage, name).get("phase") == phase,
        within=within,
        what=f"{name} {phase} (now {status(stage, name).get('phase')})",
    )


async def add_canary(stage: Stage, canary: dict[str, Any]) -> None:
    """Deploy the target and the canary, and wait until Flagger initialised it and the
    portal's view has it."""
    name = canary["metadata"]["name"]
    stage.dc.objects.put(objects.deployment(name, NS, image=f"registry/{name}:1"))
    stage.dc.objects.put(canary)
    await wait_phase(stage, name, "Initialized")
    view = stage.portal.app.state.portal.view
    await wait_until(
        lambda: view.get("canaries", cluster=CLUSTER, namespace=NS, name=name) is not None,
        what="the portal's view of the canary",
    )


def release(stage: Stage, name: str, image: str) -> None:
    """A new revision: the target's pod template changes (like a CI deploy)."""
    deployment = stage.dc.objects.get("apps/v1", "Deployment", name=name, namespace=NS)
    del deployment["metadata"]["resourceVersion"]
    deployment["spec"]["template"]["spec"]["containers"][0]["image"] = image
    stage.dc.objects.put(deployment)


async def events(stage: Stage, name: str) -> list[tuple[str, int]]:
    """(message, count) of the Events Flagger recorded on the canary, read over the API."""
    async with httpx.AsyncClient(base_url=stage.dc.url, timeout=10) as client:
        response = await client.get(f"/api/v1/namespaces/{NS}/events")
    response.raise_for_status()
    return [
        (item["message"], int(item.get("count") or 1))
        for item in response.json()["items"]
        if item.get("involvedObject", {}).get("name") == name
    ]


async def event_count(stage: Stage, name: str, message: str) -> int:
    return sum(count for text, count in await events(stage, name) if text == message)


async def act(client: httpx.AsyncClient, name: str, action: str, **body: str) -> httpx.Response:
    payload = {"reason": f"test {action}", **body}
    return await client.post(f"/api/v1/canaries/{CLUSTER}/{NS}/{name}/{action}", json=payload)
