"""Who in a cluster burns its nodes' cost: an OpenCost-style estimate per namespace.

Each pod claims max(request, usage) of CPU and memory on its node (requests alone while the
portal has no usage metrics). A node's hourly price is split 9:1 between its CPU and its memory
(AWS split cost allocation's weighting); a pod pays its fraction of each. When claims exceed a
node's capacity they are scaled down to it. What no pod claims is the `idle` row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from portal.domain.burn_rates import NodeCost
from portal.domain.quantities import parse_quantity

CPU_WEIGHT = Decimal("0.9")
MEMORY_WEIGHT = Decimal("0.1")
IDLE = "idle"
_FINISHED = {"Succeeded", "Failed"}


@dataclass(frozen=True, slots=True)
class PodClaim:
    namespace: str
    node: str
    cpu: Decimal
    memory: Decimal


@dataclass(frozen=True, slots=True)
class NamespaceCost:
    namespace: str
    usd_per_hour: Decimal
    share: Decimal
    """Fraction of the priced nodes' cost, 0..1."""
    idle: bool = False


def _amount(value: object) -> Decimal:
    parsed = parse_quantity(str(value)) if value is not None else None
    return Decimal(str(parsed)) if parsed is not None else Decimal(0)


def _requests(containers: Iterable[Mapping[str, Any]], resource: str) -> list[Decimal]:
    return [
        _amount(((c.get("resources") or {}).get("requests") or {}).get(resource))
        for c in containers
    ]


def pod_claim(pod: Mapping[str, Any]) -> PodClaim | None:
    """What a scheduled, unfinished pod claims: its containers' requests summed, or its largest
    init container's when that is more (Kubernetes' effective request). None for pods that
    hold nothing on a node."""
    spec = pod.get("spec") or {}
    node = spec.get("nodeName")
    if not node or (pod.get("status") or {}).get("phase") in _FINISHED:
        return None
    containers = spec.get("containers") or []
    inits = spec.get("initContainers") or []
    claims = []
    for resource in ("cpu", "memory"):
        running = sum(_requests(containers, resource), Decimal(0))
        claims.append(max([running, *_requests(inits, resource)]))
    return PodClaim(
        namespace=str((pod.get("metadata") or {}).get("namespace") or ""),
        node=str(node),
        cpu=claims[0],
        memory=claims[1],
    )


def _fraction(claimed: Decimal, total_claimed: Decimal, capacity: Decimal) -> Decimal:
    """The share of a resource's capacity one claim pays for (claims past capacity scaled)."""
    if capacity <= 0 or claimed <= 0:
        return Decimal(0)
    return claimed / max(capacity, total_claimed)


def allocate(nodes: Iterable[NodeCost], claims: Iterable[PodClaim]) -> list[NamespaceCost]:
    """Namespaces by cost, dearest first (ties by name), then the idle row."""
    by_node: dict[str, list[PodClaim]] = {}
    for claim in claims:
        by_node.setdefault(claim.node, []).append(claim)
    costs: dict[str, Decimal] = {}
    total = idle = Decimal(0)
    for node in nodes:
        if node.usd_per_hour is None:
            continue
        total += node.usd_per_hour
        on_node = by_node.get(node.name, [])
        cpu_claimed = sum((c.cpu for c in on_node), Decimal(0))
        memory_claimed = sum((c.memory for c in on_node), Decimal(0))
        spent = Decimal(0)
        for claim in on_node:
            cost = node.usd_per_hour * (
                CPU_WEIGHT * _fraction(claim.cpu, cpu_claimed, node.cpu)
                + MEMORY_WEIGHT * _fraction(claim.memory, memory_claimed, node.memory)
            )
            costs[claim.namespace] = costs.get(claim.namespace, Decimal(0)) + cost
            spent += cost
        idle += node.usd_per_hour - spent
    if total == 0:
        return []
    rows = [
        NamespaceCost(namespace=ns, usd_per_hour=cost, share=cost / total)
        for ns, cost in sorted(costs.items(), key=lambda item: (-item[1], item[0]))
    ]
    rows.append(NamespaceCost(namespace=IDLE, usd_per_hour=idle, share=idle / total, idle=True))
    return rows
