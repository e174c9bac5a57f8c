"""A devcluster (no simulation) holding one canary and its target, and portals that watch it:
gate calls are made by the tests, with the canary's observed checksum where a last call must be
kept."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import SecretStr

from devcluster.harness import DevCluster, serve_devcluster
from portal.config import Settings
from portal.domain.flagger_checksum import observed_checksum
from tests.support import objects
from tests.support.apps import RunningApp, running_app
from tests.support.waiting import wait_until

GATE_TOKEN = "gate-book-s3cret-0123456789abcdefghij"
NS = "shop"


@dataclass(frozen=True)
class GateStage:
    dc: DevCluster
    database_url: str

    def settings(self, **extra: Any) -> Settings:
        return Settings(
            database_url=self.database_url,
            kubeconfig=self.dc.kubeconfig,
            watch_kinds=["canaries", "deployments"],
            flagger_webhook_token=SecretStr(GATE_TOKEN),
            log_format="console",
            **extra,
        )

    def portal(self, **extra: Any) -> AbstractAsyncContextManager[RunningApp]:
        return _watching(self.settings(**extra))

    def checksum(self, name: str = "web") -> str:
        canary = self.dc.objects.get("flagger.app/v1beta1", "Canary", name=name, namespace=NS)
        checksum = observed_checksum(canary)
        assert checksum is not None
        return checksum


@asynccontextmanager
async def _watching(settings: Settings) -> AsyncIterator[RunningApp]:
    """A running portal whose view has listed the devcluster."""
    async with running_app(settings) as running:
        view = running.app.state.portal.view
        await wait_until(lambda: view.unready_clusters() == {}, what="first lists")
        yield running


def gate_body(checksum: str, *, name: str = "web", **metadata: str) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": NS,
        "phase": "Progressing",
        "checksum": checksum,
        "metadata": {"token": GATE_TOKEN, **metadata},
    }


async def call_gate(running: RunningApp, gate: str, body: dict[str, Any]) -> tuple[int, str]:
    response = await running.client.post(f"/flagger/gates/{gate}", json=body)
    return response.status_code, response.text


@pytest.fixture
async def gate_stage(database_url: str) -> AsyncIterator[GateStage]:
    async with serve_devcluster(scenario="empty", simulate=False) as dc:
        dc.objects.put(objects.namespace(NS))
        dc.objects.put(objects.deployment("web", NS, image="registry/web:1"))
        canary = objects.canary("web", NS)
        canary["status"] = {
            "phase": "Progressing",
            "lastAppliedSpec": "5d8f7c9b6",
            "trackedConfigs": {},
        }
        dc.objects.put(canary)
        yield GateStage(dc=dc, database_url=database_url)
