"""Starting, waiting for and reaping CPU-load worker processes without blocking the event loop.

Workers come from the `spawn` context: a fresh interpreter that inherits no event loop, threads or
sockets from the server. Waiting uses the process sentinel as an event-loop reader instead of a
blocking `join`, and reaping escalates from SIGTERM to SIGKILL so no worker outlives its job.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from typing import Any

from load_harness.burning import burn

TERMINATE_GRACE_SECONDS = 2.0


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
    kwargs = {"duration_seconds": duration_seconds, "duty": duty, "nice": nice}
    process = context.Process(
        target=burn, kwargs={**kwargs, "cpu_seconds": cpu_seconds}, name=name, daemon=True
    )
    process.start()
    return Worker(process=process, cpu_seconds=cpu_seconds)


def cpu_seconds_of(*, workers: list[Worker]) -> float:
    """CPU seconds the workers have published so far."""
    return float(sum(worker.cpu_seconds.value for worker in workers))


async def wait_for_exit(*, process: BaseProcess, within_seconds: float) -> bool:
    """Wait up to `within_seconds` for `process` to exit; reap it and say whether it did."""
    if process.exitcode is None:
        loop = asyncio.get_running_loop()
        exited = loop.create_future()
        loop.add_reader(process.sentinel, _resolve, exited)
        try:
            async with asyncio.timeout(within_seconds):
                await exited
        except TimeoutError:
            return False
        finally:
            loop.remove_reader(process.sentinel)
    process.join(timeout=0)
    return process.exitcode is not None


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
