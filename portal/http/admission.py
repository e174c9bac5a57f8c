"""Admission control: at most `limit` requests inside the app at once; one more is answered
503 with `Retry-After: 1` at once, before it costs anything.

Past capacity, an open-loop caller (Flagger's ticks, a dashboard's refreshes) keeps sending at
its rate however slowly it is answered: without a bound, requests queue inside the replica, time
out at the caller, and the replica goes on serving requests nobody waits for, so goodput
collapses. A 503 is the safe early answer: to a Flagger gate it is "hold" (any non-2xx), to the
browser and the API a clear retry. Long-lived streams (SSE), probes and /metrics are not
counted, so the portal stays observable and its pages stay live while it sheds load.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from portal.http.errors import render_error

UNCOUNTED_PREFIXES = ("/stream", "/healthz", "/readyz", "/metrics", "/static/")


class Admission:
    """The bound and its counts, one per app (`app.state.admission`), read by /metrics."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight = 0
        self.refused = 0


class AdmissionCollector(Collector):
    def __init__(self, admission: Admission) -> None:
        self.admission = admission

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "portal_requests_in_flight",
            "Requests inside the app now (SSE streams, probes and /metrics not counted)",
            value=self.admission.in_flight,
        )
        yield CounterMetricFamily(
            "portal_requests_refused_overloaded",
            "Requests answered 503 because PORTAL_MAX_REQUESTS_IN_FLIGHT were inside",
            value=self.admission.refused,
        )


class AdmissionMiddleware:
    def __init__(self, app: ASGIApp, *, admission: Admission) -> None:
        self.app = app
        self.admission = admission

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        admission = self.admission
        if scope["type"] != "http" or scope["path"].startswith(UNCOUNTED_PREFIXES):
            await self.app(scope, receive, send)
            return
        if admission.in_flight >= admission.limit:
            admission.refused += 1
            response = render_error(
                Request(scope),
                status=503,
                detail=f"overloaded: {admission.limit} requests in progress; try again in 1 s",
                headers={"Retry-After": "1"},
            )
            await response(scope, receive, send)
            return
        admission.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            admission.in_flight -= 1
