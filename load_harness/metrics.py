"""The Prometheus series Flagger's analysis and the HPA dashboards read, on a per-app registry.

Status codes are exact (`200`, `429`, `500`, never `2xx`) so a success-rate query can tell an
injected 500 from a capacity 429. `route` is the route template (`/api/v1/jobs/{job_id}`), never
the raw path, so cardinality stays bounded. Buckets bracket 500 ms closely so a p99 <= 500 ms rule
is judged on bucket edges at 375, 500 and 750 ms instead of being interpolated across a wide gap.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.375, 0.5, 0.75, 1.0, 2.5, 5.0)
JOB_KINDS = ("cpu", "memory")


@dataclass(frozen=True, kw_only=True)
class HarnessMetrics:
    """Every collector of one app, all registered on `registry`."""

    registry: CollectorRegistry
    requests: Counter
    request_duration: Histogram
    active_jobs: Gauge
    cpu_seconds: Counter
    memory_held: Gauge
    chaos_error_rate: Gauge
    chaos_latency: Gauge
    build_info: Gauge


def create_metrics(*, version: str, pod: str, namespace: str) -> HarnessMetrics:
    """Build a fresh registry and its collectors (one per app, so tests can build many apps)."""
    registry = CollectorRegistry(auto_describe=True)
    metrics = HarnessMetrics(
        registry=registry,
        requests=Counter(
            "http_requests",
            "HTTP requests by method, route template and exact status code.",
            ["method", "route", "status"],
            registry=registry,
        ),
        request_duration=Histogram(
            "http_request_duration_seconds",
            "HTTP request duration by method and route template, injected latency included.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        ),
        active_jobs=Gauge(
            "load_harness_active_jobs",
            "Load jobs running now, by kind.",
            ["kind"],
            registry=registry,
        ),
        cpu_seconds=Counter(
            "load_harness_cpu_burned_seconds",
            "CPU seconds burned by CPU-load worker processes.",
            registry=registry,
        ),
        memory_held=Gauge(
            "load_harness_memory_held_bytes",
            "Bytes allocated and touched by running memory jobs.",
            registry=registry,
        ),
        chaos_error_rate=Gauge(
            "load_harness_chaos_error_ratio",
            "Share of traffic-path requests answered with an injected 500.",
            registry=registry,
        ),
        chaos_latency=Gauge(
            "load_harness_chaos_latency_seconds",
            "Latency added to every traffic-path request (before jitter).",
            registry=registry,
        ),
        build_info=Gauge(
            "load_harness_build_info",
            "Always 1; labels say which version runs in which pod.",
            ["version", "pod", "namespace"],
            registry=registry,
        ),
    )
    for kind in JOB_KINDS:
        metrics.active_jobs.labels(kind=kind).set(0)
    metrics.build_info.labels(version=version, pod=pod, namespace=namespace).set(1)
    return metrics
