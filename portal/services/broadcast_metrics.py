"""Prometheus view of the browser push: connected streams and what the Broadcaster did.

Read at scrape time from the Broadcaster's plain counters; registered on the app's registry.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from portal.services.sse_subscribers import BroadcastMetrics

COUNTERS = {
    "streams_opened": "SSE streams opened",
    "clients_dropped": "SSE clients dropped for falling behind",
    "frames_sent": "SSE frames queued to clients",
    "frames_encoded": "SSE frames encoded (once per change and page topic)",
    "renders": "fragment renders",
    "renders_skipped": "changes not rendered: nobody was on a page they render for",
    "render_errors": "fragment renders that failed",
    "publishes": "changes published",
    "heartbeats": "heartbeat rounds",
}


class BroadcastCollector(Collector):
    def __init__(self, metrics: BroadcastMetrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "portal_sse_clients", "Connected SSE streams", value=self.metrics.clients_connected
        )
        for name, documentation in COUNTERS.items():
            yield CounterMetricFamily(
                f"portal_sse_{name}", documentation, value=getattr(self.metrics, name)
            )
