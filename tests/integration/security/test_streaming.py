"""Streams (SSE) pass through every security middleware unbuffered: the first frame reaches a
real client over a real server while the handler is still waiting to send the second."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
from fastapi.responses import StreamingResponse

from portal.app import create_app
from tests.integration.security.conftest import MakeSettings
from tests.support.servers import free_port, serve_app


async def test_a_stream_is_not_buffered_and_carries_the_headers(
    make_settings: MakeSettings,
) -> None:
    first_seen = asyncio.Event()

    async def frames() -> AsyncIterator[bytes]:
        yield b"data: first\n\n"
        await first_seen.wait()
        yield b"data: second\n\n"

    async def stream() -> StreamingResponse:
        return StreamingResponse(frames(), media_type="text/event-stream")

    app = create_app(make_settings(auth_mode="local", port=free_port()))
    app.add_api_route("/test-stream", stream)
    async with (
        serve_app(app) as base_url,
        httpx.AsyncClient(base_url=base_url) as client,
        asyncio.timeout(10),
        client.stream("GET", "/test-stream") as response,
    ):
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["content-type"].startswith("text/event-stream")
        received = []
        async for chunk in response.aiter_raw():
            received.append(chunk)
            first_seen.set()
    assert b"".join(received) == b"data: first\n\ndata: second\n\n"
    assert received[0] == b"data: first\n\n"
