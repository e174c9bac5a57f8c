"""What a Deployment's pods and status should be, decided without I/O.

devcluster has no ReplicaSet controller, scheduler or kubelet; this module stands in for all
three at once: pods named `<deployment>-<template hash>-<suffix>`, labelled from the template,
spread over the nodes with fewest pods, Running and Ready at once, and replaced all together
when the template changes.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from devcluster.simulation.hashing import compute_hash, fnv32a


@dataclass(frozen=True)
class PodPlan:
    """Pods to delete (by name) and pods to create (full objects) for one Deployment."""

    delete: tuple[str, ...]
    create: tuple[dict[str, Any], ...]
    kept: int


def template_hash(*, deployment: dict[str, Any]) -> str:
    """The `pod-template-hash` of the Deployment's current template."""
    return compute_hash(obj=deployment["spec"]["template"])


def owned_pods(
    *, deployment: dict[str, Any], pods: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The Deployment's pods: owned by a `<deployment>-<hash>` ReplicaSet reference."""
    name = deployment["metadata"]["name"]
    namespace = deployment["metadata"].get("namespace", "default")
    owned = []
    for pod in pods:
        metadata = pod["metadata"]
        pod_hash = (metadata.get("labels") or {}).get("pod-template-hash")
        owners = [ref.get("name") for ref in metadata.get("ownerReferences") or ()]
        if metadata.get("namespace", "default") == namespace and f"{name}-{pod_hash}" in owners:
            owned.append(pod)
    return owned


def pick_node(*, nodes: Sequence[str], load: Counter[str]) -> str | None:
    """The node with the fewest pods (ties broken by name), or None without nodes."""
    return min(nodes, key=lambda node: (load[node], node)) if nodes else None


def plan_pods(
    *,
    deployment: dict[str, Any],
    pods: Sequence[dict[str, Any]],
    nodes: Sequence[str],
    load: Counter[str],
    suffix: Callable[[], str],
    now: str,
) -> PodPlan:
    """Converge the Deployment's pods on `spec.replicas` of the current template."""
    current_hash = template_hash(deployment=deployment)
    owned = owned_pods(deployment=deployment, pods=pods)
    stale = [p for p in owned if p["metadata"]["labels"]["pod-template-hash"] != current_hash]
    fresh = sorted((p for p in owned if p not in stale), key=lambda p: str(p["metadata"]["name"]))
    wanted = int(deployment["spec"].get("replicas", 1))
    surplus = fresh[wanted:]
    for pod in (*stale, *surplus):
        load[pod.get("spec", {}).get("nodeName", "")] -= 1
    create = []
    for _ in range(max(0, wanted - len(fresh))):
        node = pick_node(nodes=nodes, load=load)
        if node is not None:
            load[node] += 1
        name = f"{deployment['metadata']['name']}-{current_hash}-{suffix()}"
        create.append(
            pod_document(
                deployment=deployment, pod_hash=current_hash, name=name, node=node, now=now
            )
        )
    delete = tuple(p["metadata"]["name"] for p in (*stale, *surplus))
    return PodPlan(delete=delete, create=tuple(create), kept=min(wanted, len(fresh)))


def pod_document(
    *, deployment: dict[str, Any], pod_hash: str, name: str, node: str | None, now: str
) -> dict[str, Any]:
    """A Running, Ready pod of the Deployment's template."""
    template = copy.deepcopy(deployment["spec"]["template"])
    metadata = template.get("metadata") or {}
    spec = template["spec"]
    if node is not None:
        spec["nodeName"] = node
    namespace = deployment["metadata"].get("namespace", "default")
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {**(metadata.get("labels") or {}), "pod-template-hash": pod_hash},
            "annotations": dict(metadata.get("annotations") or {}),
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": f"{deployment['metadata']['name']}-{pod_hash}",
                    "uid": "",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": spec,
        "status": running_status(spec=spec, name=name, now=now),
    }


def running_status(*, spec: dict[str, Any], name: str, now: str) -> dict[str, Any]:
    """The status a kubelet reports for a pod whose containers all started and are ready."""
    address = fnv32a(data=name.encode())
    conditions = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady"]
    return {
        "phase": "Running",
        "conditions": [
            {"type": kind, "status": "True", "lastTransitionTime": now}
            for kind in (*conditions, "PodScheduled")
        ],
        "podIP": f"10.{(address >> 16) & 0xFF}.{(address >> 8) & 0xFF}.{address & 0xFF}",
        "startTime": now,
        "qosClass": "Burstable",
        "containerStatuses": [
            {
                "name": container["name"],
                "image": container.get("image", ""),
                "imageID": "",
                "ready": True,
                "started": True,
                "restartCount": 0,
                "state": {"running": {"startedAt": now}},
            }
            for container in spec.get("containers") or ()
        ],
    }


def deployment_status(*, deployment: dict[str, Any], replicas: int) -> dict[str, Any]:
    """The status a Deployment shows once `replicas` pods of its template are ready.

    Zero counts are left out, as the API server's `omitempty` fields do.
    """
    counts = {
        key: replicas
        for key in ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas")
        if replicas
    }
    name = f"{deployment['metadata']['name']}-{template_hash(deployment=deployment)}"
    return {
        "observedGeneration": deployment["metadata"].get("generation", 1),
        **counts,
        "conditions": [
            {
                "type": "Available",
                "status": "True",
                "reason": "MinimumReplicasAvailable",
                "message": "Deployment has minimum availability.",
            },
            {
                "type": "Progressing",
                "status": "True",
                "reason": "NewReplicaSetAvailable",
                "message": f'ReplicaSet "{name}" has successfully progressed.',
            },
        ],
    }
