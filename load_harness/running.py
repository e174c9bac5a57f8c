"""What a running job does between its start and its end, inside its supervising task.

A CPU job watches its worker processes until the deadline (publishing the CPU seconds they burn
every half second); its release reaps them. A memory job allocates and touches its region off the
event loop, holds it until the deadline and unmaps it in `finally`. `JobManager` runs each job's
release exactly once, even for a job stopped before its task ever ran, so a job stopped early or
cancelled at shutdown leaves no process and no memory behind.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from load_harness.allocating import allocate_touched
from load_harness.workers import Worker, cpu_seconds_of, reap, wait_for_exit

if TYPE_CHECKING:
    import mmap

    from load_harness.jobs import Job, JobManager

SAMPLE_SECONDS = 0.5
EXIT_GRACE_SECONDS = 2.0


async def run_cpu_job(*, job: Job, workers: list[Worker], manager: JobManager) -> None:
    """Publish the workers' CPU seconds until the deadline, then wait for them to exit."""
    while (remaining := job.deadline - time.monotonic()) > 0:
        await asyncio.sleep(min(SAMPLE_SECONDS, remaining))
        manager.add_cpu_seconds(job=job, total=cpu_seconds_of(workers=workers))
    for worker in workers:
        await wait_for_exit(process=worker.process, within_seconds=EXIT_GRACE_SECONDS)
    failed = [w.pid for w in workers if w.process.exitcode not in (0, None)]
    if failed:
        raise RuntimeError(f"worker processes {failed} exited with an error")


async def release_cpu_job(*, job: Job, workers: list[Worker], manager: JobManager) -> None:
    """Count the workers' last CPU seconds, then make sure they are gone (runs exactly once)."""
    manager.add_cpu_seconds(job=job, total=cpu_seconds_of(workers=workers))
    await reap(workers=workers)


async def hold_memory(*, job: Job, manager: JobManager) -> None:
    """Allocate and touch the job's bytes, hold them until the deadline, then unmap them."""
    region = await _allocate(size_bytes=job.held_bytes)
    try:
        manager.refresh_memory_gauge()
        await asyncio.sleep(max(0.0, job.deadline - time.monotonic()))
    finally:
        region.close()


async def _allocate(*, size_bytes: int) -> mmap.mmap:
    allocation = asyncio.ensure_future(asyncio.to_thread(allocate_touched, size_bytes=size_bytes))
    try:
        return await asyncio.shield(allocation)
    except asyncio.CancelledError:
        (await allocation).close()
        raise
