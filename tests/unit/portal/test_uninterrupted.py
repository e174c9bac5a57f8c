import asyncio

import pytest

from portal.services.uninterrupted import uninterrupted


async def test_a_cancelled_caller_still_lets_the_write_finish() -> None:
    started, release = asyncio.Event(), asyncio.Event()
    done: list[str] = []

    async def write() -> str:
        started.set()
        await release.wait()
        done.append("written")
        return "ok"

    caller = asyncio.create_task(uninterrupted(write()))
    await started.wait()
    caller.cancel()
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert done == ["written"]


async def test_the_result_passes_through() -> None:
    async def write() -> int:
        return 7

    assert await uninterrupted(write()) == 7
