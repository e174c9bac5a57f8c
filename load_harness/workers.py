"""Starting, waiting for and reaping CPU-load worker processes without blocking the event loop.

Workers come from the `spawn` context: a fresh interpreter that inherits no event loop, threads or
sockets from the server. Waiting uses the process sentinel as an event-loop reader instead of a
blocking `join`, and reaping escalates from SIGTERM to SIGKILL so no worker outlives its job.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from typing import Any

import psutil

from load_harness.burning import burn

TERMINATE_GRACE_SECONDS = 2.0
REAP_POLL_SECONDS = 0.001


@dataclass(frozen=True, kw_only=True)
class Worker:
    """One worker process and the shared double it publishes its CPU seconds to."""

    process: BaseProcess
    cpu_seconds: Any

    @property
    def pid(self) -> int:
        """The worker's process id (it is started before a Worker is built)."""
        assert self.process.pid is not None
        return self.process.pid


def start_workers(
    *, count: int, duration_seconds: float, duty: float, nice: int, name: str
) -> list[Worker]:
    """Start `count` spawn-context processes, each burning one core; all or none."""
    workers: list[Worker] = []
    try:
        for index in range(count):
            workers.append(
                _start_one(
                    name=f"{name}-{index}", duration_seconds=duration_seconds, duty=duty, nice=nice
                )
            )
    except BaseException:
        for worker in workers:
            worker.process.kill()
            worker.process.join()
        raise
    return workers


def _start_one(*, name: str, duration_seconds: float, duty: float, nice: int) -> Worker:
    context = multiprocessing.get_context("spawn")
    cpu_seconds = context.RawValue("d", 0.0)
    kwargs = {
        "duration_seconds": duration_seconds,
        "duty": duty,
        "nice": nice,
        "parent_pid": os.getpid(),
    }
    process = context.Process(
        target=burn, kwargs={**kwargs, "cpu_seconds": cpu_seconds}, name=name, daemon=True
    )
    process.start()
    return Worker(process=process, cpu_seconds=cpu_seconds)


def cpu_seconds_of(*, workers: list[Worker]) -> float:
    """CPU seconds the workers have burned: the kernel's figure while alive, else the last
    one each published (a worker publishes once per 100 ms period)."""
    return sum(_cpu_seconds_of_one(worker=worker) for worker in workers)


def _cpu_seconds_of_one(*, worker: Worker) -> float:
    published = float(worker.cpu_seconds.value)
    if worker.process.exitcode is not None:
        return published
    try:
        times = psutil.Process(worker.pid).cpu_times()
    except psutil.Error:
        return published
    return max(published, times.user + times.system)


async def wait_for_exit(*, process: BaseProcess, within_seconds: float) -> bool:
    """Wait up to `within_seconds` for `process` to exit; reap it and say whether it did.

    The sentinel becomes readable when the child closes its descriptors, a moment before the
    kernel lets it be reaped, so after the sentinel we poll briefly (bounded) for the exit code.
    """
    try:
        async with asyncio.timeout(within_seconds):
            if process.exitcode is None:
                await _sentinel_ready(process=process)
            while process.exitcode is None:  # noqa: ASYNC110 (no event for "reapable")
                await asyncio.sleep(REAP_POLL_SECONDS)
    except TimeoutError:
        return False
    return True


async def _sentinel_ready(*, process: BaseProcess) -> None:
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    loop.add_reader(process.sentinel, _resolve, ready)
    try:
        await ready
    finally:
        loop.remove_reader(process.sentinel)


async def reap(*, workers: list[Worker]) -> None:
    """Make sure every worker has exited and been reaped: SIGTERM first, then SIGKILL."""
    for worker in workers:
        if worker.process.exitcode is None:
            worker.process.terminate()
    for worker in workers:
        if not await wait_for_exit(process=worker.process, within_seconds=TERMINATE_GRACE_SECONDS):
            worker.process.kill()
            await wait_for_exit(process=worker.process, within_seconds=TERMINATE_GRACE_SECONDS)
        worker.process.close()


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
