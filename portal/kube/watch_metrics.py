"""Prometheus view of the watches: synced, connected, last sync time and restarts per kind.

A collector reads the ClusterView at scrape time, so nothing is updated twice and nothing is
registered globally.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from portal.kube.view import ClusterView

LABELS = ["cluster", "kind", "scope"]


class WatchCollector(Collector):
    def __init__(self, view: ClusterView) -> None:
        self.view = view

    def collect(self) -> Iterator[Metric]:
        listed = GaugeMetricFamily(
            "portal_watch_synced", "1 once the first list of this watch is done", labels=LABELS
        )
        connected = GaugeMetricFamily(
            "portal_watch_connected", "1 while the watch stream is healthy", labels=LABELS
        )
        last_sync = GaugeMetricFamily(
            "portal_watch_last_sync_timestamp_seconds",
            "Unix time the watched copy was last known current",
            labels=LABELS,
        )
        restarts = CounterMetricFamily(
            "portal_watch_restarts", "Relists after the first one (errors, 410 Gone)", labels=LABELS
        )
        for state in self.view.watches():
            labels = [state.cluster, state.kind, state.scope or "*"]
            listed.add_metric(labels, 1.0 if state.listed else 0.0)
            connected.add_metric(labels, 1.0 if state.connected else 0.0)
            if state.last_sync is not None:
                last_sync.add_metric(labels, state.last_sync.timestamp())
            restarts.add_metric(labels, float(state.restarts))
        yield from (listed, connected, last_sync, restarts)
