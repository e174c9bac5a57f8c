"""Spot prices from DescribeSpotPriceHistory: which (instance type, zone) pairs the watched spot
nodes need, and the latest Linux/UNIX price for each pair in an answer's records.

AWS records a price per instance type, availability zone and product description whenever it
changes; the price in force is the newest record. "Linux/UNIX (Amazon VPC)" is the same Linux
price (EC2-Classic accounts saw both names); Windows, SUSE and RHEL records are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from portal.domain.burn_rates import SpotKey, capacity_type

LINUX_PRODUCTS = frozenset({"Linux/UNIX", "Linux/UNIX (Amazon VPC)"})


def spot_targets(nodes: Iterable[Mapping[str, Any]], *, region: str) -> set[SpotKey]:
    """(instance type, zone) of every spot node whose zone lies in `region`."""
    found: set[SpotKey] = set()
    for node in nodes:
        labels: Mapping[str, str] = (node.get("metadata") or {}).get("labels") or {}
        instance_type = labels.get("node.kubernetes.io/instance-type") or labels.get(
            "beta.kubernetes.io/instance-type", ""
        )
        zone = labels.get("topology.kubernetes.io/zone", "")
        if capacity_type(labels) == "spot" and instance_type and zone.startswith(region):
            found.add((instance_type, zone))
    return found


def latest_spot_prices(
    records: Iterable[Mapping[str, Any]], *, wanted: set[SpotKey]
) -> dict[SpotKey, Decimal]:
    """The newest Linux/UNIX price per wanted (type, zone); records for other pairs, other
    products or without a readable price are skipped."""
    newest: dict[SpotKey, tuple[datetime, Decimal]] = {}
    for record in records:
        key = (str(record.get("InstanceType") or ""), str(record.get("AvailabilityZone") or ""))
        when = record.get("Timestamp")
        if key not in wanted or record.get("ProductDescription") not in LINUX_PRODUCTS:
            continue
        if not isinstance(when, datetime):
            continue
        try:
            price = Decimal(str(record.get("SpotPrice")))
        except InvalidOperation:
            continue
        if not price.is_finite() or price < 0:
            continue
        if key not in newest or when > newest[key][0]:
            newest[key] = (when, price)
    return {key: price for key, (_, price) in sorted(newest.items())}
