"""`GET /stream`: the Server-Sent Events stream htmx pages subscribe to.

Why a small ASGI response of our own rather than sse-starlette's `EventSourceResponse`
(3.7.0, read in .venv): it does pass pre-encoded `bytes` through without re-encoding, but per
client it starts four tasks (stream, ping, exit watcher, disconnect watcher) and encodes its
own timestamped ping per client; it starts an unnamed task per event loop that nobody awaits
(`_shutdown_watcher`, polling every 0.5 s), and it patches `uvicorn.Server.handle_exit` at
import time with a process-global `AppStatus` flag. Here the Broadcaster already owns
heartbeats (one shared frame) and shutdown, so a stream needs only its writer (the request's
own task, `Subscriber.pump`) and one named task listening for `http.disconnect`, which
unregisters the client as soon as it goes away.

Shutdown: uvicorn waits for open responses *before* it runs the lifespan's shutdown, so the
server should call `Broadcaster.end_streams()` when it starts to exit; otherwise streams end
when `timeout_graceful_shutdown` cancels them (their cleanup runs either way).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Protocol

import structlog
from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from portal.services.broadcasting import Broadcaster, BroadcasterClosed
from portal.services.sse_selections import Selection
from portal.services.sse_subscribers import CloseReason, Subscriber, Write

log = structlog.get_logger("portal.stream")

FINISH_TIMEOUT_SECONDS = 1.0
"""How long ending a stream may wait on a client that stopped reading before the server
closes the connection instead."""

STREAM_HEADERS = {
    "Cache-Control": "no-cache",
    "X-Accel-Buffering": "no",  # ingress-nginx: pass each frame through at once
}


class _BroadcastingState(Protocol):
    @property
    def broadcaster(self) -> Broadcaster: ...


def get_broadcaster(request: Request) -> Broadcaster:
    """The app's Broadcaster, from `app.state.portal` (the lifespan's `PortalState`)."""
    state: _BroadcastingState = request.app.state.portal
    return state.broadcaster


BroadcasterDep = Annotated[Broadcaster, Depends(get_broadcaster)]


class EventStreamResponse(Response):
    """Subscribes when the response starts and unsubscribes when it ends, whatever the cause."""

    media_type = "text/event-stream"

    def __init__(self, broadcaster: Broadcaster, selection: Selection) -> None:
        self.broadcaster = broadcaster
        self.selection = selection
        self.status_code = 200
        self.background = None
        self.init_headers(STREAM_HEADERS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            subscriber = self.broadcaster.subscribe(self.selection)
        except BroadcasterClosed as closed:
            await JSONResponse({"detail": closed.detail}, status_code=503)(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        listener = asyncio.create_task(
            _close_on_disconnect(receive, subscriber), name=f"sse-disconnect:{subscriber.id}"
        )
        try:
            reason = await subscriber.pump(_body_writer(send))
        finally:
            self.broadcaster.unsubscribe(subscriber)
            listener.cancel()
            await asyncio.wait([listener])
            if not listener.cancelled() and (error := listener.exception()) is not None:
                log.warning("receive failed; stream ended", error=repr(error))
        if reason is not CloseReason.DISCONNECTED:
            await _finish(send, subscriber)


async def _close_on_disconnect(receive: Receive, subscriber: Subscriber) -> None:
    """Whatever ends this listener (disconnect, a failing receive) also ends the stream."""
    try:
        while (await receive())["type"] != "http.disconnect":
            pass
    finally:
        subscriber.close(CloseReason.DISCONNECTED)


def _body_writer(send: Send) -> Write:
    async def write(chunk: bytes) -> None:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})

    return write


async def _finish(send: Send, subscriber: Subscriber) -> None:
    """End the response; a client too slow to take even that is cut off by the server."""
    try:
        async with asyncio.timeout(FINISH_TIMEOUT_SECONDS):
            await send({"type": "http.response.body", "body": b"", "more_body": False})
    except TimeoutError:
        log.info("stream not drained; closing the connection", subscriber=subscriber.id)


router = APIRouter(tags=["web"])


@router.get(
    "/stream",
    name="stream",
    status_code=200,
    response_class=EventStreamResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "SSE frames"}},
    summary="Server-Sent Events with out-of-band HTML fragments for one page",
)
async def stream(
    broadcaster: BroadcasterDep,
    page: Annotated[str, Query(description="page topic: overview, canaries, canary, hpas, costs")],
    cluster: Annotated[str | None, Query(description="only this cluster")] = None,
    namespace: Annotated[str | None, Query(description="only this namespace")] = None,
    name: Annotated[str | None, Query(description="the object, for page=canary")] = None,
) -> EventStreamResponse:
    selection = broadcaster.select(page=page, cluster=cluster, namespace=namespace, name=name)
    return EventStreamResponse(broadcaster, selection)
