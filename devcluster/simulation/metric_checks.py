"""Simulated metric analysis: a deterministic pass/fail per tick with Flagger's Halt messages.

There is no Prometheus behind devcluster. A canary's target carries a failure rate; each analysis
tick draws one number from a random generator seeded by the revision, so the same revision fails
on the same ticks in every run, and a failing check names the first metric like Flagger does.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from devcluster.simulation.canary_model import Canary, Metric
from devcluster.simulation.durations import format_duration


@dataclass(frozen=True)
class MetricSignal:
    """What the simulated metrics say on this tick."""

    draw: float
    failure_rate: float = 0.0
    success_rate: float | None = None

    @property
    def failing(self) -> bool:
        return self.draw < self.failure_rate


def revision_rng(*, revision: str) -> random.Random:
    """The generator for one revision's draws (seeded, so runs repeat exactly)."""
    return random.Random(revision)  # noqa: S311 - simulation, not security


def halt_message(*, canary: Canary, signal: MetricSignal) -> str | None:
    """The Warning Flagger would emit for a failed check this tick, or None if checks pass."""
    if not canary.analysis.metrics or not signal.failing:
        return None
    metric = canary.analysis.metrics[0]
    prefix = f"Halt {canary.key} advancement"
    if metric.name == "request-success-rate":
        minimum = metric.minimum if metric.minimum is not None else 99.0
        value = signal.success_rate if signal.success_rate is not None else minimum * 0.9
        return f"{prefix} success rate {value:.2f}% < {minimum:g}%"
    if metric.name == "request-duration":
        maximum_ms = metric.maximum if metric.maximum is not None else 500.0
        observed = format_duration(seconds=maximum_ms * 1.5 / 1000)
        limit = format_duration(seconds=maximum_ms / 1000)
        return f"{prefix} request duration {observed} > {limit}"
    return _custom_metric_message(prefix=prefix, metric=metric)


def _custom_metric_message(*, prefix: str, metric: Metric) -> str:
    if metric.maximum is not None:
        return f"{prefix} {metric.name} {metric.maximum * 1.5:.2f} > {metric.maximum:g}"
    minimum = metric.minimum if metric.minimum is not None else 1.0
    return f"{prefix} {metric.name} {minimum * 0.9:.2f} < {minimum:g}"
