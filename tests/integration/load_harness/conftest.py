"""Run the real `load-harness serve` command on a free 127.0.0.1 port for one test."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import pytest

from tests.support.servers import free_port

API_KEY = "integration-test-key-0123456789"
MIB = 1024 * 1024
STARTUP_SECONDS = 20.0
COMMAND = str(Path(sys.executable).with_name("load-harness"))


@dataclass(frozen=True)
class Served:
    """A running `load-harness serve` process."""

    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


ServeFactory = Callable[..., AbstractAsyncContextManager[Served]]


def harness_environment(cgroup_root: Path, overrides: dict[str, str]) -> dict[str, str]:
    """The parent environment without harness settings, plus a fake cgroup and `overrides`."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("LOAD_HARNESS_")
        and name not in {"APP_VERSION", "POD_NAME", "POD_NAMESPACE"}
    }
    environment["LOAD_HARNESS_CGROUP_ROOT"] = str(cgroup_root)
    environment["LOAD_HARNESS_WORKER_NICE"] = "0"  # neighbours on a shared machine cannot starve it
    return environment | overrides


async def wait_until(
    predicate: Callable[[], bool], *, within_seconds: float, what: str, every: float = 0.02
) -> None:
    """Poll `predicate` until it holds; fail the test with `what` if it does not in time."""
    deadline = time.monotonic() + within_seconds
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {within_seconds} s waiting for {what}")
        await asyncio.sleep(every)


async def wait_until_async(
    predicate: Callable[[], Awaitable[bool]], *, within_seconds: float, what: str
) -> None:
    """`wait_until` for a predicate that must await (an HTTP call)."""
    deadline = time.monotonic() + within_seconds
    while not await predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {within_seconds} s waiting for {what}")
        await asyncio.sleep(0.05)


async def wait_ready(base_url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    async with httpx.AsyncClient(base_url=base_url, timeout=1.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"load-harness exited with {process.returncode} before it was ready")
            try:
                if (await client.get("/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    pytest.fail(f"load-harness was not ready within {STARTUP_SECONDS} s")


async def stop(process: subprocess.Popen[bytes], *, within_seconds: float = 15.0) -> int:
    """SIGTERM the server and wait for it to exit; SIGKILL it if it does not in time."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return await asyncio.to_thread(process.wait, within_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        await asyncio.to_thread(process.wait, within_seconds)
        raise


def is_alive(pid: int) -> bool:
    """Whether `pid` is a live (not zombie) process."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.fixture
def fake_cgroup(tmp_path: Path) -> Path:
    """A fake cgroup v2 root: 1 core of quota and 512 MiB of memory limit."""
    root = tmp_path / "cgroup"
    root.mkdir()
    (root / "cpu.max").write_text("100000 100000\n")
    (root / "memory.max").write_text(f"{512 * MIB}\n")
    return root


@pytest.fixture
def serve(tmp_path: Path, fake_cgroup: Path) -> ServeFactory:
    """Start `load-harness serve` with extra environment; stop it (SIGTERM) on exit."""

    @asynccontextmanager
    async def start(*, app_dir: Path | None = None, **overrides: str) -> AsyncIterator[Served]:
        """`app_dir` runs `python -m load_harness` from a copy of the package, as the image does."""
        port = free_port()
        log = tmp_path / f"load-harness-{port}.log"
        arguments = ["serve", "--host", "127.0.0.1", "--port", str(port)]
        command = [COMMAND] if app_dir is None else [sys.executable, "-m", "load_harness"]
        if app_dir is not None:
            overrides = overrides | {"PYTHONPATH": str(app_dir), "PYTHONDONTWRITEBYTECODE": "1"}
        with log.open("wb") as sink:
            process = subprocess.Popen(  # noqa: ASYNC220 (Popen starts the child, never waits)
                [*command, *arguments],
                env=harness_environment(fake_cgroup, overrides),
                cwd=app_dir,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )
        served = Served(base_url=f"http://127.0.0.1:{port}", process=process, log=log)
        try:
            await wait_ready(served.base_url, process)
            yield served
        finally:
            await stop(process)

    return start
