"""`portal serve` stops promptly on SIGTERM even while a browser holds a live stream open."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import httpx

from tests.support.servers import free_port
from tests.support.waiting import wait_until

GRACEFUL_TIMEOUT = 10.0  # what uvicorn would wait for the open stream without the hook


async def test_sigterm_ends_open_streams_and_exits_cleanly(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "PORTAL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'p.db'}",
        "PORTAL_AUTH_MODE": "local",
        "PORTAL_LOG_FORMAT": "console",
    }
    upgrade = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "portal.cli",
        "db",
        "upgrade",
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
    )
    assert await upgrade.wait() == 0
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "portal.cli",
        "serve",
        "--port",
        str(port),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:

            async def up() -> bool:
                try:
                    return (await client.get("/healthz")).status_code == 200
                except httpx.TransportError:
                    return False

            await wait_until(up, within=20, what="portal serving")
            async with client.stream("GET", "/stream", params={"page": "overview"}) as stream:
                lines = stream.aiter_lines()
                assert [await anext(lines) for _ in range(3)] == [
                    "retry: 3000",
                    "event: hello",
                    "data: subscribed",
                ]
                started = time.monotonic()
                server.send_signal(signal.SIGTERM)
                rest = [line async for line in lines]
            code = await asyncio.wait_for(server.wait(), timeout=GRACEFUL_TIMEOUT + 5)
            elapsed = time.monotonic() - started
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()
    assert rest == [""]
    assert code == -signal.SIGTERM  # uvicorn re-raises the signal once shut down
    assert elapsed < GRACEFUL_TIMEOUT / 2, f"took {elapsed:.1f}s: the stream held the shutdown"
