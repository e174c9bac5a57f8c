"""Built-in Kubernetes kinds that infra-fleet reads or writes, declared like the real server.

Core `v1` events and `events.k8s.io/v1` events are one stored object seen through two API
versions, as in a real cluster: the converters below map field names between them.
"""

from __future__ import annotations

import base64
from typing import Any

from devcluster import builtin_printers as printers
from devcluster.resources import ResourceType

_EVENT_V1_RENAMES = {
    "involvedObject": "regarding",
    "message": "note",
    "reportingComponent": "reportingController",
    "count": "deprecatedCount",
    "firstTimestamp": "deprecatedFirstTimestamp",
    "lastTimestamp": "deprecatedLastTimestamp",
    "source": "deprecatedSource",
}


def event_to_events_v1(obj: dict[str, Any]) -> dict[str, Any]:
    """Core v1 Event (storage form) to an events.k8s.io/v1 Event."""
    out = {_EVENT_V1_RENAMES.get(k, k): v for k, v in obj.items()}
    out["apiVersion"] = "events.k8s.io/v1"
    return out


def events_v1_to_event(obj: dict[str, Any]) -> dict[str, Any]:
    """events.k8s.io/v1 Event to the core v1 storage form."""
    back = {v: k for k, v in _EVENT_V1_RENAMES.items()}
    out = {back.get(k, k): v for k, v in obj.items()}
    out["apiVersion"] = "v1"
    return out


def secret_to_storage(obj: dict[str, Any]) -> dict[str, Any]:
    """`stringData` is write-only: the server merges it into `data` (base64) and drops it."""
    out = {**obj, "apiVersion": "v1"}
    plain = out.pop("stringData", None) or {}
    if plain:
        encoded = {k: base64.b64encode(str(v).encode()).decode() for k, v in plain.items()}
        out["data"] = {**(out.get("data") or {}), **encoded}
    return out


_EVENT_FIELDS = (
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
)


def _plain(
    group: str,
    plural: str,
    kind: str,
    *,
    namespaced: bool = True,
    short: tuple[str, ...] = (),
    status: bool = False,
    generation: bool = False,
    workload: bool = False,
    version: str = "v1",
) -> ResourceType:
    """A built-in kind with nothing special beyond its scope, status and generation."""
    return ResourceType(
        group=group,
        version=version,
        plural=plural,
        singular=kind.lower(),
        kind=kind,
        namespaced=namespaced,
        short_names=short,
        categories=("all",) if workload else (),
        status_subresource=status,
        tracks_generation=generation,
        delete_returns_object=True,
    )


def platform_types() -> list[ResourceType]:
    """The kinds a Flux tree of manifests uses besides workloads: config, network, access."""
    rbac = "rbac.authorization.k8s.io"
    return [
        _plain("", "services", "Service", short=("svc",), status=True, workload=True),
        _plain("", "serviceaccounts", "ServiceAccount", short=("sa",)),
        _plain("", "configmaps", "ConfigMap", short=("cm",)),
        ResourceType(
            group="",
            version="v1",
            plural="secrets",
            singular="secret",
            kind="Secret",
            namespaced=True,
            delete_returns_object=True,
            to_storage=secret_to_storage,
        ),
        _plain("", "resourcequotas", "ResourceQuota", short=("quota",), status=True),
        _plain("", "limitranges", "LimitRange", short=("limits",)),
        _plain("batch", "jobs", "Job", status=True, generation=True, workload=True),
        _plain("batch", "cronjobs", "CronJob", short=("cj",), status=True, generation=True),
        _plain(
            "networking.k8s.io",
            "ingresses",
            "Ingress",
            short=("ing",),
            status=True,
            generation=True,
        ),
        _plain("networking.k8s.io", "ingressclasses", "IngressClass", namespaced=False),
        _plain(
            "networking.k8s.io",
            "networkpolicies",
            "NetworkPolicy",
            short=("netpol",),
            generation=True,
        ),
        _plain(
            "policy", "poddisruptionbudgets", "PodDisruptionBudget", short=("pdb",), status=True
        ),
        _plain(rbac, "roles", "Role"),
        _plain(rbac, "rolebindings", "RoleBinding"),
        _plain(rbac, "clusterroles", "ClusterRole", namespaced=False),
        _plain(rbac, "clusterrolebindings", "ClusterRoleBinding", namespaced=False),
    ]


def builtin_types() -> list[ResourceType]:
    """Every built-in kind devcluster serves."""
    return [*_core_types(), *platform_types()]


def _core_types() -> list[ResourceType]:
    """The kinds infra-fleet's portal and simulators read and write."""
    return [
        ResourceType(
            group="",
            version="v1",
            plural="namespaces",
            singular="namespace",
            kind="Namespace",
            namespaced=False,
            short_names=("ns",),
            status_subresource=True,
            delete_returns_object=True,
            field_labels=("status.phase",),
            printer_columns=printers.NAMESPACE,
        ),
        ResourceType(
            group="",
            version="v1",
            plural="nodes",
            singular="node",
            printer_columns=printers.NODE,
            kind="Node",
            namespaced=False,
            short_names=("no",),
            status_subresource=True,
            delete_returns_object=False,
            field_labels=("spec.unschedulable",),
        ),
        ResourceType(
            group="",
            version="v1",
            plural="pods",
            singular="pod",
            kind="Pod",
            namespaced=True,
            short_names=("po",),
            categories=("all",),
            status_subresource=True,
            delete_returns_object=True,
            field_labels=(
                "spec.nodeName",
                "spec.restartPolicy",
                "spec.schedulerName",
                "spec.serviceAccountName",
                "spec.hostNetwork",
                "status.phase",
                "status.podIP",
                "status.nominatedNodeName",
            ),
            printer_columns=printers.POD,
        ),
        ResourceType(
            group="",
            version="v1",
            plural="events",
            singular="event",
            kind="Event",
            namespaced=True,
            short_names=("ev",),
            field_labels=_EVENT_FIELDS,
            storage_key="events",
            printer_columns=printers.EVENT,
        ),
        ResourceType(
            group="events.k8s.io",
            version="v1",
            plural="events",
            singular="event",
            kind="Event",
            namespaced=True,
            short_names=("ev",),
            field_labels=_EVENT_FIELDS,
            field_label_aliases={
                "regarding.kind": "involvedObject.kind",
                "regarding.namespace": "involvedObject.namespace",
                "regarding.name": "involvedObject.name",
                "regarding.uid": "involvedObject.uid",
                "regarding.apiVersion": "involvedObject.apiVersion",
                "regarding.resourceVersion": "involvedObject.resourceVersion",
                "regarding.fieldPath": "involvedObject.fieldPath",
                "reportingController": "reportingComponent",
                "deprecatedSource": "source",
            },
            storage_key="events",
            to_storage=events_v1_to_event,
            from_storage=event_to_events_v1,
        ),
        ResourceType(
            group="apps",
            version="v1",
            plural="deployments",
            singular="deployment",
            kind="Deployment",
            namespaced=True,
            short_names=("deploy",),
            categories=("all",),
            status_subresource=True,
            scale_subresource=True,
            tracks_generation=True,
            printer_columns=printers.DEPLOYMENT,
        ),
        ResourceType(
            group="autoscaling",
            version="v2",
            plural="horizontalpodautoscalers",
            singular="horizontalpodautoscaler",
            kind="HorizontalPodAutoscaler",
            namespaced=True,
            short_names=("hpa",),
            categories=("all",),
            status_subresource=True,
            tracks_generation=True,
            printer_columns=printers.HPA,
        ),
        ResourceType(
            group="coordination.k8s.io",
            version="v1",
            plural="leases",
            singular="lease",
            kind="Lease",
            namespaced=True,
            # pkg/registry/coordination/lease/strategy.go: AllowUnconditionalUpdate() false
            unconditional_update=False,
            printer_columns=printers.LEASE,
        ),
    ]
