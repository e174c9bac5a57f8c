from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from portal.services.broadcasting import Broadcaster
from tests.unit.broadcasting.support import ManualClock

WINDOW = 0.25
HEARTBEAT = 15.0
CAPACITY = 4


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def broadcaster(clock: ManualClock) -> AsyncIterator[Broadcaster]:
    async with Broadcaster(
        coalesce_seconds=WINDOW,
        heartbeat_seconds=HEARTBEAT,
        queue_capacity=CAPACITY,
        retry_ms=1500,
        clock=clock,
    ) as broadcaster:
        yield broadcaster
