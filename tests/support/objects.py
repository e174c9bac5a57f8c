"""Minimal, valid Kubernetes objects for integration tests against devcluster."""

from __future__ import annotations

from typing import Any


def namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def deployment(
    name: str, ns: str, *, image: str = "ghcr.io/infra-fleet/web:1.0.0"
) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "containers": [
                        {
                            "name": name,
                            "image": image,
                            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
                        }
                    ]
                },
            },
        },
    }


def canary(
    name: str, ns: str, *, gate_base_url: str | None = None, interval: str = "10s"
) -> dict[str, Any]:
    webhooks = []
    if gate_base_url:
        webhooks = [
            {
                "name": "rollback",
                "type": "rollback",
                "url": f"{gate_base_url}/flagger/gates/rollback",
            },
            {
                "name": "confirm-promotion",
                "type": "confirm-promotion",
                "url": f"{gate_base_url}/flagger/gates/confirm-promotion",
            },
        ]
    return {
        "apiVersion": "flagger.app/v1beta1",
        "kind": "Canary",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": name},
            "service": {"port": 80},
            "analysis": {
                "interval": interval,
                "threshold": 3,
                "maxWeight": 50,
                "stepWeight": 10,
                "metrics": [
                    {
                        "name": "request-success-rate",
                        "interval": "1m",
                        "thresholdRange": {"min": 99},
                    }
                ],
                "webhooks": webhooks,
            },
        },
    }


def hpa(name: str, ns: str, *, target: str, minimum: int = 2, maximum: int = 10) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
            "minReplicas": minimum,
            "maxReplicas": maximum,
            "metrics": [
                {
                    "type": "Resource",
                    "resource": {
                        "name": "cpu",
                        "target": {"type": "Utilization", "averageUtilization": 70},
                    },
                }
            ],
        },
    }


def progressing_canary(name: str, ns: str) -> dict[str, Any]:
    """A canary in the middle of a run (weight 10), as the status Flagger writes."""
    made = canary(name, ns)
    made["status"] = {
        "phase": "Progressing",
        "canaryWeight": 10,
        "failedChecks": 0,
        "iterations": 0,
        "lastAppliedSpec": "5f8c7d6b9",
        "lastTransitionTime": "2026-12-02T10:00:00Z",
    }
    return made
