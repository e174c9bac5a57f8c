"""LeaderOnly: singleton jobs start on leading, are cancelled and awaited on losing, and start
afresh on the next term."""

from __future__ import annotations

import asyncio

from portal.services.leadership import LeaderOnly
from tests.support.waiting import wait_until


async def test_jobs_run_only_between_leading_and_losing_and_start_afresh_each_term() -> None:
    group = LeaderOnly()
    starts: list[str] = []
    ended: list[str] = []

    async def job() -> None:
        starts.append("job")
        try:
            await asyncio.Event().wait()
        finally:
            ended.append("job")

    group.add(job, name="job")
    assert group.running == []
    await group.follow(True)
    await wait_until(lambda: starts == ["job"], what="the job to start")
    assert group.running == ["job"]
    await group.follow(True)  # renewed: nothing more starts
    await group.follow(False)
    assert (group.running, ended) == ([], ["job"])  # cancelled and awaited before it returns
    await group.follow(True)
    await wait_until(lambda: starts == ["job", "job"], what="the job to start again")
    assert group.running == ["job"]
    await group.stop()
    assert ended == ["job", "job"]


async def test_a_job_that_failed_does_not_stop_the_others_from_being_stopped() -> None:
    group = LeaderOnly()

    async def broken() -> None:
        raise RuntimeError("boom")

    async def waiting() -> None:
        await asyncio.Event().wait()

    group.add(broken, name="broken")
    group.add(waiting, name="waiting")
    group.start()
    await wait_until(lambda: group.running == ["waiting"], what="the broken job to end")
    await group.stop()
    assert group.running == []
