"""A devcluster with a small fleet, and a portal watching it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from devcluster.harness import DevCluster, serve_devcluster
from portal.config import Settings
from tests.support import objects
from tests.support.apps import RunningApp, running_app
from tests.support.waiting import wait_until

PROGRESSING_STATUS: dict[str, Any] = {
    "phase": "Progressing",
    "canaryWeight": 20,
    "failedChecks": 1,
    "iterations": 0,
    "lastAppliedSpec": "5d8f9c7b6a",
    "lastTransitionTime": "2026-11-25T10:00:00Z",
    "conditions": [
        {
            "type": "Promoted",
            "status": "Unknown",
            "reason": "Progressing",
            "message": "New revision detected, progressing canary analysis.",
            "lastUpdateTime": "2026-11-25T10:00:00Z",
            "lastTransitionTime": "2026-11-25T10:00:00Z",
        }
    ],
}


def seed(dc: DevCluster) -> None:
    dc.objects.put(objects.namespace("shop"))
    dc.objects.put(objects.deployment("web", "shop", image="ghcr.io/infra-fleet/web:2.1.0"))
    canary = objects.canary("web", "shop", gate_base_url="http://portal.test")
    canary["spec"]["autoscalerRef"] = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "name": "web",
    }
    dc.objects.put({**canary, "status": PROGRESSING_STATUS})
    dc.objects.put(objects.deployment("api", "shop"))
    dc.objects.put(objects.canary("api", "shop"))
    hpa = objects.hpa("web-primary", "shop", target="web-primary")
    hpa["status"] = {
        "currentReplicas": 3,
        "desiredReplicas": 4,
        "currentMetrics": [
            {
                "type": "Resource",
                "resource": {"name": "cpu", "current": {"averageUtilization": 91}},
            }
        ],
        "conditions": [
            {
                "type": "AbleToScale",
                "status": "True",
                "reason": "ReadyForNewScale",
                "message": "recommended size matches current size",
            },
        ],
    }
    dc.objects.put(hpa)


@dataclass(frozen=True)
class Fleet:
    dc: DevCluster
    portal: RunningApp


@pytest.fixture
async def fleet(database_url: str) -> AsyncIterator[Fleet]:
    async with serve_devcluster(scenario="empty", simulate=False, admin_token="t0ken") as dc:
        seed(dc)
        settings = Settings(
            database_url=database_url,
            kubeconfig=dc.kubeconfig,
            log_format="console",
        )
        async with running_app(settings) as running:
            view = running.app.state.portal.view
            await wait_until(lambda: view.unready_clusters() == {}, what="first lists")
            yield Fleet(dc=dc, portal=running)
