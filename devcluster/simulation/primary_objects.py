"""The `-primary` Deployment and HPA Flagger derives from a canary's target, as pure builders.

Flagger serves production traffic from `<target>-primary`, whose selector label gets a
`-primary` suffix so the two workloads' pods never mix, and promotes a revision by copying the
target's pod template onto it.
"""

from __future__ import annotations

import copy
from typing import Any

SELECTOR_LABELS = ("app", "name", "app.kubernetes.io/name")
DROPPED_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)


def selector_label(*, target: dict[str, Any]) -> str:
    """The label Flagger re-points at the primary (first of app, name, app.kubernetes.io/name)."""
    match_labels = target["spec"].get("selector", {}).get("matchLabels", {})
    return next((label for label in SELECTOR_LABELS if label in match_labels), "app")


def primary_template(*, target: dict[str, Any]) -> dict[str, Any]:
    """The target's pod template with the selector label pointing at the primary."""
    label = selector_label(target=target)
    template: dict[str, Any] = copy.deepcopy(target["spec"]["template"])
    labels = template.setdefault("metadata", {}).setdefault("labels", {})
    labels[label] = f"{labels.get(label, target['metadata']['name'])}-primary"
    return template


def owner_reference(*, canary: dict[str, Any]) -> dict[str, Any]:
    """The controller reference Flagger puts on the objects it creates for a canary."""
    return {
        "apiVersion": canary["apiVersion"],
        "kind": canary["kind"],
        "name": canary["metadata"]["name"],
        "uid": canary["metadata"].get("uid", ""),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _copied_metadata(
    *, source: dict[str, Any], name: str, canary: dict[str, Any]
) -> dict[str, Any]:
    metadata = source["metadata"]
    annotations = {
        key: value
        for key, value in (metadata.get("annotations") or {}).items()
        if key not in DROPPED_ANNOTATIONS
    }
    return {
        "name": name,
        "namespace": metadata.get("namespace", "default"),
        "labels": dict(metadata.get("labels") or {}),
        "annotations": annotations,
        "ownerReferences": [owner_reference(canary=canary)],
    }


def primary_deployment(*, target: dict[str, Any], canary: dict[str, Any]) -> dict[str, Any]:
    """The `<target>-primary` Deployment Flagger creates when it initialises a canary."""
    name = f"{target['metadata']['name']}-primary"
    label = selector_label(target=target)
    template = primary_template(target=target)
    metadata = _copied_metadata(source=target, name=name, canary=canary)
    metadata["labels"][label] = name
    spec = {
        key: copy.deepcopy(value)
        for key, value in target["spec"].items()
        if key not in ("template", "selector", "replicas")
    }
    spec |= {
        "replicas": int(target["spec"].get("replicas", 1)) or 1,
        "selector": {"matchLabels": {label: template["metadata"]["labels"][label]}},
        "template": template,
    }
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata, "spec": spec}


def primary_hpa(
    *, hpa: dict[str, Any], primary_name: str, canary: dict[str, Any]
) -> dict[str, Any]:
    """The `<hpa>-primary` HPA, scaling the primary Deployment instead of the target."""
    name = f"{hpa['metadata']['name']}-primary"
    spec = copy.deepcopy(hpa["spec"])
    spec["scaleTargetRef"] = {**spec["scaleTargetRef"], "name": primary_name}
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": _copied_metadata(source=hpa, name=name, canary=canary),
        "spec": spec,
    }


def promotion_patch(*, target: dict[str, Any]) -> dict[str, Any]:
    """The merge-patch that copies the target's template onto the primary."""
    return {"spec": {"template": primary_template(target=target)}}
