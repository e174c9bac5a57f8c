"""The synchronous work unit: a verifiable digest, computed off the event loop."""

from __future__ import annotations

import asyncio
import hashlib

from load_harness.working import BLOCK
from tests.unit.load_harness.conftest import Harness, HarnessFactory


async def test_work_returns_the_digest_of_the_hashed_blocks(harness: Harness) -> None:
    response = await harness.client.post("/api/v1/work", json={"iterations": 25})
    assert response.status_code == 200
    body = response.json()
    assert (body["iterations"], body["sha256"]) == (25, hashlib.sha256(BLOCK * 25).hexdigest())
    assert body["seconds"] >= 0


async def test_probe_answers_while_work_is_running(harness_factory: HarnessFactory) -> None:
    async with harness_factory(max_work_iterations=200_000) as harness:
        work = asyncio.create_task(
            harness.client.post("/api/v1/work", json={"iterations": 200_000}), name="work"
        )
        try:
            probe = await harness.client.get("/healthz")
            work_was_running = not work.done()
        finally:
            response = await work
    assert probe.status_code == 200
    assert work_was_running
    assert response.status_code == 200
