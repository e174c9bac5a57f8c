"""A cluster's live burn rate: its nodes at their hourly prices plus the EKS control plane.

Nodes come from the watched Node objects: the instance type from the
`node.kubernetes.io/instance-type` label, spot or on-demand from `eks.amazonaws.com/capacityType`
(managed node groups) or `karpenter.sh/capacity-type`, the region from
`topology.kubernetes.io/region`. On-demand prices are the shipped table; a spot node costs its
latest DescribeSpotPriceHistory price for its instance type and zone when the last refresh read
one, else the on-demand price less the configured discount. The control plane costs USD 0.10 an
hour, USD 0.60 once its Kubernetes version is past EKS standard support (the nodes' kubelet
version stands in for it: EKS keeps kubelets at most a few minors behind, never ahead).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from portal.domain.node_prices import on_demand_price
from portal.domain.quantities import parse_quantity

CapacityType = Literal["on_demand", "spot"]
PriceSource = Literal["on_demand_table", "spot_price_history", "spot_discount", "unpriced"]
SpotSource = Literal["spot_price_history", "spot_discount", "mixed"]
SpotKey = tuple[str, str]
"""(instance type, availability zone)."""
HOURS_PER_MONTH = Decimal(730)
"""AWS's own convention for monthly figures from hourly prices."""
CONTROL_PLANE_USD_PER_HOUR = Decimal("0.10")
EXTENDED_SUPPORT_USD_PER_HOUR = Decimal("0.60")
STANDARD_SUPPORT_ENDS = {
    (1, 27): date(2024, 7, 24),
    (1, 28): date(2024, 11, 26),
    (1, 29): date(2025, 3, 23),
    (1, 30): date(2025, 7, 23),
    (1, 31): date(2025, 11, 26),
    (1, 32): date(2026, 3, 23),
    (1, 33): date(2026, 7, 29),
}
"""End of EKS standard support per minor version (EKS Kubernetes release calendar); versions
not listed are taken to be in standard support."""
_VERSION = re.compile(r"^v?(\d+)\.(\d+)")


@dataclass(frozen=True, slots=True)
class NodeCost:
    name: str
    instance_type: str
    capacity_type: CapacityType
    region: str
    zone: str
    cpu: Decimal
    """Cores of capacity."""
    memory: Decimal
    """Bytes of capacity."""
    usd_per_hour: Decimal | None
    """None when the instance type or region is not in the price table."""
    price_source: PriceSource = "on_demand_table"


@dataclass(frozen=True, slots=True)
class ClusterBurn:
    cluster: str
    nodes: tuple[NodeCost, ...]
    control_plane_usd_per_hour: Decimal
    version: str | None
    extended_support: bool

    @property
    def nodes_usd_per_hour(self) -> Decimal:
        return sum((n.usd_per_hour for n in self.nodes if n.usd_per_hour is not None), Decimal(0))

    @property
    def usd_per_hour(self) -> Decimal:
        return self.nodes_usd_per_hour + self.control_plane_usd_per_hour

    @property
    def month_projection(self) -> Decimal:
        return self.usd_per_hour * HOURS_PER_MONTH

    @property
    def spot_source(self) -> SpotSource | None:
        """Where the spot nodes' prices came from; None without a priced spot node."""
        sources = {
            n.price_source
            for n in self.nodes
            if n.price_source in ("spot_price_history", "spot_discount")
        }
        if sources == {"spot_price_history"}:
            return "spot_price_history"
        if sources == {"spot_discount"}:
            return "spot_discount"
        return "mixed" if sources else None

    @property
    def unpriced(self) -> tuple[str, ...]:
        return tuple(n.name for n in self.nodes if n.usd_per_hour is None)


def _decimal(quantity: object) -> Decimal:
    value = parse_quantity(str(quantity)) if quantity is not None else None
    return Decimal(str(value)) if value is not None else Decimal(0)


def capacity_type(labels: Mapping[str, str]) -> CapacityType:
    found = labels.get("eks.amazonaws.com/capacityType") or labels.get("karpenter.sh/capacity-type")
    return "spot" if (found or "").upper() == "SPOT" else "on_demand"


def node_cost(
    node: Mapping[str, Any],
    *,
    default_region: str,
    spot_discount: Decimal,
    spot_prices: Mapping[SpotKey, Decimal] | None = None,
) -> NodeCost:
    metadata = node.get("metadata") or {}
    labels: Mapping[str, str] = metadata.get("labels") or {}
    capacity = (node.get("status") or {}).get("capacity") or {}
    instance_type = labels.get("node.kubernetes.io/instance-type") or labels.get(
        "beta.kubernetes.io/instance-type", ""
    )
    region = labels.get("topology.kubernetes.io/region") or default_region
    kind = capacity_type(labels)
    zone = labels.get("topology.kubernetes.io/zone", "")
    price = on_demand_price(region=region, instance_type=instance_type)
    source: PriceSource = "on_demand_table"
    spot_price = (spot_prices or {}).get((instance_type, zone)) if kind == "spot" else None
    if spot_price is not None:
        price, source = spot_price, "spot_price_history"
    elif price is not None and kind == "spot":
        price, source = price * (1 - spot_discount), "spot_discount"
    if price is None:
        source = "unpriced"
    return NodeCost(
        name=str(metadata.get("name") or ""),
        instance_type=instance_type or "(unknown)",
        capacity_type=kind,
        region=region,
        zone=zone,
        cpu=_decimal(capacity.get("cpu")),
        memory=_decimal(capacity.get("memory")),
        usd_per_hour=price,
        price_source=source,
    )


def kubelet_version(nodes: Iterable[Mapping[str, Any]]) -> str | None:
    """The oldest kubelet minor among the nodes (`1.29`), or None when none reports one."""
    found = []
    for node in nodes:
        text = ((node.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion") or ""
        match = _VERSION.match(text)
        if match:
            found.append((int(match[1]), int(match[2])))
    if not found:
        return None
    major, minor = min(found)
    return f"{major}.{minor}"


def in_extended_support(version: str | None, *, today: date) -> bool:
    match = _VERSION.match(version or "")
    if match is None:
        return False
    ends = STANDARD_SUPPORT_ENDS.get((int(match[1]), int(match[2])))
    return ends is not None and today > ends


def cluster_burn(
    cluster: str,
    nodes: Iterable[Mapping[str, Any]],
    *,
    default_region: str,
    spot_discount: Decimal,
    today: date,
    spot_prices: Mapping[SpotKey, Decimal] | None = None,
) -> ClusterBurn:
    raw = list(nodes)
    version = kubelet_version(raw)
    extended = in_extended_support(version, today=today)
    return ClusterBurn(
        cluster=cluster,
        nodes=tuple(
            node_cost(
                n,
                default_region=default_region,
                spot_discount=spot_discount,
                spot_prices=spot_prices,
            )
            for n in raw
        ),
        control_plane_usd_per_hour=EXTENDED_SUPPORT_USD_PER_HOUR
        if extended
        else CONTROL_PLANE_USD_PER_HOUR,
        version=version,
        extended_support=extended,
    )
