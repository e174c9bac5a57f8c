"""The timeline recorder's Prometheus metrics: what it wrote, retried and dropped (by reason),
and how much waits in its queue — so a database outage shows up as a queue and retries that
drain afterwards, and anything lost is counted, never silent."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from portal.services.timeline_recording import TimelineRecorder

DROP_REASONS = ("queue_full", "stopped", "write_failed")


class TimelineCollector(Collector):
    def __init__(self, recorder: TimelineRecorder) -> None:
        self._recorder = recorder

    def collect(self) -> Iterator[Metric]:
        tallies = self._recorder.tallies
        yield CounterMetricFamily(
            "portal_timeline_writes",
            "Timeline observations written (entries, run changes, HPA samples)",
            value=tallies.written,
        )
        yield CounterMetricFamily(
            "portal_timeline_writes_retried",
            "Timeline writes tried again because the database could not take them",
            value=tallies.retried,
        )
        dropped = CounterMetricFamily(
            "portal_timeline_writes_dropped",
            "Timeline observations dropped, by reason",
            labels=["reason"],
        )
        for reason in sorted({*DROP_REASONS, *tallies.dropped}):
            dropped.add_metric([reason], tallies.dropped.get(reason, 0))
        yield dropped
        yield GaugeMetricFamily(
            "portal_timeline_queue_depth",
            "Timeline observations waiting to be written",
            value=self._recorder.queue.qsize(),
        )
