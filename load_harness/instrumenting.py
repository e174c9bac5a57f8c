"""ASGI middleware that counts and times every request by route template and exact status.

It is the outermost of our middleware, so injected failures and latency are measured exactly as
a client (and Flagger's analysis) sees them. The route template is the one routing put in the
scope (`scope["route"].path`), so the `route` label is bounded to the routes that exist, plus
`/static` for the mounted files and `unmatched` for everything else (404s).
"""

from __future__ import annotations

import time

from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from load_harness.metrics import HarnessMetrics

STATIC_ROUTE = "/static"
UNMATCHED = "unmatched"


def route_template(*, scope: Scope) -> str:
    """The template of the route that served `scope` (`/api/v1/jobs/{job_id}`), or `unmatched`."""
    route = scope.get("route")
    if isinstance(route, Route):
        return route.path
    if scope["path"].startswith(STATIC_ROUTE + "/"):
        return STATIC_ROUTE
    return UNMATCHED


class InstrumentingMiddleware:
    """Record `http_requests_total` and `http_request_duration_seconds` for every request."""

    def __init__(self, app: ASGIApp, *, metrics: HarnessMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            method, route = scope["method"], route_template(scope=scope)
            self.metrics.request_duration.labels(method=method, route=route).observe(
                time.perf_counter() - started
            )
            self.metrics.requests.labels(method=method, route=route, status=str(status)).inc()
