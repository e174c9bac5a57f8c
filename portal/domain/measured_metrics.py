"""The metric values Flagger measured, read back from its failed-check events.

Flagger keeps no metric value in the Canary's status; a failed check's Warning says what it
measured against which threshold (`Halt <c>.<ns> advancement success rate 87.50% < 99%`,
scheduler_metrics.go:157-347 at v1.44.0). The last such event of each metric in a run is what
an operator needs next to the threshold when a run is failing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from portal.domain.flagger_event_kinds import EventKind, HaltReason
from portal.domain.flagger_events import classify_flagger_event


@dataclass(frozen=True, slots=True)
class MeasuredMetric:
    """A metric's last out-of-range measurement in a run (threshold unit: %, ms, raw)."""

    metric: str
    value: float
    threshold: float
    comparison: str
    """`<` (below the minimum) or `>` (above the maximum), as Flagger's message says."""
    at: datetime
    message: str


def measured_metrics(events: Iterable[tuple[datetime, str]]) -> tuple[MeasuredMetric, ...]:
    """The latest failed measurement of each metric among `(at, message)` events, by name."""
    latest: dict[str, MeasuredMetric] = {}
    for at, message in sorted(events, key=lambda event: event[0]):
        event = classify_flagger_event(message)
        if event.kind is not EventKind.HALT or event.halt_reason is not HaltReason.METRIC_FAILED:
            continue
        if event.metric is None or event.metric_value is None or event.metric_limit is None:
            continue
        latest[event.metric] = MeasuredMetric(
            metric=event.metric,
            value=event.metric_value,
            threshold=event.metric_limit,
            comparison=event.comparison or "",
            at=at,
            message=event.message,
        )
    return tuple(latest[name] for name in sorted(latest))
