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
from devcluster.simulation.signal_annotations import READY


@dataclass(frozen=True)
class PodPlan:
    """Pods to delete (by name) and pods to create (full objects) for one Deployment."""

    delete: tuple[str, ...]
    create: tuple[dict[str, Any], ...]
    kept: int
    restatus: tuple[tuple[str, dict[str, Any]], ...] = ()
    """Kept pods whose readiness must change: (name, new status)."""


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
    kept = fresh[:wanted]
    return PodPlan(
        delete=delete,
        create=tuple(create),
        kept=len(kept),
        restatus=_readiness_changes(deployment=deployment, pods=kept, now=now),
    )


def wants_ready(*, deployment: dict[str, Any]) -> bool:
    """False when the Deployment carries the devcluster signal to keep its pods unready."""
    return (deployment["metadata"].get("annotations") or {}).get(READY) != "false"


def is_ready(*, pod: dict[str, Any]) -> bool:
    """Whether the pod reports the Ready condition True."""
    conditions = (pod.get("status") or {}).get("conditions") or ()
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _readiness_changes(
    *, deployment: dict[str, Any], pods: Sequence[dict[str, Any]], now: str
) -> tuple[tuple[str, dict[str, Any]], ...]:
    ready = wants_ready(deployment=deployment)
    return tuple(
        (
            pod["metadata"]["name"],
            running_status(spec=pod["spec"], name=pod["metadata"]["name"], now=now, ready=ready),
        )
        for pod in pods
        if is_ready(pod=pod) != ready
    )


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
        "status": running_status(
            spec=spec, name=name, now=now, ready=wants_ready(deployment=deployment)
        ),
    }


def running_status(
    *, spec: dict[str, Any], name: str, now: str, ready: bool = True
) -> dict[str, Any]:
    """The status a kubelet reports for a running pod whose containers are (or not) ready."""
    address = fnv32a(data=name.encode())
    readiness = "True" if ready else "False"
    conditions = [
        ("PodReadyToStartContainers", "True"),
        ("Initialized", "True"),
        ("Ready", readiness),
        ("ContainersReady", readiness),
        ("PodScheduled", "True"),
    ]
    return {
        "phase": "Running",
        "conditions": [
            {"type": kind, "status": status, "lastTransitionTime": now}
            for kind, status in conditions
        ],
        "podIP": f"10.{(address >> 16) & 0xFF}.{(address >> 8) & 0xFF}.{address & 0xFF}",
        "startTime": now,
        "qosClass": "Burstable",
        "containerStatuses": [
            {
                "name": container["name"],
                "image": container.get("image", ""),
                "imageID": "",
                "ready": ready,
                "started": True,
                "restartCount": 0,
                "state": {"running": {"startedAt": now}},
            }
            for container in spec.get("containers") or ()
        ],
    }


def deployment_status(*, deployment: dict[str, Any], replicas: int) -> dict[str, Any]:
    """The status a Deployment shows with `replicas` pods of its template running.

    Zero counts are left out, as the API server's `omitempty` fields do.
    """
    ready = replicas if wants_ready(deployment=deployment) else 0
    counts = {"replicas": replicas, "updatedReplicas": replicas, "readyReplicas": ready}
    counts |= {"availableReplicas": ready, "unavailableReplicas": replicas - ready}
    name = f"{deployment['metadata']['name']}-{template_hash(deployment=deployment)}"
    return {
        "observedGeneration": deployment["metadata"].get("generation", 1),
        **{key: value for key, value in counts.items() if value},
        "conditions": [
            _available_condition(available=ready == replicas),
            {
                "type": "Progressing",
                "status": "True",
                "reason": "NewReplicaSetAvailable",
                "message": f'ReplicaSet "{name}" has successfully progressed.',
            },
        ],
    }


def _available_condition(*, available: bool) -> dict[str, str]:
    if available:
        return {
            "type": "Available",
            "status": "True",
            "reason": "MinimumReplicasAvailable",
            "message": "Deployment has minimum availability.",
        }
    return {
        "type": "Available",
        "status": "False",
        "reason": "MinimumReplicasUnavailable",
        "message": "Deployment does not have minimum availability.",
    }
