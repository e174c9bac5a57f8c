"""Build a load-harness app per test, with fake cgroup limits, run through its lifespan."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from fastapi import FastAPI

from load_harness.app import create_app
from load_harness.config import Settings

API_KEY = "unit-test-key-0123456789"
MIB = 1024 * 1024


@dataclass(frozen=True)
class Harness:
    """A running app and a client that sends the right API key."""

    app: FastAPI
    client: httpx.AsyncClient


HarnessFactory = Callable[..., AbstractAsyncContextManager[Harness]]


def write_cgroup_v2(root: Path, *, cpu_max: str, memory_max: str) -> Path:
    """Write fake cgroup v2 limit files into `root`."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "cpu.max").write_text(f"{cpu_max}\n")
    (root / "memory.max").write_text(f"{memory_max}\n")
    return root


@pytest.fixture
def cgroup_root(tmp_path: Path) -> Path:
    """A fake cgroup v2 with a 2-core quota and a 512 MiB memory limit (256 MiB for jobs)."""
    return write_cgroup_v2(tmp_path / "cgroup", cpu_max="200000 100000", memory_max=str(512 * MIB))


@pytest.fixture
def make_settings(cgroup_root: Path) -> Callable[..., Settings]:
    """Settings with the test key and the fake cgroup; keyword overrides win.

    Workers run at nice 0 here: at the default nice 10 other processes on a shared CI machine
    could starve them and make CPU-time assertions depend on the neighbours.
    """

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {"api_key": API_KEY, "cgroup_root": cgroup_root, "worker_nice": 0}
        return Settings(**(values | overrides))

    return make


@pytest.fixture
def harness_factory(make_settings: Callable[..., Settings]) -> HarnessFactory:
    """Start an app (lifespan entered) with these settings; stop it (every job) on exit."""

    @asynccontextmanager
    async def start(
        *, rng: random.Random | None = None, headers: dict[str, str] | None = None, **overrides: Any
    ) -> AsyncIterator[Harness]:
        app = create_app(make_settings(**overrides), rng=rng)
        transport = httpx.ASGITransport(app=app)
        client_headers = {"X-API-Key": API_KEY} if headers is None else headers
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=transport, base_url="http://harness.test", headers=client_headers
            ) as client,
        ):
            yield Harness(app=app, client=client)

    return start


@pytest.fixture
async def harness(harness_factory: HarnessFactory) -> AsyncIterator[Harness]:
    """A harness with default settings and the fake 2-core, 512 MiB cgroup."""
    async with harness_factory() as running:
        yield running


async def wait_until(
    predicate: Callable[[], bool], *, within_seconds: float, what: str, every: float = 0.02
) -> None:
    """Poll `predicate` until it holds; fail the test with `what` if it does not in time."""
    deadline = time.monotonic() + within_seconds
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {within_seconds} s waiting for {what}")
        await asyncio.sleep(every)


def is_alive(pid: int) -> bool:
    """Whether `pid` is a live (not zombie) process."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def write_cgroup_limits(harness_root: Path, *, cores: int, memory_mib: int) -> Path:
    """A fake cgroup v2 root with `cores` of quota and `memory_mib` of memory limit."""
    return write_cgroup_v2(
        harness_root, cpu_max=f"{cores * 100000} 100000", memory_max=str(memory_mib * MIB)
    )
