"""The load jobs of one harness process: admission, running, stopping and the bounded history.

Admission and registration happen with no `await` in between, so two concurrent requests cannot
both take the last slot, core or megabyte. Each running job is one named supervising task; stopping
a job cancels that task, whose `finally` releases what the job holds (workers reaped, memory
unmapped). `shutdown()` does the same for every job, so nothing outlives the server.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum

from load_harness import admission
from load_harness.cgroups import ContainerLimits
from load_harness.errors import JobNotFound, WorkersUnavailable
from load_harness.metrics import HarnessMetrics
from load_harness.running import hold_memory, release_cpu_job, run_cpu_job
from load_harness.workers import start_workers

HISTORY_SIZE = 100

Step = Callable[[], Awaitable[None]]


async def _nothing_to_release() -> None:
    return None


class JobKind(StrEnum):
    """What a job loads."""

    CPU = "cpu"
    MEMORY = "memory"


class JobState(StrEnum):
    """Where a job is in its life."""

    RUNNING = "running"
    COMPLETED = "completed"
    STOPPED = "stopped"
    FAILED = "failed"


@dataclass(kw_only=True)
class Job:
    """One load job, mutated only by its supervising task and by `JobManager.stop`."""

    id: str
    kind: JobKind
    params: dict[str, int]
    started_at: float
    duration_seconds: int
    deadline: float
    cores: int = 0
    held_bytes: int = 0
    state: JobState = JobState.RUNNING
    finished_at: float | None = None
    pids: list[int] = field(default_factory=list)
    cpu_seconds: float = 0.0
    error: str | None = None

    @property
    def ends_at(self) -> float:
        """Wall-clock time the job is due to end."""
        return self.started_at + self.duration_seconds


@dataclass(frozen=True, kw_only=True)
class JobLimits:
    """The limits every new job is admitted against."""

    container: ContainerLimits
    max_jobs: int
    memory_share: float
    worker_nice: int

    @property
    def memory_cap_bytes(self) -> int:
        """Bytes all memory jobs together may hold."""
        return admission.memory_cap_bytes(
            limit_bytes=self.container.memory_limit_bytes, share=self.memory_share
        )


class JobManager:
    """Owns every job of one app and the tasks that supervise them."""

    def __init__(self, *, limits: JobLimits, metrics: HarnessMetrics) -> None:
        self._limits = limits
        self._metrics = metrics
        self._jobs: dict[str, Job] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._releases: dict[str, Step] = {}

    @property
    def limits(self) -> JobLimits:
        """The limits new jobs are admitted against."""
        return self._limits

    def list_jobs(self) -> list[Job]:
        """Running and recently finished jobs, oldest first."""
        return list(self._jobs.values())

    def get_job(self, *, job_id: str) -> Job:
        """The job with this id, or `JobNotFound`."""
        job = self._jobs.get(job_id)
        if job is None:
            raise JobNotFound(f"job {job_id!r} not found")
        return job

    def start_cpu(self, *, cores: int, duration_seconds: int, intensity: int) -> Job:
        """Admit and start a CPU job of `cores` workers at duty cycle `intensity`/10."""
        wait = self._retry_after()
        self._admit_slot(retry_after_seconds=wait)
        admission.admit_cores(
            cores=cores,
            quota_cores=self._limits.container.cpu_quota_cores,
            cores_in_use=sum(job.cores for job in self._running()),
            retry_after_seconds=wait,
        )
        params = {"cores": cores, "duration_seconds": duration_seconds, "intensity": intensity}
        job = self._new_job(kind=JobKind.CPU, params=params, duration_seconds=duration_seconds)
        try:
            workers = start_workers(
                count=cores,
                duration_seconds=duration_seconds,
                duty=intensity / 10,
                nice=self._limits.worker_nice,
                name=f"cpu-{job.id}",
            )
        except OSError as error:
            job.state, job.error, job.finished_at = JobState.FAILED, str(error), time.time()
            raise WorkersUnavailable(f"cannot start worker processes: {error}") from error
        job.cores, job.pids = cores, [worker.pid for worker in workers]
        self._launch(
            job=job,
            run=lambda: run_cpu_job(job=job, workers=workers, manager=self),
            release=lambda: release_cpu_job(job=job, workers=workers, manager=self),
        )
        return job

    def start_memory(self, *, megabytes: int, duration_seconds: int) -> Job:
        """Admit and start a memory job holding `megabytes` MiB for `duration_seconds`."""
        wait = self._retry_after()
        self._admit_slot(retry_after_seconds=wait)
        requested = megabytes * admission.MIB
        admission.admit_memory(
            requested_bytes=requested,
            cap_bytes=self._limits.memory_cap_bytes,
            held_bytes=self.reserved_bytes(),
            share=self._limits.memory_share,
            retry_after_seconds=wait,
        )
        params = {"megabytes": megabytes, "duration_seconds": duration_seconds}
        job = self._new_job(kind=JobKind.MEMORY, params=params, duration_seconds=duration_seconds)
        job.held_bytes = requested
        self._launch(
            job=job, run=lambda: hold_memory(job=job, manager=self), release=_nothing_to_release
        )
        return job

    async def stop(self, *, job_id: str) -> Job:
        """Stop a running job and wait until it has released everything; idempotent."""
        job = self.get_job(job_id=job_id)
        task = self._tasks.get(job_id)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await self._release_unstarted(job=job)
        return job

    async def shutdown(self) -> None:
        """Stop every running job; returns once all workers are reaped and memory released."""
        tasks = list(self._tasks.items())
        for _, task in tasks:
            task.cancel()
        await asyncio.gather(*(task for _, task in tasks), return_exceptions=True)
        for job_id, _ in tasks:
            await self._release_unstarted(job=self._jobs[job_id])

    def reserved_bytes(self) -> int:
        """Bytes admitted to running memory jobs (allocated or being allocated)."""
        return sum(job.held_bytes for job in self._running())

    def add_cpu_seconds(self, *, job: Job, total: float) -> None:
        """Record that a job's workers have now burned `total` CPU seconds."""
        delta = total - job.cpu_seconds
        if delta > 0:
            self._metrics.cpu_seconds.inc(delta)
            job.cpu_seconds = total

    def refresh_memory_gauge(self) -> None:
        """Publish the bytes running memory jobs hold."""
        self._metrics.memory_held.set(self.reserved_bytes())

    def _running(self) -> list[Job]:
        return [job for job in self._jobs.values() if job.state is JobState.RUNNING]

    def _retry_after(self) -> int:
        remaining = [job.deadline - time.monotonic() for job in self._running()]
        return admission.retry_after(seconds_until_first_end=min(remaining, default=None))

    def _admit_slot(self, *, retry_after_seconds: int) -> None:
        admission.admit_job_slot(
            running=len(self._running()),
            max_jobs=self._limits.max_jobs,
            retry_after_seconds=retry_after_seconds,
        )

    def _new_job(self, *, kind: JobKind, params: dict[str, int], duration_seconds: int) -> Job:
        job = Job(
            id=uuid.uuid4().hex,
            kind=kind,
            params=params,
            started_at=time.time(),
            duration_seconds=duration_seconds,
            deadline=time.monotonic() + duration_seconds,
        )
        self._jobs[job.id] = job
        self._trim_history()
        return job

    def _launch(self, *, job: Job, run: Step, release: Step) -> None:
        self._metrics.active_jobs.labels(kind=job.kind.value).inc()
        self.refresh_memory_gauge()
        self._releases[job.id] = release
        supervising = self._supervise(job=job, run=run)
        self._tasks[job.id] = asyncio.create_task(supervising, name=f"job-{job.id}")

    async def _supervise(self, *, job: Job, run: Step) -> None:
        try:
            await run()
            job.state = JobState.COMPLETED
        except asyncio.CancelledError:
            job.state = JobState.STOPPED
            raise
        except Exception as error:  # a failed job is reported on the job, not raised into nowhere
            job.state, job.error = JobState.FAILED, f"{type(error).__name__}: {error}"
        finally:
            await self._release(job=job)

    async def _release_unstarted(self, *, job: Job) -> None:
        """Release a job whose task was cancelled before it ran (its `finally` never ran)."""
        if job.id in self._releases:
            job.state = JobState.STOPPED
            await self._release(job=job)

    async def _release(self, *, job: Job) -> None:
        release = self._releases.pop(job.id)
        try:
            await release()
        finally:
            self._finish(job=job)

    def _finish(self, *, job: Job) -> None:
        job.finished_at = time.time()
        job.held_bytes = 0
        job.cores = 0
        self._tasks.pop(job.id, None)
        self._metrics.active_jobs.labels(kind=job.kind.value).dec()
        self.refresh_memory_gauge()

    def _trim_history(self) -> None:
        finished = [job.id for job in self._jobs.values() if job.state is not JobState.RUNNING]
        for job_id in finished[: max(0, len(self._jobs) - HISTORY_SIZE)]:
            del self._jobs[job_id]
