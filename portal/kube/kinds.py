"""The resource kinds the portal watches in every cluster, and the REST paths that reach them."""

from __future__ import annotations

from dataclasses import dataclass


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
        base = f"/api/{self.version}" if not self.group else f"/apis/{self.group}/{self.version}"
        if namespace is not None and self.namespaced:
            return f"{base}/namespaces/{namespace}/{self.plural}"
        return f"{base}/{self.plural}"


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
