"""The workloads in k8s/apps meet what the cluster enforces on them (Kyverno ClusterPolicies,
Pod Security `restricted`, ResourceQuotas with CPU and memory limits), and the portal's gates
are reachable only as docs/security.md describes."""

from __future__ import annotations

import re

import pytest

from tests.k8s.tree import Obj, built, find, objects

ECR_IMAGE = re.compile(
    r"^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com/[a-z0-9./_-]+:(?!latest$)[\w.-]+$"
)


def _deployments() -> list[Obj]:
    return [o for o in objects(built("apps/staging")) if o["kind"] == "Deployment"]


def _containers(deployment: Obj) -> list[Obj]:
    pod = deployment["spec"]["template"]["spec"]
    containers: list[Obj] = pod.get("initContainers", []) + pod["containers"]
    return containers


@pytest.mark.parametrize("name", ["portal", "load-harness"])
def test_pods_are_restricted_non_root_and_pinned_to_ecr(name: str) -> None:
    (deployment,) = [d for d in _deployments() if d["metadata"]["name"] == name]
    assert deployment["metadata"]["namespace"] == name
    pod = deployment["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    for container in _containers(deployment):
        assert ECR_IMAGE.match(container["image"]), container["image"]
        assert container["securityContext"] == {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
        }
        resources = container["resources"]
        assert set(resources["requests"]) == {"cpu", "memory"}
        assert set(resources["limits"]) == {"cpu", "memory"}  # the quotas cap limits.cpu too


def test_workload_namespaces_enforce_restricted_pod_security() -> None:
    namespaces = [o for o in objects(built("infrastructure/configs")) if o["kind"] == "Namespace"]
    assert {n["metadata"]["name"]: n["metadata"]["labels"] for n in namespaces} == {
        name: {
            "infra-fleet.io/workloads": "true",
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/enforce-version": "v1.32",
            "pod-security.kubernetes.io/warn": "restricted",
            "pod-security.kubernetes.io/audit": "restricted",
        }
        for name in ("portal", "load-harness")
    }


def test_only_flagger_monitoring_and_the_ingress_reach_the_portal_port() -> None:
    items = objects(built("apps/staging"))
    policy = find(items, "NetworkPolicy", "portal")
    admitted = {
        peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]: tuple(
            p["port"] for p in rule["ports"]
        )
        for rule in policy["spec"]["ingress"]
        for peer in rule["from"]
    }
    assert admitted == {
        "ingress-nginx": (4180, 8000),
        "flagger-system": (8000,),
        "monitoring": (8000,),
    }
    ingress = find(items, "Ingress", "portal")
    paths = {
        p["path"]: p["backend"]["service"]["port"]["name"]
        for p in ingress["spec"]["rules"][0]["http"]["paths"]
    }
    assert paths == {"/": "oauth", "/webhooks/github": "http", "/api/": "http"}
