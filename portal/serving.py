"""Serve the app with uvicorn, ending the SSE streams as soon as shutdown starts.

uvicorn waits for open responses *before* it runs the lifespan shutdown, so without this an
open browser stream holds a SIGTERM for the whole graceful-shutdown timeout (measured: 10.3 s
and a CancelledError traceback, against 0.2 s and a clean end of stream with it).
"""

from __future__ import annotations

import asyncio
from types import FrameType

import uvicorn
from fastapi import FastAPI

GRACEFUL_SHUTDOWN_SECONDS = 10


class PortalServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, app: FastAPI) -> None:
        super().__init__(config)
        self._app = app

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        state = getattr(self._app.state, "portal", None)
        if state is not None:
            asyncio.get_running_loop().call_soon_threadsafe(state.broadcaster.end_streams)


def serve(app: FastAPI, *, host: str, port: int) -> None:
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        proxy_headers=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    PortalServer(config, app).run()
