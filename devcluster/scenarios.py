"""The object sets devcluster can start with: `empty` (nothing), `demo` (a small EKS fleet) and
the multi-cluster demo's `prod-eu`, `prod-us` and `staging` (devcluster/fleet_scenarios.py).

`demo` is what `make run` shows: three team namespaces, canaries in every Flagger strategy
(stepWeight, stepWeights, Blue/Green, A/B), target Deployments with resource requests, HPAs for
some, and EKS-labelled nodes. Two services open with a release that goes wrong the way incidents
do: `payments/ledger`'s promotion fails (primary never ready, all traffic left on the canary)
and `search/query-api`'s canary never gets ready (rolled back at its progress deadline).
When the portal's base URL is given, every canary's gates and
event webhook point at it, so releases wait on operators exactly as in production.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

SCENARIOS = ("empty", "demo", "prod-eu", "prod-us", "staging")
IMAGE_REPOSITORY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
INITIAL_VERSION = "1.4.0"


@dataclass(frozen=True)
class DemoService:
    """One released service of the demo: its canary shape and workload size."""

    namespace: str
    name: str
    analysis: dict[str, Any]
    replicas: int = 2
    cpu: str = "250m"
    memory: str = "256Mi"
    hpa: tuple[int, int] | None = None
    initial_load: float = 0.5
    opening: str = ""
    """The release the demo starts with at once: "" (none), "primary-breaks" (a failed
    promotion: the primary's copy never gets ready) or "never-ready" (the canary's pods never get
    ready, so it fails at its progress deadline)."""
    progress_deadline_seconds: int = 600


@dataclass(frozen=True)
class DemoNode:
    """One EKS worker node of the demo."""

    name: str
    instance_type: str
    capacity_type: str
    zone: str
    cpu: int
    memory_gi: int


_METRICS = [
    {"name": "request-success-rate", "interval": "1m", "thresholdRange": {"min": 99}},
    {"name": "request-duration", "interval": "1m", "thresholdRange": {"max": 500}},
]

DEMO_SERVICES = (
    DemoService(
        "shop",
        "frontend",
        {"interval": "30s", "threshold": 3, "maxWeight": 50, "stepWeight": 10},
        replicas=3,
        hpa=(2, 10),
        initial_load=0.6,
    ),
    DemoService(
        "shop",
        "cart",
        {"interval": "30s", "threshold": 2, "stepWeights": [5, 10, 25, 50, 80]},
        hpa=(2, 8),
        initial_load=0.4,
    ),
    DemoService(
        "payments",
        "checkout",
        {"interval": "1m", "threshold": 2, "iterations": 5},
        replicas=3,
        cpu="500m",
        memory="512Mi",
        hpa=(3, 12),
        initial_load=0.7,
    ),
    DemoService(
        "payments",
        "ledger",
        {"interval": "1m", "threshold": 5, "maxWeight": 60, "stepWeight": 20},
        cpu="500m",
        memory="1Gi",
        opening="primary-breaks",
        progress_deadline_seconds=120,
    ),
    DemoService(
        "search",
        "indexer",
        {
            "interval": "30s",
            "threshold": 3,
            "iterations": 6,
            "match": [{"headers": {"x-canary": {"exact": "insider"}}}],
        },
        cpu="1",
        memory="2Gi",
    ),
    DemoService(
        "search",
        "query-api",
        {"interval": "30s", "threshold": 3, "maxWeight": 30, "stepWeight": 5},
        replicas=4,
        hpa=(4, 16),
        initial_load=0.55,
        opening="never-ready",
        progress_deadline_seconds=120,
    ),
)

DEMO_NODES = (
    DemoNode(
        "ip-10-0-1-23.eu-west-1.compute.internal", "m5.xlarge", "ON_DEMAND", "eu-west-1a", 4, 16
    ),
    DemoNode(
        "ip-10-0-2-41.eu-west-1.compute.internal", "m5.xlarge", "ON_DEMAND", "eu-west-1b", 4, 16
    ),
    DemoNode(
        "ip-10-0-3-17.eu-west-1.compute.internal", "m6i.large", "ON_DEMAND", "eu-west-1c", 2, 8
    ),
    DemoNode("ip-10-0-1-88.eu-west-1.compute.internal", "t3.large", "SPOT", "eu-west-1a", 2, 8),
    DemoNode("ip-10-0-2-95.eu-west-1.compute.internal", "m6i.large", "SPOT", "eu-west-1b", 2, 8),
    DemoNode("ip-10-0-3-64.eu-west-1.compute.internal", "c6i.xlarge", "SPOT", "eu-west-1c", 4, 8),
)


def scenario_objects(
    *, scenario: str, gate_base_url: str | None, gate_token: str | None
) -> list[dict[str, Any]]:
    """Every object the scenario seeds, namespaces first, in creation order (`demo` and the
    fleet's clusters are profiles in `fleet_scenarios`)."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}")
    if scenario == "empty":
        return []
    from devcluster.fleet_scenarios import profile_objects

    return profile_objects(scenario=scenario, gate_base_url=gate_base_url, gate_token=gate_token)


def namespace_object(*, name: str) -> dict[str, Any]:
    """A team namespace."""
    labels = {"kubernetes.io/metadata.name": name, "infra-fleet.io/team": name}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def node_object(*, node: DemoNode) -> dict[str, Any]:
    """An EKS managed-node-group worker with the labels cost views group by."""
    capacity = {"cpu": str(node.cpu), "memory": f"{node.memory_gi}Gi", "pods": "29"}
    allocatable = {
        "cpu": f"{node.cpu * 1000 - 70 * node.cpu}m",
        "memory": f"{node.memory_gi * 1024 - 700}Mi",
        "pods": "29",
    }
    labels = {
        "kubernetes.io/hostname": node.name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "node.kubernetes.io/instance-type": node.instance_type,
        "eks.amazonaws.com/capacityType": node.capacity_type,
        "eks.amazonaws.com/nodegroup": f"{node.capacity_type.lower().replace('_', '-')}-workers",
        "topology.kubernetes.io/zone": node.zone,
        "topology.kubernetes.io/region": node.zone[:-1],
    }
    ready = {
        "type": "Ready",
        "status": "True",
        "reason": "KubeletReady",
        "message": "kubelet is posting ready status",
    }
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": node.name, "labels": labels},
        "spec": {
            "providerID": f"aws:///{node.zone}/i-0{zlib.crc32(node.name.encode()):08x}{len(node.name):08x}"
        },
        "status": {"capacity": capacity, "allocatable": allocatable, "conditions": [ready]},
    }


def image_for(*, name: str, version: str) -> str:
    """The container image of a demo service at `version`."""
    return f"{IMAGE_REPOSITORY}/{name}:{version}"


def container_for(*, service: DemoService, version: str) -> dict[str, Any]:
    """The single container of a demo service's pod template."""
    return {
        "name": service.name,
        "image": image_for(name=service.name, version=version),
        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
        "resources": {
            "requests": {"cpu": service.cpu, "memory": service.memory},
            "limits": {"memory": service.memory},
        },
    }


def deployment_object(*, service: DemoService, version: str) -> dict[str, Any]:
    """The canary's target Deployment."""
    labels = {"app": service.name, "app.kubernetes.io/part-of": "infra-fleet-demo"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": service.name, "namespace": service.namespace, "labels": labels},
        "spec": {
            "replicas": service.replicas,
            "selector": {"matchLabels": {"app": service.name}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [container_for(service=service, version=version)]},
            },
        },
    }


def hpa_object(*, service: DemoService) -> dict[str, Any]:
    """The service's HPA (CPU 70%), with a faster scale-down than the default."""
    minimum, maximum = service.hpa or (1, 1)
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {
            "name": service.name,
            "namespace": service.namespace,
            "annotations": {"devcluster.infra-fleet.io/load": f"{service.initial_load:.2f}"},
        },
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": service.name},
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
            "behavior": {
                "scaleDown": {
                    "stabilizationWindowSeconds": 120,
                    "policies": [{"type": "Percent", "value": 50, "periodSeconds": 60}],
                }
            },
        },
    }


def gate_webhooks(
    *, base_url: str, token: str | None, with_traffic_gate: bool
) -> list[dict[str, Any]]:
    """The portal's gates and event webhook, as a canary declares them."""
    base = base_url.rstrip("/")
    metadata = {"token": token} if token else {}
    kinds = ["confirm-rollout", "confirm-promotion", "rollback"]
    if with_traffic_gate:
        kinds.insert(1, "confirm-traffic-increase")
    hooks: list[dict[str, Any]] = [
        {"name": f"portal-{kind}", "type": kind, "url": f"{base}/flagger/gates/{kind}"}
        for kind in kinds
    ]
    hooks.append({"name": "portal-events", "type": "event", "url": f"{base}/flagger/events"})
    for hook in hooks:
        hook |= {"timeout": "10s", "retries": 2}
        if metadata:
            hook["metadata"] = dict(metadata)
    return hooks


def canary_object(
    *, service: DemoService, gate_base_url: str | None, gate_token: str | None
) -> dict[str, Any]:
    """The service's Canary (flagger.app/v1beta1), valid against Flagger's CRD schema."""
    analysis: dict[str, Any] = {**service.analysis, "metrics": _METRICS}
    if gate_base_url:
        analysis["webhooks"] = gate_webhooks(
            base_url=gate_base_url,
            token=gate_token,
            with_traffic_gate="iterations" not in service.analysis,
        )
    spec: dict[str, Any] = {
        "provider": "istio",
        "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": service.name},
        "progressDeadlineSeconds": service.progress_deadline_seconds,
        "service": {"port": 80, "targetPort": 8080},
        "analysis": analysis,
    }
    if service.hpa is not None:
        spec["autoscalerRef"] = {
            "apiVersion": "autoscaling/v2",
            "kind": "HorizontalPodAutoscaler",
            "name": service.name,
        }
    return {
        "apiVersion": "flagger.app/v1beta1",
        "kind": "Canary",
        "metadata": {"name": service.name, "namespace": service.namespace},
        "spec": spec,
    }
