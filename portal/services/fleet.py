"""Read the fleet: canaries and HPAs as typed views, straight from the ClusterView.

Nothing here calls the Kubernetes API; every answer comes from the watched copy, so page views
cost no API calls however many there are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from portal.domain.canaries import CanaryView, Workloads, build_canary_view
from portal.domain.hpas import HpaView, build_hpa_view, canary_by_hpa
from portal.errors import NotFound
from portal.kube.view import Change, ClusterStatus, ClusterView, RawObject

__all__ = ["Change", "ClusterStatus", "ClusterView", "RawObject"]
"""The watch's types the web and API layers name, reached through this service (they never
import portal.kube themselves)."""


class UnknownCluster(NotFound):
    """The request names a cluster the portal does not watch."""


class CanaryNotFound(NotFound):
    """No such canary in the watched copy of the cluster."""


class HpaNotFound(NotFound):
    """No such HorizontalPodAutoscaler in the watched copy of the cluster."""


@dataclass(frozen=True, slots=True)
class CanaryQuery:
    """Filters of the canary list; None means no filter."""

    cluster: str | None = None
    namespace: str | None = None
    attention: bool | None = None
    search: str | None = None

    def matches(self, canary: CanaryView) -> bool:
        return (
            (self.cluster is None or canary.cluster == self.cluster)
            and (self.namespace is None or canary.namespace == self.namespace)
            and (self.attention is None or canary.needs_attention == self.attention)
            and (not self.search or _search_hit(canary, self.search))
        )


def _search_hit(canary: CanaryView, text: str) -> bool:
    needle = text.strip().lower()
    haystack = (canary.cluster, canary.namespace, canary.name, canary.target.name, canary.phase)
    return any(needle in item.lower() for item in haystack)


def require_cluster(view: ClusterView, cluster: str | None) -> None:
    if cluster is not None and cluster not in view.clusters:
        known = ", ".join(view.clusters) or "none"
        raise UnknownCluster(f"unknown cluster {cluster!r} (watched clusters: {known})")


def canary_view(view: ClusterView, obj: RawObject, *, cluster: str, now: datetime) -> CanaryView:
    """The view of one watched Canary with its cluster's mesh provider and its Deployments."""
    spec, metadata = obj.get("spec") or {}, obj.get("metadata") or {}
    target = str((spec.get("targetRef") or {}).get("name") or "")
    namespace = str(metadata.get("namespace") or "default")
    workloads = Workloads(
        target=view.get("deployments", cluster=cluster, namespace=namespace, name=target),
        primary=view.get(
            "deployments", cluster=cluster, namespace=namespace, name=f"{target}-primary"
        ),
    )
    return build_canary_view(
        obj,
        cluster=cluster,
        now=now,
        mesh_provider=view.mesh_provider(cluster),
        workloads=workloads,
    )


def all_canaries(
    view: ClusterView, *, now: datetime, cluster: str | None = None
) -> list[CanaryView]:
    return [
        canary_view(view, obj, cluster=name, now=now)
        for name, obj in view.objects("canaries", cluster=cluster)
    ]


def list_canaries(view: ClusterView, *, query: CanaryQuery, now: datetime) -> list[CanaryView]:
    """The canaries that match, ordered by cluster, namespace and name."""
    require_cluster(view, query.cluster)
    return [c for c in all_canaries(view, now=now, cluster=query.cluster) if query.matches(c)]


def get_canary(
    view: ClusterView, *, cluster: str, namespace: str, name: str, now: datetime
) -> CanaryView:
    require_cluster(view, cluster)
    obj = view.get("canaries", cluster=cluster, namespace=namespace, name=name)
    if obj is None:
        raise CanaryNotFound(f"canary {namespace}/{name} not found in cluster {cluster}")
    return canary_view(view, obj, cluster=cluster, now=now)


def attention_first(canaries: Iterable[CanaryView]) -> list[CanaryView]:
    """Canaries needing attention first, then those in flight, then the rest."""
    return sorted(canaries, key=lambda c: (not c.needs_attention, not c.progressing))


def list_hpas(
    view: ClusterView,
    *,
    now: datetime,
    cluster: str | None = None,
    namespace: str | None = None,
) -> list[HpaView]:
    require_cluster(view, cluster)
    canaries = all_canaries(view, now=now, cluster=cluster)
    owners = {name: canary_by_hpa(canaries, cluster=name) for name in view.clusters}
    return [
        build_hpa_view(obj, cluster=name, canary_by_hpa=owners[name])
        for name, obj in view.objects("hpas", cluster=cluster)
        if namespace is None or obj["metadata"].get("namespace") == namespace
    ]


def get_hpa(
    view: ClusterView, *, cluster: str, namespace: str, name: str, now: datetime
) -> HpaView:
    require_cluster(view, cluster)
    obj = view.get("hpas", cluster=cluster, namespace=namespace, name=name)
    if obj is None:
        raise HpaNotFound(f"HPA {namespace}/{name} not found in cluster {cluster}")
    owners = canary_by_hpa(all_canaries(view, now=now, cluster=cluster))
    return build_hpa_view(obj, cluster=cluster, canary_by_hpa=owners)


def target_image(view: ClusterView, canary: CanaryView) -> str | None:
    """The image of the canary's target Deployment (its first container), when watched."""
    if canary.target.kind != "Deployment":
        return None
    obj = view.get(
        "deployments", cluster=canary.cluster, namespace=canary.namespace, name=canary.target.name
    )
    containers = ((((obj or {}).get("spec") or {}).get("template") or {}).get("spec") or {}).get(
        "containers"
    ) or []
    return str(containers[0].get("image")) if containers else None


def fleet_status(view: ClusterView) -> list[ClusterStatus]:
    return [view.cluster_status(cluster) for cluster in view.clusters]
