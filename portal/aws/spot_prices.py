"""EC2 DescribeSpotPriceHistory through aioboto3: one long-lived `ec2` client (same region and
endpoint as Cost Explorer), asked once per cost refresh for the price in force now of the watched
spot nodes' instance types in their zones. The call is free; it is still counted, like every
AWS request the portal makes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import aioboto3
from botocore.exceptions import BotoCoreError, ClientError

from portal.aws.cost_explorer import client_config, describe_failure
from portal.domain.burn_rates import SpotKey
from portal.domain.spot_prices import latest_spot_prices

MAX_PAGES = 20
PRODUCT = "Linux/UNIX"


class SpotPricesUnavailable(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def spot_price_request(wanted: set[SpotKey], *, now: datetime) -> dict[str, Any]:
    """StartTime = now: AWS answers the price in force at that moment per type and zone."""
    return {
        "InstanceTypes": sorted({instance_type for instance_type, _ in wanted}),
        "ProductDescriptions": [PRODUCT],
        "Filters": [{"Name": "availability-zone", "Values": sorted({z for _, z in wanted})}],
        "StartTime": now,
    }


@dataclass(slots=True)
class SpotPriceReader:
    client: Any
    requests_sent: int = 0

    def _count(self, **_: Any) -> None:
        self.requests_sent += 1

    async def latest(self, wanted: set[SpotKey], *, now: datetime) -> dict[SpotKey, Decimal]:
        """The latest Linux/UNIX price per wanted pair (pairs AWS has no price for are absent);
        no request at all when nothing is wanted."""
        if not wanted:
            return {}
        records: list[dict[str, Any]] = []
        token: str | None = None
        try:
            for _ in range(MAX_PAGES):
                page = await self.client.describe_spot_price_history(
                    **spot_price_request(wanted, now=now), **({"NextToken": token} if token else {})
                )
                records.extend(page.get("SpotPriceHistory") or [])
                token = page.get("NextToken")
                if not token:
                    break
        except (BotoCoreError, ClientError) as error:
            raise SpotPricesUnavailable(describe_failure(error)) from error
        return latest_spot_prices(records, wanted=wanted)


@asynccontextmanager
async def open_spot_prices(
    *, region: str, endpoint_url: str | None, timeout_seconds: float = 30.0
) -> AsyncIterator[SpotPriceReader]:
    """One session and one `ec2` client, closed on exit."""
    session = aioboto3.Session()
    config = client_config(timeout_seconds)
    async with session.client(
        "ec2", region_name=region, endpoint_url=endpoint_url, config=config
    ) as client:
        reader = SpotPriceReader(client=client)
        client.meta.events.register("before-send.ec2", reader._count)
        yield reader
