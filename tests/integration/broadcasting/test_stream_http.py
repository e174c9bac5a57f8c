"""`GET /stream` over real HTTP: uvicorn on 127.0.0.1, httpx reading the stream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass

import httpx
import pytest

from portal.services.broadcasting import Broadcaster
from portal.services.sse_selections import ChangeKey
from tests.integration.broadcasting.apps import WAIT_SECONDS, connect, stream_app
from tests.support.servers import serve_app

HELLO = b"retry: 3000\nevent: hello\ndata: subscribed\n\n"
PODINFO = ChangeKey(cluster="eu", namespace="prod", kind="canary", name="podinfo")


@dataclass(frozen=True)
class Served:
    broadcaster: Broadcaster
    client: httpx.AsyncClient


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    broadcaster = Broadcaster(queue_capacity=8)
    async with (
        serve_app(stream_app(broadcaster)) as base_url,
        broadcaster,
        httpx.AsyncClient(base_url=base_url, timeout=WAIT_SECONDS) as client,
    ):
        yield Served(broadcaster=broadcaster, client=client)


def row(html: str) -> Mapping[str, str]:
    return {"canaries": html, "overview": "<p>not for this page</p>"}


async def test_stream_is_an_uncached_event_stream_that_starts_with_hello(served: Served) -> None:
    async with connect(served.client, page="canaries") as events:
        assert events.response.status_code == 200
        assert events.response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert events.response.headers["cache-control"] == "no-cache"
        assert events.response.headers["x-accel-buffering"] == "no"
        assert "content-length" not in events.response.headers
        assert await events.next_frame() == HELLO
        assert served.broadcaster.clients == 1


async def test_a_published_change_reaches_a_connected_client(served: Served) -> None:
    html = '<tr id="canary-eu-prod-podinfo" hx-swap-oob="true">\n<td>Progressing</td>\n</tr>'
    async with connect(served.client, page="canaries", cluster="eu") as events:
        assert await events.next_frame() == HELLO
        served.broadcaster.publish(PODINFO, lambda: row(html))
        assert await events.next_frame() == (
            b"event: fleet\n"
            b'data: <tr id="canary-eu-prod-podinfo" hx-swap-oob="true">\n'
            b"data: <td>Progressing</td>\n"
            b"data: </tr>\n\n"
        )
    assert served.broadcaster.metrics.frames_encoded == 1


async def test_a_client_disconnect_unregisters_it(served: Served) -> None:
    async with connect(served.client, page="hpas") as events:
        assert await events.next_frame() == HELLO
        assert served.broadcaster.clients == 1
    async with asyncio.timeout(WAIT_SECONDS):
        await served.broadcaster.wait_for_clients(0)
    assert served.broadcaster.metrics.clients_dropped == 0


async def test_closing_the_broadcaster_ends_every_stream(served: Served) -> None:
    async with (
        connect(served.client, page="canaries") as first,
        connect(
            served.client, page="canary", cluster="eu", namespace="prod", name="podinfo"
        ) as second,
    ):
        assert await first.next_frame() == HELLO
        assert await second.next_frame() == HELLO
        await served.broadcaster.close()
        assert await first.rest() == b""
        assert await second.rest() == b""
        response = await served.client.get("/stream", params={"page": "canaries"})
    assert response.status_code == 503
    assert response.json() == {"detail": "the portal is shutting down; reconnect shortly"}


async def test_unknown_page_is_422_with_the_reason(served: Served) -> None:
    response = await served.client.get("/stream", params={"page": "dashboards"})
    assert response.status_code == 422
    assert response.json() == {
        "detail": "unknown page 'dashboards': expected one of "
        "page=canaries, page=canary, page=costs, page=dora, page=hpas, page=overview"
    }


async def test_missing_page_is_422(served: Served) -> None:
    response = await served.client.get("/stream")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "page"]


async def test_a_client_that_stops_reading_is_dropped_and_unregistered(served: Served) -> None:
    big = "x" * 65_536
    keys = [ChangeKey("eu", "prod", "canary", f"app{i}") for i in range(1_000)]
    async with connect(served.client, page="canaries") as stalled:
        assert await stalled.next_frame() == HELLO
        for key in keys:  # 64 MiB in all, far beyond the socket buffers: the writer blocks
            served.broadcaster.publish(key, lambda: row(big))
        async with asyncio.timeout(WAIT_SECONDS):
            await served.broadcaster.wait_for_clients(0)
        assert served.broadcaster.metrics.clients_dropped == 1
    assert served.broadcaster.metrics.frames_sent < len(keys)


async def test_head_opens_no_stream(served: Served) -> None:
    response = await served.client.head("/stream", params={"page": "canaries"})
    assert response.status_code == 405
    assert served.broadcaster.metrics.streams_opened == 0


async def test_openapi_documents_the_stream(served: Served) -> None:
    response = await served.client.get("/openapi.json")
    assert response.status_code == 200
    operation = response.json()["paths"]["/stream"]["get"]
    assert list(operation["responses"]["200"]["content"]) == ["text/event-stream"]
    assert [p["name"] for p in operation["parameters"]] == ["page", "cluster", "namespace", "name"]
