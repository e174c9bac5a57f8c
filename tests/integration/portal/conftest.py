"""Two portal replicas (`portal serve` processes) on one PostgreSQL database and one
devcluster, for the multi-replica, shutdown and load tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from devcluster.harness import serve_devcluster
from tests.support import objects

from .replicas import Fleet, running_fleet


@pytest.fixture
async def fleet(postgres_url: str, tmp_path: Path) -> AsyncIterator[Fleet]:
    async with serve_devcluster(scenario="empty", simulate=False) as dc:
        dc.objects.put(objects.namespace("shop"))
        async with running_fleet(dc, postgres_url, tmp_path) as made:
            yield made


@pytest.fixture
async def simulated_fleet(postgres_url: str, tmp_path: Path) -> AsyncIterator[Fleet]:
    async with serve_devcluster(scenario="empty", simulate=True, time_scale=20.0) as dc:
        dc.objects.put(objects.namespace("shop"))
        dc.objects.put(objects.deployment("web", "shop", image="registry/web:1"))
        dc.objects.put(objects.canary("web", "shop"))
        async with running_fleet(dc, postgres_url, tmp_path) as made:
            yield made
