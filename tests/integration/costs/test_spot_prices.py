"""DescribeSpotPriceHistory through the real aioboto3 path against a moto server on 127.0.0.1.

moto (5.x, moto/ec2/responses/spot_instances.py) answers one record per offered (instance type,
zone) matching InstanceTypes and the availability-zone filter, each "Linux/UNIX (Amazon VPC)" at
USD 0.00001 stamped 2006-01-02; it ignores ProductDescriptions and StartTime.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from portal.aws.spot_prices import SpotPricesUnavailable, open_spot_prices, spot_price_request
from tests.support.moto_server import MotoServer

NOW = datetime(2026, 12, 2, 11, 0, tzinfo=UTC)
WANTED = {
    ("t3.large", "us-east-1a"),
    ("m5.large", "us-east-1b"),
    ("t3.large", "us-east-1e"),  # moto offers no t3.large in us-east-1e: no price
}


def test_one_request_names_the_types_zones_and_linux() -> None:
    assert spot_price_request(WANTED, now=NOW) == {
        "InstanceTypes": ["m5.large", "t3.large"],
        "ProductDescriptions": ["Linux/UNIX"],
        "Filters": [
            {"Name": "availability-zone", "Values": ["us-east-1a", "us-east-1b", "us-east-1e"]}
        ],
        "StartTime": NOW,
    }


async def test_latest_prices_of_the_wanted_pairs_only(moto: MotoServer) -> None:
    async with open_spot_prices(region="us-east-1", endpoint_url=moto.url) as reader:
        prices = await reader.latest(WANTED, now=NOW)
        assert reader.requests_sent == 1
    # moto answered t3.large and m5.large in both 1a and 1b; the cross pairs are dropped
    assert prices == {
        ("m5.large", "us-east-1b"): Decimal("0.00001"),
        ("t3.large", "us-east-1a"): Decimal("0.00001"),
    }
    assert moto.calls == {"DescribeSpotPriceHistory": 1}


async def test_nothing_wanted_sends_nothing(moto: MotoServer) -> None:
    async with open_spot_prices(region="us-east-1", endpoint_url=moto.url) as reader:
        assert await reader.latest(set(), now=NOW) == {}
        assert reader.requests_sent == 0
    assert moto.aws_calls() == 0


async def test_access_denied_is_named(moto: MotoServer) -> None:
    moto.fail(
        "DescribeSpotPriceHistory",
        status=403,
        code="UnauthorizedOperation",
        message="You are not authorized to perform this operation.",
    )
    async with open_spot_prices(region="us-east-1", endpoint_url=moto.url) as reader:
        with pytest.raises(SpotPricesUnavailable) as raised:
            await reader.latest(WANTED, now=NOW)
    assert raised.value.reason == (
        "access denied (UnauthorizedOperation): You are not authorized to perform this operation."
    )
    assert moto.calls == {"DescribeSpotPriceHistory": 1}


async def test_an_unreachable_endpoint_is_named(moto: MotoServer) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with open_spot_prices(
        region="us-east-1", endpoint_url=f"http://127.0.0.1:{port}", timeout_seconds=2
    ) as reader:
        with pytest.raises(SpotPricesUnavailable) as raised:
            await reader.latest(WANTED, now=NOW)
    assert raised.value.reason.startswith("endpoint unreachable: Could not connect")
