"""Real-shaped Canary and HPA objects, as the Kubernetes API returns them (JSON-decoded).

Shapes follow Flagger v1.44 (`flagger.app/v1beta1`, status written by its controller: one
`Promoted` condition whose reason is the phase) and `autoscaling/v2` HPAs written by the
kube-controller-manager. Builders take only what a test varies; everything else is the podinfo
canary of Flagger's own nginx tutorial, wired to the portal's gates.
"""

from __future__ import annotations

import copy
from typing import Any

PORTAL = "http://infra-fleet-portal.infra-fleet.svc.cluster.local"
REVISION = "5b6c7d9f8d"
PROMOTED = "6f7d8c5b9b"
TRANSITION = "2026-11-25T10:00:00Z"

_CONDITION_MESSAGES = {
    "Initializing": "New Deployment detected, starting initialization.",
    "Initialized": "Deployment initialization completed.",
    "Waiting": "Waiting for approval.",
    "Progressing": "New revision detected, progressing canary analysis.",
    "WaitingPromotion": "Waiting for approval.",
    "Promoting": "Canary analysis completed, starting primary rolling update.",
    "Finalising": "Canary analysis completed, routing all traffic to primary.",
    "Succeeded": "Canary analysis completed successfully, promotion finished.",
    "Failed": "Canary analysis failed, Deployment scaled to zero.",
}
_CONDITION_STATUS = {"Initialized": "True", "Succeeded": "True", "Failed": "False"}


def portal_webhooks() -> list[dict[str, Any]]:
    """The portal's gates and event hook, as a canary manifest wires them (with a shared token)."""
    token = {"token": "s3cr3t-flagger-token"}
    return [
        {
            "name": "portal-confirm-rollout",
            "type": "confirm-rollout",
            "url": f"{PORTAL}/flagger/gates/confirm-rollout",
            "metadata": token,
        },
        {
            "name": "portal-confirm-promotion",
            "type": "confirm-promotion",
            "url": f"{PORTAL}/flagger/gates/confirm-promotion",
            "metadata": token,
        },
        {
            "name": "portal-rollback",
            "type": "rollback",
            "url": f"{PORTAL}/flagger/gates/rollback",
            "timeout": "5s",
            "metadata": token,
        },
        {"name": "portal-events", "type": "event", "url": f"{PORTAL}/flagger/events"},
        {
            "name": "load-test",
            "url": "http://flagger-loadtester.test/",
            "timeout": "5s",
            "metadata": {"cmd": "hey -z 1m -q 10 -c 2 http://podinfo-canary.test:9898/"},
        },
    ]


def canary_analysis(**overrides: Any) -> dict[str, Any]:
    """Flagger's tutorial analysis: 1m interval, threshold 5, 10% steps up to 50%."""
    analysis: dict[str, Any] = {
        "interval": "1m",
        "threshold": 5,
        "maxWeight": 50,
        "stepWeight": 10,
        "metrics": [
            {
                "name": "request-success-rate",
                "thresholdRange": {"min": 99},
                "interval": "1m",
            },
            {
                "name": "request-duration",
                "thresholdRange": {"max": 500},
                "interval": "30s",
            },
        ],
        "webhooks": portal_webhooks(),
    }
    analysis.update(overrides)
    return {key: value for key, value in analysis.items() if value is not None}


def blue_green_analysis(**overrides: Any) -> dict[str, Any]:
    """Blue/Green: 10 iterations of 1m, no traffic weights."""
    analysis = canary_analysis(iterations=10, maxWeight=None, stepWeight=None)
    analysis.update(overrides)
    return analysis


def ab_testing_analysis(**overrides: Any) -> dict[str, Any]:
    """A/B: 10 iterations routing requests with the insider header or cookie to the canary."""
    match = [
        {"headers": {"x-canary": {"exact": "insider"}}},
        {"headers": {"cookie": {"regex": "^(.*?;)?(canary=always)(;.*)?$"}}},
    ]
    analysis = blue_green_analysis(match=match)
    analysis.update(overrides)
    return analysis


def flagger_status(
    phase: str,
    *,
    canary_weight: int = 0,
    iterations: int = 0,
    failed_checks: int = 0,
    last_applied_spec: str = REVISION,
    last_promoted_spec: str = PROMOTED,
    last_transition_time: str = TRANSITION,
) -> dict[str, Any]:
    """The status Flagger writes in `phase` (condition as its MakeStatusConditions words it)."""
    return {
        "phase": phase,
        "failedChecks": failed_checks,
        "canaryWeight": canary_weight,
        "iterations": iterations,
        "lastAppliedSpec": last_applied_spec,
        "lastPromotedSpec": last_promoted_spec,
        "lastTransitionTime": last_transition_time,
        "trackedConfigs": {"configmap/podinfo-config": "5d8b6c7f4c"},
        "conditions": [
            {
                "type": "Promoted",
                "status": _CONDITION_STATUS.get(phase, "Unknown"),
                "reason": phase,
                "message": _CONDITION_MESSAGES[phase],
                "lastUpdateTime": last_transition_time,
                "lastTransitionTime": "2026-11-25T09:30:00Z",
            }
        ],
    }


def canary(
    *,
    status: dict[str, Any] | None = None,
    analysis: dict[str, Any] | None = None,
    name: str = "podinfo",
    namespace: str = "test",
    **spec_overrides: Any,
) -> dict[str, Any]:
    """A Canary object; `status=None` is one Flagger has not reconciled yet (no status key)."""
    obj: dict[str, Any] = {
        "apiVersion": "flagger.app/v1beta1",
        "kind": "Canary",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": "0f3c9f7e-4c1b-4d7e-9a43-1c2b3d4e5f60",
            "resourceVersion": "482913",
            "generation": 3,
            "creationTimestamp": "2026-11-20T08:00:00Z",
            "labels": {"kustomize.toolkit.fluxcd.io/name": "apps"},
        },
        "spec": {
            "provider": "nginx",
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "ingressRef": {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "name": name},
            "autoscalerRef": {
                "apiVersion": "autoscaling/v2",
                "kind": "HorizontalPodAutoscaler",
                "name": name,
            },
            "progressDeadlineSeconds": 60,
            "service": {"port": 80, "targetPort": 9898},
            "analysis": analysis if analysis is not None else canary_analysis(),
        },
    }
    obj["spec"].update(spec_overrides)
    if status is not None:
        obj["status"] = copy.deepcopy(status)
    return obj


CPU_METRIC_SPEC = {
    "type": "Resource",
    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
}
CPU_METRIC_STATUS = {
    "type": "Resource",
    "resource": {"name": "cpu", "current": {"averageValue": "315m", "averageUtilization": 63}},
}


def hpa_condition(kind: str, status: str, reason: str, message: str) -> dict[str, Any]:
    """One HPA condition as kube-controller-manager writes it."""
    return {
        "type": kind,
        "status": status,
        "lastTransitionTime": "2026-11-25T09:12:44Z",
        "reason": reason,
        "message": message,
    }


def healthy_hpa_conditions() -> list[dict[str, Any]]:
    """The conditions of an HPA that computed a size within range from its cpu metric."""
    return [
        hpa_condition(
            "AbleToScale", "True", "ReadyForNewScale", "recommended size matches current size"
        ),
        hpa_condition(
            "ScalingActive",
            "True",
            "ValidMetricFound",
            "the HPA was able to successfully calculate a replica count from cpu resource "
            "utilization (percentage of request)",
        ),
        hpa_condition(
            "ScalingLimited",
            "False",
            "DesiredWithinRange",
            "the desired count is within the acceptable range",
        ),
    ]


def hpa(
    *,
    name: str = "podinfo-primary",
    namespace: str = "test",
    min_replicas: int | None = 2,
    max_replicas: int = 4,
    metrics: list[dict[str, Any]] | None = None,
    status: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An autoscaling/v2 HPA scaling the Deployment named like it (Flagger's primary copy)."""
    spec: dict[str, Any] = {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
        "maxReplicas": max_replicas,
        "metrics": metrics if metrics is not None else [CPU_METRIC_SPEC],
    }
    if min_replicas is not None:
        spec["minReplicas"] = min_replicas
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "uid": "7a1e0c55-93d2-4c1e-8a0b-5f2a6c3d9e11",
            "resourceVersion": "482977",
            "creationTimestamp": "2026-11-20T08:01:02Z",
        },
        "spec": spec,
        "status": status
        if status is not None
        else {
            "lastScaleTime": "2026-11-25T09:12:44Z",
            "currentReplicas": 3,
            "desiredReplicas": 3,
            "currentMetrics": [CPU_METRIC_STATUS],
            "conditions": healthy_hpa_conditions(),
        },
    }
