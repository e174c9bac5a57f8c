"""The portal's typed view of one autoscaling/v2 HorizontalPodAutoscaler, linked to its canary.

Flagger copies a canary's `autoscalerRef` HPA to `<name>-primary` and leaves the original pointed
at the canary deployment, which sits at zero replicas between runs. The `-primary` HPA is the one
scaling live traffic, so the view marks it `is_primary` and both carry the canary's name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from portal.domain.canaries import CanaryView
from portal.domain.conditions import Condition, build_conditions, condition_is_true
from portal.domain.hpa_metrics import HpaMetric, build_hpa_metrics
from portal.domain.raw_fields import int_at, list_at, mapping_at, str_at, time_at

PRIMARY_SUFFIX = "-primary"
HpaKey = tuple[str, str]
"""(namespace, HPA name)."""


@dataclass(frozen=True, slots=True)
class ScaleTargetRef:
    """The workload an HPA scales."""

    kind: str
    name: str


@dataclass(frozen=True, slots=True)
class HpaView:
    """One HPA as the portal shows it (field names are the JSON API's)."""

    cluster: str
    namespace: str
    name: str
    uid: str
    target: ScaleTargetRef
    min_replicas: int
    max_replicas: int
    current_replicas: int
    desired_replicas: int
    metrics: tuple[HpaMetric, ...]
    conditions: tuple[Condition, ...]
    last_scale_time: datetime | None
    scaling_active: bool
    scaling_limited: bool
    canary: str | None
    is_primary: bool


def build_hpa_view(
    obj: Mapping[str, Any], *, cluster: str, canary_by_hpa: Mapping[HpaKey, str]
) -> HpaView:
    """The view of an HPA object as the Kubernetes API returns it (JSON-decoded)."""
    metadata, spec, status = (mapping_at(obj, key) for key in ("metadata", "spec", "status"))
    namespace, name = str_at(metadata, "namespace", default="default"), str_at(metadata, "name")
    conditions = build_conditions(list_at(status, "conditions"))
    target = mapping_at(spec, "scaleTargetRef")
    return HpaView(
        cluster=cluster,
        namespace=namespace,
        name=name,
        uid=str_at(metadata, "uid"),
        target=ScaleTargetRef(kind=str_at(target, "kind"), name=str_at(target, "name")),
        min_replicas=int_at(spec, "minReplicas", default=1),
        max_replicas=int_at(spec, "maxReplicas"),
        current_replicas=int_at(status, "currentReplicas"),
        desired_replicas=int_at(status, "desiredReplicas"),
        metrics=build_hpa_metrics(list_at(spec, "metrics"), list_at(status, "currentMetrics")),
        conditions=conditions,
        last_scale_time=time_at(status, "lastScaleTime"),
        scaling_active=condition_is_true(conditions, type_="ScalingActive"),
        scaling_limited=condition_is_true(conditions, type_="ScalingLimited"),
        canary=canary_by_hpa.get((namespace, name)),
        is_primary=_is_primary(namespace=namespace, name=name, canary_by_hpa=canary_by_hpa),
    )


def canary_by_hpa(
    canaries: Iterable[CanaryView], *, cluster: str | None = None
) -> dict[HpaKey, str]:
    """Canary names by the HPAs they own: the `autoscalerRef` one and its `-primary` copy.

    Keys carry no cluster: pass one cluster's canaries, or name the `cluster` to keep.
    """
    owned: dict[HpaKey, str] = {}
    for view in canaries:
        if view.autoscaler is None or (cluster is not None and view.cluster != cluster):
            continue
        owned[(view.namespace, view.autoscaler)] = view.name
        owned[(view.namespace, view.autoscaler + PRIMARY_SUFFIX)] = view.name
    return owned


def _is_primary(*, namespace: str, name: str, canary_by_hpa: Mapping[HpaKey, str]) -> bool:
    if not name.endswith(PRIMARY_SUFFIX):
        return False
    owner = canary_by_hpa.get((namespace, name))
    base = name.removesuffix(PRIMARY_SUFFIX)
    return owner is not None and canary_by_hpa.get((namespace, base)) == owner
