"""Simulated metric analysis: a deterministic pass/fail per tick with Flagger's exact messages.

There is no Prometheus behind devcluster. A canary's target carries a failure rate; each analysis
tick draws one number from a random generator seeded by the revision, so the same revision fails
on the same ticks in every run. A failing check names the first metric with the message Flagger
v1.44 records for it (pkg/controller/scheduler_metrics.go: builtin success rate and duration
checks, MetricTemplate checks; out of range, no values found, or the query failing): every one
of them counts as one failed check.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum

from devcluster.simulation.canary_model import Canary, Metric
from devcluster.simulation.durations import format_duration

NO_VALUES_ERROR = "no values found"
"""`providers.ErrNoValuesFound`'s text, which Flagger appends to some messages."""
QUERY_ERROR = (
    'running query failed: request failed: Post "http://prometheus.istio-system:9090/api/v1/query":'
    " dial tcp 10.96.0.10:9090: connect: connection refused"
)
"""A provider error as a Prometheus that cannot be reached yields it."""
DEFAULT_PROVIDER = "kubernetes"


class FailureMode(StrEnum):
    """How a failing check fails (the target's `metric-failure` annotation)."""

    THRESHOLD = "threshold"
    NO_VALUES = "no-values"
    QUERY_ERROR = "query-error"


@dataclass(frozen=True)
class MetricSignal:
    """What the simulated metrics say on this tick."""

    draw: float
    failure_rate: float = 0.0
    success_rate: float | None = None
    mode: FailureMode = FailureMode.THRESHOLD

    @property
    def failing(self) -> bool:
        return self.draw < self.failure_rate


def failure_mode(text: str | None) -> FailureMode:
    """The mode an annotation names; anything else is a value out of range."""
    try:
        return FailureMode(text or FailureMode.THRESHOLD)
    except ValueError:
        return FailureMode.THRESHOLD


def revision_rng(*, revision: str) -> random.Random:
    """The generator for one revision's draws (seeded, so runs repeat exactly)."""
    return random.Random(revision)  # noqa: S311 - simulation, not security


def halt_message(*, canary: Canary, signal: MetricSignal) -> str | None:
    """The Warning Flagger would emit for a failed check this tick, or None if checks pass."""
    if not canary.analysis.metrics or not signal.failing:
        return None
    metric = canary.analysis.metrics[0]
    if signal.mode is FailureMode.NO_VALUES:
        return _no_values_message(canary=canary, metric=metric)
    if signal.mode is FailureMode.QUERY_ERROR:
        if metric.template:
            return f"Metric query failed for {metric.name}: {QUERY_ERROR}"
        return f"Prometheus query failed: {QUERY_ERROR}"
    return _out_of_range_message(canary=canary, metric=metric, signal=signal)


def _no_values_message(*, canary: Canary, metric: Metric) -> str:
    if metric.template:
        return (
            f"Halt advancement no values found for custom metric: {metric.name}: {NO_VALUES_ERROR}"
        )
    provider = canary.provider or DEFAULT_PROVIDER
    message = (
        f"Halt advancement no values found for {provider} metric {metric.name} "
        f"probably {canary.target_key} is not receiving traffic"
    )
    # Flagger appends the error to the success-rate message only (scheduler_metrics.go).
    return f"{message}: {NO_VALUES_ERROR}" if metric.name == "request-success-rate" else message


def _out_of_range_message(*, canary: Canary, metric: Metric, signal: MetricSignal) -> str:
    prefix = f"Halt {canary.key} advancement"
    value = breach_value(metric, signal)
    if metric.name == "request-success-rate":
        if metric.minimum is None and metric.maximum is not None:
            return f"{prefix} success rate {value:.2f}% > {metric.maximum:g}%"
        return f"{prefix} success rate {value:.2f}% < {_success_minimum(metric):g}%"
    if metric.name == "request-duration":
        observed = format_duration(seconds=value / 1000)
        if metric.maximum is None and metric.minimum is not None:
            return f"{prefix} request duration {observed} < " + format_duration(
                seconds=metric.minimum / 1000
            )
        return f"{prefix} request duration {observed} > " + format_duration(
            seconds=_duration_maximum(metric) / 1000
        )
    if metric.maximum is not None:
        return f"{prefix} {metric.name} {value:.2f} > {metric.maximum:g}"
    return f"{prefix} {metric.name} {value:.2f} < {_custom_minimum(metric):g}"


def _success_minimum(metric: Metric) -> float:
    return metric.minimum if metric.minimum is not None else 99.0


def _duration_maximum(metric: Metric) -> float:
    return metric.maximum if metric.maximum is not None else 500.0


def _custom_minimum(metric: Metric) -> float:
    return metric.minimum if metric.minimum is not None else 1.0


def breach_value(metric: Metric, signal: MetricSignal) -> float:
    """The value a failing check measured: outside the metric's range (request-duration in ms,
    as Flagger's builtin check compares milliseconds)."""
    if metric.name == "request-success-rate":
        if metric.minimum is None and metric.maximum is not None:
            return signal.success_rate if signal.success_rate is not None else metric.maximum + 0.5
        minimum = _success_minimum(metric)
        return signal.success_rate if signal.success_rate is not None else minimum * 0.9
    if metric.name == "request-duration":
        if metric.maximum is None and metric.minimum is not None:
            return metric.minimum * 0.5
        return _duration_maximum(metric) * 1.5
    if metric.maximum is not None:
        return metric.maximum * 1.5
    return _custom_minimum(metric) * 0.9


def passing_value(metric: Metric, *, spread: float) -> float:
    """A value inside the metric's range; `spread` in [0, 1) places it (deterministically)."""
    low, high = metric.minimum, metric.maximum
    if low is not None and high is not None:
        return low + (high - low) * (0.2 + 0.6 * spread)
    if low is not None:
        ceiling = 100.0 if metric.name == "request-success-rate" and low < 100 else None
        if ceiling is not None:
            return low + (ceiling - low) * (0.3 + 0.6 * spread)
        return low + max(abs(low), 1.0) * (0.05 + 0.5 * spread)
    if high is not None:
        return high * (0.3 + 0.5 * spread) if high > 0 else high - (0.05 + 0.5 * spread)
    return 0.0


def measured_values(*, canary: Canary, signal: MetricSignal) -> dict[str, float]:
    """What this tick's metric checks measured, by metric name, as Flagger records them with
    `SetAnalysis` (scheduler_metrics.go): checks run in order and stop at the first failure,
    whose value is recorded before the threshold comparison; a query that failed or found no
    values records nothing."""
    values: dict[str, float] = {}
    for index, metric in enumerate(canary.analysis.metrics):
        if index == 0 and signal.failing:
            if signal.mode is FailureMode.THRESHOLD:
                values[metric.name] = round(breach_value(metric, signal), 4)
            return values
        spread = (signal.draw * 7919.0 + index * 0.37) % 1.0
        values[metric.name] = round(passing_value(metric, spread=spread), 4)
    return values
