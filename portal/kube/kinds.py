"""The resource kinds the portal watches in every cluster, and the REST paths that reach them."""

from __future__ import annotations

from dataclasses import dataclass

from portal.domain.kube_names import dns1123_label, dns1123_subdomain, path_segment


@dataclass(frozen=True, slots=True)
class Kind:
    """One watched resource kind: where it lives in the API and how to narrow it."""

    key: str
    group: str
    version: str
    plural: str
    namespaced: bool = True
    field_selector: str | None = None

    def path(self, namespace: str | None = None) -> str:
        """The collection's path (in `namespace` when given); the namespace is checked as a
        DNS-1123 label and quoted, so it can never add or climb a path segment."""
        base = f"/api/{self.version}" if not self.group else f"/apis/{self.group}/{self.version}"
        if namespace is not None and self.namespaced:
            segment = path_segment(dns1123_label(namespace))
            return f"{base}/namespaces/{segment}/{self.plural}"
        return f"{base}/{self.plural}"

    def object_path(self, namespace: str, name: str) -> str:
        """One object's path: the name is checked as a DNS-1123 subdomain and quoted."""
        segment = path_segment(dns1123_subdomain(name, what=f"{self.plural} name"))
        return f"{self.path(namespace)}/{segment}"


CANARIES = Kind("canaries", "flagger.app", "v1beta1", "canaries")
HPAS = Kind("hpas", "autoscaling", "v2", "horizontalpodautoscalers")
CANARY_EVENTS = Kind(
    "canary-events", "", "v1", "events", field_selector="involvedObject.kind=Canary"
)
HPA_EVENTS = Kind(
    "hpa-events", "", "v1", "events", field_selector="involvedObject.kind=HorizontalPodAutoscaler"
)
DEPLOYMENTS = Kind("deployments", "apps", "v1", "deployments")
NODES = Kind("nodes", "", "v1", "nodes", namespaced=False)
PODS = Kind("pods", "", "v1", "pods")

ALL_KINDS: tuple[Kind, ...] = (CANARIES, HPAS, CANARY_EVENTS, HPA_EVENTS, DEPLOYMENTS, NODES, PODS)
KINDS_BY_KEY = {kind.key: kind for kind in ALL_KINDS}
