"""Flagger's own Prometheus metrics, as the simulator records them, served at `/metrics`.

Names, types, labels and help texts follow Flagger v1.44.0's `pkg/metrics/recorder.go`
(`NewRecorder("flagger", ...)`): the subsystem `flagger` prefixes every name. Each cluster has
its own recorder (one registry per `ClusterState`), so several clusters in one process never mix.

- `flagger_canary_status{name,namespace}` gauge: 0 Progressing, 2 Failed, 1 any other phase
  (`SetStatus`).
- `flagger_canary_weight{workload,namespace}` gauge: the routed weights, `<target>-primary` and
  `<target>` (`SetWeight`).
- `flagger_canary_metric_analysis{name,namespace,metric}` gauge: the last value each metric
  check measured (`SetAnalysis`, set before the threshold comparison, so a breach shows too).
- `flagger_canary_duration_seconds{name,namespace}` histogram, default buckets: seconds one
  analysis tick took (`SetDuration`).
- `flagger_canary_total{namespace}` gauge: canaries per namespace (`SetTotal`).
- `flagger_info{version,mesh_provider}` gauge set to 1 (`SetInfo`).

Flagger labels `name` with `spec.targetRef.name`, not the Canary's name. The recorder's
successes/failures counters are not simulated (their call sites were not verified).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

FLAGGER_VERSION = "1.44.0"
CONTENT_TYPE = CONTENT_TYPE_LATEST
TOTAL_WEIGHT = 100
STATUS_PROGRESSING = 0
STATUS_DONE = 1
STATUS_FAILED = 2


def status_value(phase: str) -> int:
    """`Recorder.SetStatus`: Progressing 0, Failed 2, everything else 1."""
    if phase == "Progressing":
        return STATUS_PROGRESSING
    if phase == "Failed":
        return STATUS_FAILED
    return STATUS_DONE


class FlaggerMetrics:
    """One cluster's Flagger recorder on a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self._info = Gauge(
            "flagger_info",
            "Flagger version and mesh provider information",
            ["version", "mesh_provider"],
            registry=r,
        )
        self._duration = Histogram(
            "flagger_canary_duration_seconds",
            "Seconds spent performing canary analysis.",
            ["name", "namespace"],
            registry=r,
        )
        self._total = Gauge(
            "flagger_canary_total", "Total number of canary object", ["namespace"], registry=r
        )
        self._status = Gauge(
            "flagger_canary_status",
            "Last canary analysis result",
            ["name", "namespace"],
            registry=r,
        )
        self._weight = Gauge(
            "flagger_canary_weight",
            "The virtual service destination weight current value",
            ["workload", "namespace"],
            registry=r,
        )
        self._analysis = Gauge(
            "flagger_canary_metric_analysis",
            "Last canary analysis result per metric",
            ["name", "namespace", "metric"],
            registry=r,
        )

    def set_info(self, *, mesh_provider: str) -> None:
        self._info.labels(FLAGGER_VERSION, mesh_provider).set(1)

    def set_total(self, counts: dict[str, int]) -> None:
        for namespace, count in counts.items():
            self._total.labels(namespace).set(count)

    def set_status(self, *, target: str, namespace: str, phase: str) -> None:
        self._status.labels(target, namespace).set(status_value(phase))

    def set_weight(self, *, target: str, namespace: str, canary_weight: int) -> None:
        self._weight.labels(f"{target}-primary", namespace).set(TOTAL_WEIGHT - canary_weight)
        self._weight.labels(target, namespace).set(canary_weight)

    def set_analysis(self, *, target: str, namespace: str, metric: str, value: float) -> None:
        self._analysis.labels(target, namespace, metric).set(value)

    def observe_duration(self, *, target: str, namespace: str, seconds: float) -> None:
        self._duration.labels(target, namespace).observe(seconds)

    def exposition(self) -> bytes:
        """The text exposition format Prometheus scrapes."""
        return generate_latest(self.registry)
