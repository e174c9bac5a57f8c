"""Serve an ASGI app with a real uvicorn server on 127.0.0.1 for the length of a test."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import uvicorn
from starlette.types import ASGIApp

STARTUP_TIMEOUT_SECONDS = 15.0


def free_port() -> int:
    """A port nothing listens on at this moment, on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_ports(count: int) -> int:
    """The first of `count` consecutive free ports on 127.0.0.1 (the demo's clusters take one
    each)."""
    for _ in range(50):
        first = free_port()
        if all(_bindable(port) for port in range(first + 1, first + count)):
            return first
    raise RuntimeError(f"no {count} consecutive free ports")


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _local_mode_port(app: ASGIApp) -> int:
    state = getattr(app, "state", None)
    security = getattr(state, "security", None) if state is not None else None
    settings = getattr(security, "settings", None)
    return int(settings.port) if settings is not None and settings.auth_mode == "local" else 0


@asynccontextmanager
async def serve_app(app: ASGIApp, *, port: int = 0, lifespan: str = "on") -> AsyncIterator[str]:
    """Yield the base URL of a running server; shut it down (and await it) on exit.

    `lifespan="off"` serves an app whose lifespan already runs (e.g. from `running_app`).
    A local-mode portal answers only its own port (DNS rebinding): it is served on the
    `PORTAL_PORT` it was built with (give it `free_port()`)."""
    port = port or _local_mode_port(app)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    bound_port = sock.getsockname()[1]
    config = uvicorn.Config(
        app,
        log_config=None,
        lifespan=lifespan,
        timeout_graceful_shutdown=2,  # type: ignore[arg-type]
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name=f"uvicorn:{bound_port}")
    try:
        async with asyncio.timeout(STARTUP_TIMEOUT_SECONDS):
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("uvicorn stopped before it started")
                await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{bound_port}"
    finally:
        server.should_exit = True
        await task
        sock.close()
