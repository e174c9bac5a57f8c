"""Fixtures: a fresh devcluster per test and an httpx client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from devcluster.harness import DevCluster, serve_devcluster

CANARIES = "/apis/flagger.app/v1beta1/namespaces/default/canaries"


def canary(name: str = "podinfo", **analysis: Any) -> dict[str, Any]:
    return {
        "apiVersion": "flagger.app/v1beta1",
        "kind": "Canary",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "analysis": {
                "interval": "1m",
                "threshold": 5,
                "stepWeight": 10,
                "maxWeight": 50,
                **analysis,
            },
        },
    }


@pytest.fixture
async def cluster() -> AsyncIterator[DevCluster]:
    async with serve_devcluster(simulate=False) as running:
        yield running


@pytest.fixture
async def api(cluster: DevCluster) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=cluster.url, timeout=10) as client:
        yield client
