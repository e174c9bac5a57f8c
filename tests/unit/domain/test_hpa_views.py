"""HpaView from autoscaling/v2 HPAs: replicas, metrics per source, conditions, canary linkage."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from portal.domain.canaries import build_canary_view
from portal.domain.conditions import Condition
from portal.domain.hpa_metrics import HpaMetric
from portal.domain.hpas import HpaView, ScaleTargetRef, build_hpa_view, canary_by_hpa
from tests.unit.domain.objects import (
    canary,
    flagger_status,
    healthy_hpa_conditions,
    hpa,
    hpa_condition,
)

LINKS = {("test", "podinfo"): "podinfo", ("test", "podinfo-primary"): "podinfo"}


def view_of(obj: dict[str, Any], links: dict[tuple[str, str], str] | None = None) -> HpaView:
    return build_hpa_view(obj, cluster="prod", canary_by_hpa=LINKS if links is None else links)


def test_replicas_target_and_scale_time_are_read() -> None:
    view = view_of(hpa())
    assert (view.cluster, view.namespace, view.name) == ("prod", "test", "podinfo-primary")
    assert view.target == ScaleTargetRef(kind="Deployment", name="podinfo-primary")
    assert (view.min_replicas, view.max_replicas) == (2, 4)
    assert (view.current_replicas, view.desired_replicas) == (3, 3)
    assert view.last_scale_time == datetime(2026, 11, 25, 9, 12, 44, tzinfo=UTC)
    assert view.uid == "7a1e0c55-93d2-4c1e-8a0b-5f2a6c3d9e11"


def test_min_replicas_defaults_to_one() -> None:
    assert view_of(hpa(min_replicas=None)).min_replicas == 1


def test_cpu_utilization_shows_percent_current_over_target() -> None:
    assert view_of(hpa()).metrics == (
        HpaMetric(
            name="cpu",
            kind="Resource",
            target_type="Utilization",
            current="63%",
            target="80%",
            current_value=63.0,
            target_value=80.0,
            unit="%",
            container=None,
            described_object=None,
        ),
    )


def test_memory_average_value_shows_quantities_and_bytes() -> None:
    spec = {
        "type": "Resource",
        "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "512Mi"}},
    }
    current = {
        "type": "Resource",
        "resource": {"name": "memory", "current": {"averageValue": "301989888"}},
    }
    status = {"currentReplicas": 2, "desiredReplicas": 2, "currentMetrics": [current]}
    (metric,) = view_of(hpa(metrics=[spec], status=status)).metrics
    assert (metric.name, metric.current, metric.target, metric.unit) == (
        "memory",
        "301989888",
        "512Mi",
        "bytes",
    )
    assert (metric.current_value, metric.target_value) == (301989888.0, 536870912.0)


def test_cpu_average_value_is_in_cores() -> None:
    spec = {
        "type": "Resource",
        "resource": {"name": "cpu", "target": {"type": "AverageValue", "averageValue": "500m"}},
    }
    status = {"currentReplicas": 3, "desiredReplicas": 3, "currentMetrics": [CPU_STATUS]}
    (metric,) = view_of(hpa(metrics=[spec], status=status)).metrics
    assert (metric.current, metric.target, metric.unit) == ("315m", "500m", "cores")
    assert (metric.current_value, metric.target_value) == (0.315, 0.5)


CPU_STATUS = {
    "type": "Resource",
    "resource": {"name": "cpu", "current": {"averageValue": "315m", "averageUtilization": 63}},
}


def test_pods_object_external_and_container_metrics_pair_by_identity() -> None:
    specs = [
        {
            "type": "Pods",
            "pods": {
                "metric": {"name": "packets-per-second"},
                "target": {"type": "AverageValue", "averageValue": "1k"},
            },
        },
        {
            "type": "Object",
            "object": {
                "metric": {"name": "requests-per-second"},
                "describedObject": {
                    "apiVersion": "networking.k8s.io/v1",
                    "kind": "Ingress",
                    "name": "main-route",
                },
                "target": {"type": "Value", "value": "10k"},
            },
        },
        {
            "type": "External",
            "external": {
                "metric": {
                    "name": "sqs_messages_visible",
                    "selector": {"matchLabels": {"queue": "jobs"}},
                },
                "target": {"type": "AverageValue", "averageValue": "30"},
            },
        },
        {
            "type": "ContainerResource",
            "containerResource": {
                "name": "cpu",
                "container": "application",
                "target": {"type": "Utilization", "averageUtilization": 60},
            },
        },
    ]
    currents = [
        {
            "type": "ContainerResource",
            "containerResource": {
                "name": "cpu",
                "container": "application",
                "current": {"averageValue": "180m", "averageUtilization": 72},
            },
        },
        {
            "type": "External",
            "external": {
                "metric": {
                    "name": "sqs_messages_visible",
                    "selector": {"matchLabels": {"queue": "jobs"}},
                },
                "current": {"averageValue": "12"},
            },
        },
        {
            "type": "Object",
            "object": {
                "metric": {"name": "requests-per-second"},
                "describedObject": {
                    "apiVersion": "networking.k8s.io/v1",
                    "kind": "Ingress",
                    "name": "main-route",
                },
                "current": {"value": "2500"},
            },
        },
        {
            "type": "Pods",
            "pods": {
                "metric": {"name": "packets-per-second"},
                "current": {"averageValue": "1500m"},
            },
        },
    ]
    status = {"currentReplicas": 3, "desiredReplicas": 4, "currentMetrics": currents}
    metrics = view_of(hpa(metrics=specs, status=status)).metrics
    assert [(m.kind, m.name, m.current, m.target) for m in metrics] == [
        ("Pods", "packets-per-second", "1500m", "1k"),
        ("Object", "requests-per-second", "2500", "10k"),
        ("External", "sqs_messages_visible", "12", "30"),
        ("ContainerResource", "cpu", "72%", "60%"),
    ]
    assert [(m.current_value, m.target_value) for m in metrics] == [
        (1.5, 1000.0),
        (2500.0, 10000.0),
        (12.0, 30.0),
        (72.0, 60.0),
    ]
    assert [m.target_type for m in metrics] == [
        "AverageValue",
        "Value",
        "AverageValue",
        "Utilization",
    ]
    assert [m.unit for m in metrics] == ["", "", "", "%"]
    assert metrics[1].described_object == "Ingress/main-route"
    assert metrics[3].container == "application"


def test_metric_the_controller_could_not_read_is_unknown() -> None:
    status = {
        "currentReplicas": 2,
        "desiredReplicas": 2,
        "currentMetrics": [{"type": ""}],
        "conditions": [
            hpa_condition(
                "ScalingActive",
                "False",
                "FailedGetResourceMetric",
                "the HPA was unable to compute the replica count: failed to get cpu utilization: "
                "unable to get metrics for resource cpu: no metrics returned from resource "
                "metrics API",
            )
        ],
    }
    view = view_of(hpa(status=status))
    (metric,) = view.metrics
    assert (metric.current, metric.current_value, metric.target) == ("<unknown>", None, "80%")
    assert view.scaling_active is False
    assert view.conditions[0].reason == "FailedGetResourceMetric"


def test_hpa_without_metrics_gets_the_default_cpu_target() -> None:
    obj = hpa(metrics=[])
    (metric,) = view_of(obj).metrics
    assert (metric.name, metric.current, metric.target) == ("cpu", "63%", "80%")


def test_conditions_are_typed_and_scaling_not_limited_within_range() -> None:
    view = view_of(hpa())
    assert [(c.type, c.status, c.reason) for c in view.conditions] == [
        ("AbleToScale", "True", "ReadyForNewScale"),
        ("ScalingActive", "True", "ValidMetricFound"),
        ("ScalingLimited", "False", "DesiredWithinRange"),
    ]
    assert view.conditions[2] == Condition(
        type="ScalingLimited",
        status="False",
        reason="DesiredWithinRange",
        message="the desired count is within the acceptable range",
        last_transition_time=datetime(2026, 11, 25, 9, 12, 44, tzinfo=UTC),
    )
    assert (view.scaling_active, view.scaling_limited) == (True, False)


def test_scaling_limited_at_max_replicas() -> None:
    conditions = [
        *healthy_hpa_conditions()[:2],
        hpa_condition(
            "ScalingLimited",
            "True",
            "TooManyReplicas",
            "the desired replica count is more than the maximum replica count",
        ),
    ]
    status = {
        "currentReplicas": 4,
        "desiredReplicas": 4,
        "currentMetrics": [CPU_STATUS],
        "conditions": conditions,
    }
    view = view_of(hpa(status=status))
    assert view.scaling_limited is True
    assert view.conditions[2].message == (
        "the desired replica count is more than the maximum replica count"
    )


def test_hpa_without_status_reads_zero_replicas_and_unknown_metrics() -> None:
    obj = hpa()
    del obj["status"]
    view = view_of(obj)
    assert (view.current_replicas, view.desired_replicas, view.last_scale_time) == (0, 0, None)
    assert view.metrics[0].current == "<unknown>"
    assert (view.conditions, view.scaling_active, view.scaling_limited) == ((), False, False)


def test_primary_hpa_is_the_live_one_of_its_canary() -> None:
    view = view_of(hpa(name="podinfo-primary"))
    assert (view.canary, view.is_primary) == ("podinfo", True)


def test_canary_own_hpa_belongs_to_the_canary_but_is_not_primary() -> None:
    status = {
        "currentReplicas": 0,
        "desiredReplicas": 0,
        "conditions": [
            hpa_condition(
                "AbleToScale",
                "True",
                "SucceededGetScale",
                "the HPA controller was able to get the target's current scale",
            ),
            hpa_condition(
                "ScalingActive",
                "False",
                "ScalingDisabled",
                "scaling is disabled since the replica count of the target is zero",
            ),
        ],
    }
    view = view_of(hpa(name="podinfo", status=status))
    assert (view.canary, view.is_primary) == ("podinfo", False)
    assert (view.current_replicas, view.scaling_active) == (0, False)


def test_hpa_of_no_canary_has_none() -> None:
    view = view_of(hpa(name="worker"))
    assert (view.canary, view.is_primary) == (None, False)


def test_primary_suffix_alone_does_not_make_a_primary() -> None:
    links = {("test", "web-primary"): "web"}
    view = view_of(hpa(name="web-primary"), links)
    assert (view.canary, view.is_primary) == ("web", False)


def test_canary_by_hpa_maps_autoscaler_and_its_primary() -> None:
    now = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    with_hpa = build_canary_view(canary(status=flagger_status("Initialized")), cluster="a", now=now)
    other = canary(name="backend", namespace="shop", status=flagger_status("Initialized"))
    other["spec"]["autoscalerRef"]["name"] = "backend-hpa"
    without = canary(name="batch", status=flagger_status("Initialized"))
    del without["spec"]["autoscalerRef"]
    views = [
        with_hpa,
        build_canary_view(other, cluster="a", now=now),
        build_canary_view(without, cluster="a", now=now),
        build_canary_view(canary(name="elsewhere"), cluster="b", now=now),
    ]
    assert canary_by_hpa(views, cluster="a") == {
        ("test", "podinfo"): "podinfo",
        ("test", "podinfo-primary"): "podinfo",
        ("shop", "backend-hpa"): "backend",
        ("shop", "backend-hpa-primary"): "backend",
    }
    assert len(canary_by_hpa(views)) == 6
