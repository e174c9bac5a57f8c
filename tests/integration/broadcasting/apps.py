"""A minimal app around `GET /stream`, wired the way the portal wires it.

The router reads the Broadcaster from `app.state.portal.broadcaster`, as it does in the real
app; the error handlers and request-id middleware are the portal's own, so a 422 and the
streaming path through pure ASGI middleware are the production ones.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from fastapi import FastAPI

from portal.http.errors import install_error_handlers
from portal.http.request_ids import RequestIdMiddleware
from portal.services.broadcasting import Broadcaster
from portal.web import stream

WAIT_SECONDS = 5.0


@dataclass(frozen=True)
class StreamState:
    """The slice of `PortalState` the stream router reads."""

    broadcaster: Broadcaster


def stream_app(broadcaster: Broadcaster) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(RequestIdMiddleware)
    app.state.portal = StreamState(broadcaster=broadcaster)
    app.include_router(stream.router)
    return app


class EventStream:
    """Reads an SSE response frame by frame (a frame ends with a blank line)."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._chunks = response.aiter_bytes()
        self._buffer = b""

    async def next_frame(self) -> bytes:
        async with asyncio.timeout(WAIT_SECONDS):
            while b"\n\n" not in self._buffer:
                self._buffer += await anext(self._chunks)
        frame, _, self._buffer = self._buffer.partition(b"\n\n")
        return frame + b"\n\n"

    async def rest(self) -> bytes:
        """Everything until the server ends the stream."""
        async with asyncio.timeout(WAIT_SECONDS):
            async for chunk in self._chunks:
                self._buffer += chunk
        rest, self._buffer = self._buffer, b""
        return rest

    async def aclose(self) -> None:
        await self._chunks.aclose()  # type: ignore[attr-defined]


@asynccontextmanager
async def connect(client: httpx.AsyncClient, **query: str) -> AsyncIterator[EventStream]:
    async with client.stream("GET", "/stream", params=query) as response:
        events = EventStream(response)
        try:
            yield events
        finally:
            await events.aclose()
