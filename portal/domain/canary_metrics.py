"""The metric checks a Canary's analysis runs, with their thresholds as Flagger applies them.

Flagger has no measured values in status (only in Warning events and Prometheus), so the view
carries what a check is compared against; a caller pairs it with the last measured value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from portal.domain.durations import parse_go_duration
from portal.domain.raw_fields import mapping_at, optional_float_at, str_at

SUCCESS_RATE = "request-success-rate"
DURATION = "request-duration"


@dataclass(frozen=True, slots=True)
class TemplateRef:
    """A MetricTemplate reference; `namespace` defaults to the Canary's own."""

    namespace: str
    name: str


@dataclass(frozen=True, slots=True)
class MetricView:
    """One `analysis.metrics[]` entry; `interval_seconds` is None when the spec leaves it out."""

    name: str
    interval_seconds: float | None
    threshold_min: float | None
    threshold_max: float | None
    template_ref: TemplateRef | None


def build_metrics(raw: Sequence[Any], *, namespace: str) -> tuple[MetricView, ...]:
    """The metrics of `analysis.metrics`, skipping entries that are not objects."""
    return tuple(
        build_metric(entry, namespace=namespace) for entry in raw if isinstance(entry, Mapping)
    )


def build_metric(entry: Mapping[str, Any], *, namespace: str) -> MetricView:
    """One metric check; the deprecated `threshold` applies when `thresholdRange` is absent."""
    name = str_at(entry, "name")
    low, high = _threshold_range(entry, name=name)
    interval = str_at(entry, "interval")
    return MetricView(
        name=name,
        interval_seconds=parse_go_duration(interval) if interval else None,
        threshold_min=low,
        threshold_max=high,
        template_ref=_template_ref(entry, namespace=namespace),
    )


def _threshold_range(entry: Mapping[str, Any], *, name: str) -> tuple[float | None, float | None]:
    bounds = entry.get("thresholdRange")
    if isinstance(bounds, Mapping):
        return optional_float_at(bounds, "min"), optional_float_at(bounds, "max")
    legacy = optional_float_at(entry, "threshold")
    if legacy is None:
        return None, None
    return (legacy, None) if name == SUCCESS_RATE else (None, legacy)


def _template_ref(entry: Mapping[str, Any], *, namespace: str) -> TemplateRef | None:
    ref = mapping_at(entry, "templateRef")
    name = str_at(ref, "name")
    if not name:
        return None
    return TemplateRef(namespace=str_at(ref, "namespace", default=namespace), name=name)
