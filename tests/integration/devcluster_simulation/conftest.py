"""Fixtures for simulation tests: a devcluster with the simulation on, and a real gate server.

The gate server is a small Starlette app under uvicorn on 127.0.0.1 that records every webhook
payload Flagger's simulator sends and answers with the status configured per path.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route

from devcluster.harness import DevCluster, serve_devcluster
from tests.integration.devcluster_simulation.support import (
    TIME_SCALE,
    Api,
    GateServer,
    server_started,
    wait_for,
)


@pytest.fixture
async def gates() -> AsyncIterator[GateServer]:
    gate = GateServer()
    app = Starlette(routes=[Route("/{path:path}", gate.handle, methods=["POST"])])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    gate.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", ws="none")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name="gate-server")
    try:
        await wait_for(lambda: server_started(server), within=10.0)
        yield gate
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest.fixture
async def cluster(gates: GateServer) -> AsyncIterator[DevCluster]:
    async with serve_devcluster(
        scenario="empty", time_scale=TIME_SCALE, gate_base_url=gates.url, simulate=True
    ) as running:
        yield running


@pytest.fixture
async def api(cluster: DevCluster) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=cluster.url, timeout=10.0) as http:
        yield Api(http=http)
