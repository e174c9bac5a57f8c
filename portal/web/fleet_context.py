"""What every fleet page needs besides its own data: the clusters' health for the banners."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from portal.domain.canaries import CanaryView
from portal.domain.hpas import HpaView
from portal.services import fleet
from portal.services.fleet import ClusterView


@dataclass(frozen=True, slots=True)
class HpaSummary:
    count: int
    current: int
    desired: int
    at_max: list[str]
    limited: int


def summarise_hpas(hpas: list[HpaView]) -> HpaSummary:
    live = [h for h in hpas if not (h.canary and not h.is_primary)]
    return HpaSummary(
        count=len(live),
        current=sum(h.current_replicas for h in live),
        desired=sum(h.desired_replicas for h in live),
        at_max=[f"{h.namespace}/{h.name}" for h in live if h.current_replicas >= h.max_replicas],
        limited=sum(1 for h in live if h.scaling_limited),
    )


def base_context(view: ClusterView, *, active: str) -> dict[str, Any]:
    return {"active": active, "clusters": fleet.fleet_status(view), "oob": False}


def overview_context(
    view: ClusterView, *, canaries: list[CanaryView], hpas: list[HpaView]
) -> dict[str, Any]:
    return {
        **base_context(view, active="overview"),
        "attention": [c for c in canaries if c.needs_attention],
        "in_flight": [c for c in canaries if c.progressing],
        "canary_count": len(canaries),
        "hpa_summary": summarise_hpas(hpas),
    }
