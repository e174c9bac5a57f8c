"""Fixtures of the k8s/ tests: a fresh devcluster (with the CRDs of ../shared/crds) and kubectl."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from devcluster.harness import DevCluster, serve_devcluster
from tests.k8s.applying import Kubectl


@pytest.fixture
async def cluster() -> AsyncIterator[DevCluster]:
    async with serve_devcluster(simulate=False) as running:
        yield running


@pytest.fixture
def kubectl(cluster: DevCluster, tmp_path: Path) -> Kubectl:
    return Kubectl(kubeconfig=cluster.kubeconfig, cache=tmp_path / "kube-cache")
