"""Server-side table columns for built-in kinds, shaped like the API server's own printers.

`kubectl get pods|deployments|hpa|nodes|events` prints whatever Table the server returns; these
columns reproduce the familiar ones (READY "1/1", REFERENCE "Deployment/web", TARGETS
"cpu: 45%/80%", LAST SEEN...). Cells are computed from the object; dates become ages.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from devcluster.resources import PrinterColumn

NAME_DESCRIPTION = (
    "Name must be unique within a namespace. Is required when creating resources, although "
    "some resources may allow a client to request the generation of an appropriate name "
    "automatically. Name is primarily intended for creation idempotence and configuration "
    "definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
)
NAME = PrinterColumn("Name", "string", ".metadata.name", NAME_DESCRIPTION, format="name")
AGE = PrinterColumn("Age", "string", ".metadata.creationTimestamp", format="age")


def _computed(name: str, key: str, priority: int = 0, kind: str = "string") -> PrinterColumn:
    return PrinterColumn(name, kind, f"computed:{key}", priority=priority)


def age_of(stamp: Any, now: datetime) -> str:
    from devcluster.tables import human_duration

    if not isinstance(stamp, str):
        return "<unknown>"
    try:
        when = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return "<unknown>"
    return human_duration((now - when).total_seconds())


def _pod_ready(obj: dict[str, Any], now: datetime) -> str:
    statuses = obj.get("status", {}).get("containerStatuses") or []
    total = len(obj.get("spec", {}).get("containers") or [])
    return f"{sum(1 for s in statuses if s.get('ready'))}/{total}"


def _pod_status(obj: dict[str, Any], now: datetime) -> str:
    if obj["metadata"].get("deletionTimestamp"):
        return "Terminating"
    status = obj.get("status", {})
    for container in status.get("containerStatuses") or []:
        waiting = (container.get("state") or {}).get("waiting")
        if waiting and waiting.get("reason"):
            return str(waiting["reason"])
    return str(status.get("reason") or status.get("phase") or "Unknown")


def _pod_restarts(obj: dict[str, Any], now: datetime) -> int:
    return sum(
        int(s.get("restartCount", 0)) for s in obj.get("status", {}).get("containerStatuses") or []
    )


def _deploy_ready(obj: dict[str, Any], now: datetime) -> str:
    return (
        f"{obj.get('status', {}).get('readyReplicas', 0)}/{obj.get('spec', {}).get('replicas', 0)}"
    )


def _deploy_updated(obj: dict[str, Any], now: datetime) -> int:
    return int(obj.get("status", {}).get("updatedReplicas", 0))


def _deploy_available(obj: dict[str, Any], now: datetime) -> int:
    return int(obj.get("status", {}).get("availableReplicas", 0))


def _hpa_reference(obj: dict[str, Any], now: datetime) -> str:
    ref = obj.get("spec", {}).get("scaleTargetRef") or {}
    return f"{ref.get('kind', '')}/{ref.get('name', '')}"


def _hpa_targets(obj: dict[str, Any], now: datetime) -> str:
    current = {
        (m.get("resource") or {}).get("name"): (m.get("resource") or {}).get("current") or {}
        for m in obj.get("status", {}).get("currentMetrics") or []
        if m.get("type") == "Resource"
    }
    parts = []
    for metric in obj.get("spec", {}).get("metrics") or []:
        resource = metric.get("resource") or {}
        target = (resource.get("target") or {}).get("averageUtilization")
        if metric.get("type") != "Resource" or target is None:
            parts.append("<unsupported>")
            continue
        value = current.get(resource.get("name"), {}).get("averageUtilization")
        shown = f"{value}%" if value is not None else "<unknown>"
        parts.append(f"{resource.get('name')}: {shown}/{target}%")
    return ", ".join(parts) or "<none>"


def _node_status(obj: dict[str, Any], now: datetime) -> str:
    ready = [c for c in obj.get("status", {}).get("conditions") or [] if c.get("type") == "Ready"]
    status = "Ready" if ready and ready[0].get("status") == "True" else "NotReady"
    return f"{status},SchedulingDisabled" if obj.get("spec", {}).get("unschedulable") else status


def _node_roles(obj: dict[str, Any], now: datetime) -> str:
    prefix = "node-role.kubernetes.io/"
    roles = sorted(
        k[len(prefix) :] for k in obj["metadata"].get("labels") or {} if k.startswith(prefix)
    )
    return ",".join(roles) or "<none>"


def _event_object(obj: dict[str, Any], now: datetime) -> str:
    involved = obj.get("involvedObject") or {}
    return f"{str(involved.get('kind', '')).lower()}/{involved.get('name', '')}"


def _event_last_seen(obj: dict[str, Any], now: datetime) -> str:
    stamp = (
        obj.get("lastTimestamp") or obj.get("eventTime") or obj["metadata"].get("creationTimestamp")
    )
    return age_of(stamp, now)


COMPUTED = {
    "pod-ready": _pod_ready,
    "pod-status": _pod_status,
    "pod-restarts": _pod_restarts,
    "deploy-ready": _deploy_ready,
    "deploy-updated": _deploy_updated,
    "deploy-available": _deploy_available,
    "hpa-reference": _hpa_reference,
    "hpa-targets": _hpa_targets,
    "node-status": _node_status,
    "node-roles": _node_roles,
    "event-object": _event_object,
    "event-last-seen": _event_last_seen,
}

POD = (
    NAME,
    _computed("Ready", "pod-ready"),
    _computed("Status", "pod-status"),
    _computed("Restarts", "pod-restarts", kind="string"),
    AGE,
    PrinterColumn("IP", "string", ".status.podIP", priority=1),
    PrinterColumn("Node", "string", ".spec.nodeName", priority=1),
)
DEPLOYMENT = (
    NAME,
    _computed("Ready", "deploy-ready"),
    _computed("Up-to-date", "deploy-updated", kind="integer"),
    _computed("Available", "deploy-available", kind="integer"),
    AGE,
)
HPA = (
    NAME,
    _computed("Reference", "hpa-reference"),
    _computed("Targets", "hpa-targets"),
    PrinterColumn("MinPods", "string", ".spec.minReplicas"),
    PrinterColumn("MaxPods", "string", ".spec.maxReplicas"),
    PrinterColumn("Replicas", "string", ".status.currentReplicas"),
    AGE,
)
NODE = (
    NAME,
    _computed("Status", "node-status"),
    _computed("Roles", "node-roles"),
    AGE,
    PrinterColumn("Version", "string", ".status.nodeInfo.kubeletVersion"),
)
NAMESPACE = (NAME, PrinterColumn("Status", "string", ".status.phase"), AGE)
EVENT = (
    _computed("Last Seen", "event-last-seen"),
    PrinterColumn("Type", "string", ".type"),
    PrinterColumn("Reason", "string", ".reason"),
    _computed("Object", "event-object"),
    PrinterColumn("Message", "string", ".message"),
    PrinterColumn("Name", "string", ".metadata.name", NAME_DESCRIPTION, priority=1, format="name"),
)
LEASE = (NAME, PrinterColumn("Holder", "string", ".spec.holderIdentity"), AGE)
