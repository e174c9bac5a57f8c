"""On-demand prices of common EC2 instance types (Linux, shared tenancy, USD per hour) in common
regions, shipped with the portal: the live burn rate needs no AWS call.

From the AWS EC2 on-demand price list; prices change rarely, but check them against
https://aws.amazon.com/ec2/pricing/on-demand/ when the bill and the estimate disagree. An
instance type or region missing here is shown as unpriced, never guessed.
"""

from __future__ import annotations

from decimal import Decimal

_SIZES = ("large", "xlarge", "2xlarge", "4xlarge")
_T3_SIZES = ("micro", "small", "medium", "large", "xlarge", "2xlarge")


def _family(family: str, sizes: tuple[str, ...], smallest: str) -> dict[str, Decimal]:
    """Each size of a family costs twice the one before it."""
    price = Decimal(smallest)
    table = {}
    for size in sizes:
        table[f"{family}.{size}"] = price
        price *= 2
    return table


def _region(*, t3_micro: str, m5_large: str, m6i_large: str, c6i_large: str) -> dict[str, Decimal]:
    return {
        **_family("t3", _T3_SIZES, t3_micro),
        **_family("m5", _SIZES, m5_large),
        **_family("m6i", _SIZES, m6i_large),
        **_family("c6i", _SIZES, c6i_large),
    }


ON_DEMAND_USD_PER_HOUR: dict[str, dict[str, Decimal]] = {
    "us-east-1": _region(t3_micro="0.0104", m5_large="0.096", m6i_large="0.096", c6i_large="0.085"),
    "us-east-2": _region(t3_micro="0.0104", m5_large="0.096", m6i_large="0.096", c6i_large="0.085"),
    "us-west-2": _region(t3_micro="0.0104", m5_large="0.096", m6i_large="0.096", c6i_large="0.085"),
    "eu-west-1": _region(t3_micro="0.0114", m5_large="0.107", m6i_large="0.107", c6i_large="0.096"),
    "eu-central-1": _region(
        t3_micro="0.012", m5_large="0.115", m6i_large="0.115", c6i_large="0.097"
    ),
}


def on_demand_price(*, region: str, instance_type: str) -> Decimal | None:
    return ON_DEMAND_USD_PER_HOUR.get(region, {}).get(instance_type)
