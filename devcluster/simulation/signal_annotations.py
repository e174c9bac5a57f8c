"""The annotations devcluster reads as simulated signals (nothing else in a cluster reads them).

A real cluster measures request success and CPU load; devcluster lets a scenario or a test set
them on the objects instead, through the API, so the simulation stays deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping

PREFIX = "devcluster.infra-fleet.io/"
FAILURE_RATE = PREFIX + "failure-rate"
"""On a canary's target Deployment: probability (0..1) that a metric check fails on a tick."""
SUCCESS_RATE = PREFIX + "success-rate"
"""On a canary's target Deployment: the request success rate (percent) a failed check reports."""
METRIC_FAILURE = PREFIX + "metric-failure"
"""On a canary's target Deployment: how a failing check fails: `threshold` (default, a value out
of range), `no-values` (the query returned nothing) or `query-error` (the provider errored)."""
READY = PREFIX + "ready"
"""On a Deployment: "false" keeps its pods unready (a canary then waits, then hits its deadline)."""
PRIMARY_READY = PREFIX + "primary-ready"
"""On a canary's target Deployment: "false" makes the primary's copy of this revision never
ready once Flagger promotes it (the primary gets ready=false): a failed promotion."""
LOAD = PREFIX + "load"
"""On an HPA: the CPU utilisation ratio (0.9 = 90%) the workload shows at minReplicas."""


def read_ratio(*, annotations: Mapping[str, str], key: str, default: float) -> float:
    """A float annotation, or `default` when it is absent or not a number."""
    try:
        return float(annotations[key])
    except (KeyError, ValueError):
        return default


def read_optional(*, annotations: Mapping[str, str], key: str) -> float | None:
    """A float annotation, or None when it is absent or not a number."""
    try:
        return float(annotations[key])
    except (KeyError, ValueError):
        return None
