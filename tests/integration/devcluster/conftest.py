"""Fixtures: a fresh devcluster per test and an httpx client pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from devcluster.harness import DevCluster, serve_devcluster


@pytest.fixture
async def cluster() -> AsyncIterator[DevCluster]:
    async with serve_devcluster(simulate=False) as running:
        yield running


@pytest.fixture
async def api(cluster: DevCluster) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=cluster.url, timeout=10) as client:
        yield client
