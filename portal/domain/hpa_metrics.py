"""HPA metrics as `current / target` pairs, the way `kubectl get hpa` shows them, plus numbers.

autoscaling/v2 keeps targets in `spec.metrics` and measurements in `status.currentMetrics`, one
shape per source (Resource, ContainerResource, Pods, Object, External). The controller writes an
empty entry (`type: ""`) for a metric it could not read; such a metric shows `<unknown>`.
An HPA without metrics gets the API server's default: cpu at 80% utilization.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from portal.domain.quantities import parse_quantity
from portal.domain.raw_fields import mapping_at, optional_int_at, optional_str_at, str_at

UNKNOWN = "<unknown>"
DEFAULT_METRICS: tuple[Mapping[str, Any], ...] = (
    {
        "type": "Resource",
        "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
    },
)
_SOURCE_FIELDS = {
    "Resource": "resource",
    "ContainerResource": "containerResource",
    "Pods": "pods",
    "Object": "object",
    "External": "external",
}
_RESOURCE_UNITS = {"cpu": "cores", "memory": "bytes", "ephemeral-storage": "bytes"}

MetricKey = tuple[str, str, str | None, str | None]
"""(kind, metric name, container, described object): how a target finds its measurement."""


@dataclass(frozen=True, slots=True)
class HpaMetric:
    """One metric an HPA scales on; values are percent for Utilization, else quantities."""

    name: str
    kind: str
    target_type: str
    current: str
    target: str
    current_value: float | None
    target_value: float | None
    unit: str
    container: str | None
    described_object: str | None


def build_hpa_metrics(
    spec_metrics: Sequence[Any], current_metrics: Sequence[Any]
) -> tuple[HpaMetric, ...]:
    """Each spec metric paired with its measurement from `status.currentMetrics`."""
    specs = [m for m in spec_metrics if isinstance(m, Mapping)] or list(DEFAULT_METRICS)
    measured = {
        metric_key(m): _source(m) for m in current_metrics if isinstance(m, Mapping) and _source(m)
    }
    return tuple(_build_metric(spec, measured=measured) for spec in specs)


def metric_key(metric: Mapping[str, Any]) -> MetricKey:
    """The identity of a spec or status metric entry."""
    kind, source = str_at(metric, "type"), _source(metric)
    if kind in ("Resource", "ContainerResource"):
        return kind, str_at(source, "name"), optional_str_at(source, "container"), None
    name = str_at(mapping_at(source, "metric"), "name")
    return kind, name, None, _described_object(source)


def _build_metric(
    spec: Mapping[str, Any], *, measured: Mapping[MetricKey, Mapping[str, Any]]
) -> HpaMetric:
    key = metric_key(spec)
    kind, name, container, described = key
    target = mapping_at(_source(spec), "target")
    target_type = str_at(target, "type")
    current = mapping_at(measured.get(key, {}), "current")
    current_text, current_value = _reading(
        current, target_type=target_type, present=key in measured
    )
    target_text, target_value = _reading(target, target_type=target_type, present=True)
    return HpaMetric(
        name=name,
        kind=kind,
        target_type=target_type,
        current=current_text,
        target=target_text,
        current_value=current_value,
        target_value=target_value,
        unit=_unit(kind=kind, name=name, target_type=target_type),
        container=container,
        described_object=described,
    )


def _reading(
    values: Mapping[str, Any], *, target_type: str, present: bool
) -> tuple[str, float | None]:
    if not present:
        return UNKNOWN, None
    if target_type == "Utilization":
        percent = optional_int_at(values, "averageUtilization")
        return (UNKNOWN, None) if percent is None else (f"{percent}%", float(percent))
    field = "value" if target_type == "Value" else "averageValue"
    text = str_at(values, field) or str_at(values, "averageValue") or str_at(values, "value")
    return (text, parse_quantity(text)) if text else (UNKNOWN, None)


def _unit(*, kind: str, name: str, target_type: str) -> str:
    if target_type == "Utilization":
        return "%"
    if kind in ("Resource", "ContainerResource"):
        return _RESOURCE_UNITS.get(name, "")
    return ""


def _source(metric: Mapping[str, Any]) -> Mapping[str, Any]:
    return mapping_at(metric, _SOURCE_FIELDS.get(str_at(metric, "type"), ""))


def _described_object(source: Mapping[str, Any]) -> str | None:
    described = mapping_at(source, "describedObject")
    name = str_at(described, "name")
    return f"{str_at(described, 'kind')}/{name}" if name else None
