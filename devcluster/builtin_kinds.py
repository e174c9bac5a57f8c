"""Built-in Kubernetes kinds that infra-fleet reads or writes, declared like the real server.

Core `v1` events and `events.k8s.io/v1` events are one stored object seen through two API
versions, as in a real cluster: the converters below map field names between them.
"""

from __future__ import annotations

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


def builtin_types() -> list[ResourceType]:
    """Every built-in kind devcluster serves."""
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
            printer_columns=printers.LEASE,
        ),
    ]
