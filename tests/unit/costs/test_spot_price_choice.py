"""Which spot price a node gets: the newest Linux/UNIX DescribeSpotPriceHistory record for its
instance type and zone, else the on-demand table price less the configured discount."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from portal.domain.burn_rates import cluster_burn
from portal.domain.spot_prices import latest_spot_prices, spot_targets


def at(hour: int) -> datetime:
    return datetime(2026, 12, 2, hour, tzinfo=UTC)


def record(instance_type: str, zone: str, price: str, hour: int,
           product: str = "Linux/UNIX") -> dict[str, Any]:  # fmt: skip
    return {
        "InstanceType": instance_type,
        "AvailabilityZone": zone,
        "ProductDescription": product,
        "SpotPrice": price,
        "Timestamp": at(hour),
    }


def node(name: str, instance_type: str, capacity: str, zone: str) -> dict[str, Any]:
    labels = {
        "node.kubernetes.io/instance-type": instance_type,
        "eks.amazonaws.com/capacityType": capacity,
        "topology.kubernetes.io/region": "eu-west-1",
        "topology.kubernetes.io/zone": zone,
    }
    return {
        "metadata": {"name": name, "labels": labels},
        "status": {"capacity": {"cpu": "2", "memory": "8Gi"}},
    }


def test_the_newest_linux_record_per_type_and_zone_wins() -> None:
    wanted = {("t3.large", "eu-west-1a"), ("t3.large", "eu-west-1b"), ("m5.large", "eu-west-1a")}
    records = [
        record("t3.large", "eu-west-1a", "0.0301", 9),
        record("t3.large", "eu-west-1a", "0.0322", 10),  # newer: in force
        record("t3.large", "eu-west-1a", "0.0290", 8),
        record("t3.large", "eu-west-1a", "0.0700", 11, product="Windows"),
        record("t3.large", "eu-west-1b", "0.0310", 7, product="Linux/UNIX (Amazon VPC)"),
        record("t3.large", "eu-west-1c", "0.0100", 11),  # not wanted
        record("m5.large", "eu-west-1a", "not-a-price", 11),
    ]
    assert latest_spot_prices(records, wanted=wanted) == {
        ("t3.large", "eu-west-1a"): Decimal("0.0322"),
        ("t3.large", "eu-west-1b"): Decimal("0.0310"),
    }


def test_targets_are_the_spot_nodes_in_the_region() -> None:
    nodes = [
        node("a", "t3.large", "SPOT", "eu-west-1a"),
        node("b", "t3.large", "SPOT", "eu-west-1a"),
        node("c", "m5.xlarge", "ON_DEMAND", "eu-west-1b"),
        node("d", "t3.large", "SPOT", "us-east-1a"),
        node("e", "t3.large", "SPOT", ""),
    ]
    assert spot_targets(nodes, region="eu-west-1") == {("t3.large", "eu-west-1a")}


def test_a_known_spot_price_replaces_the_discount_and_the_source_says_so() -> None:
    nodes = [
        node("a", "t3.large", "SPOT", "eu-west-1a"),
        node("b", "t3.large", "SPOT", "eu-west-1b"),
        node("c", "m5.xlarge", "ON_DEMAND", "eu-west-1a"),
    ]
    burn = cluster_burn(
        "prod",
        nodes,
        default_region="eu-west-1",
        spot_discount=Decimal("0.5"),
        today=date(2026, 12, 2),
        spot_prices={("t3.large", "eu-west-1a"): Decimal("0.0322")},
    )
    # t3.large eu-west-1 on demand 0.0912 x (1 - 0.5) = 0.0456 for the unpriced zone
    assert [(n.name, n.usd_per_hour, n.price_source) for n in burn.nodes] == [
        ("a", Decimal("0.0322"), "spot_price_history"),
        ("b", Decimal("0.0456"), "spot_discount"),
        ("c", Decimal("0.214"), "on_demand_table"),
    ]
    assert burn.spot_source == "mixed"


def test_all_spot_nodes_priced_from_history_or_none_at_all() -> None:
    spot = [node("a", "t3.large", "SPOT", "eu-west-1a")]
    common: dict[str, Any] = {
        "default_region": "eu-west-1",
        "spot_discount": Decimal("0.5"),
        "today": date(2026, 12, 2),
    }
    priced = {("t3.large", "eu-west-1a"): Decimal("0.0322")}
    assert cluster_burn("p", spot, spot_prices=priced, **common).spot_source == (
        "spot_price_history"
    )
    assert cluster_burn("p", spot, **common).spot_source == "spot_discount"
    on_demand = [node("c", "m5.xlarge", "ON_DEMAND", "eu-west-1a")]
    assert cluster_burn("p", on_demand, spot_prices=priced, **common).spot_source is None
