"""Request and response bodies of the JSON API, with the bounds that make bad input a 4xx."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from load_harness.jobs import Job, JobKind, JobState

Duration = Annotated[int, Field(strict=True, ge=1, le=900, description="seconds, 1..900")]


class CpuLoadRequest(BaseModel):
    """Burn `cores` cores at `intensity`/10 duty cycle for `duration_seconds`."""

    model_config = ConfigDict(extra="forbid")

    cores: Annotated[int, Field(strict=True, ge=1, le=16)]
    duration_seconds: Duration
    intensity: Annotated[int, Field(strict=True, ge=1, le=10)] = 10


class MemoryLoadRequest(BaseModel):
    """Hold `megabytes` MiB of resident memory for `duration_seconds`."""

    model_config = ConfigDict(extra="forbid")

    megabytes: Annotated[int, Field(strict=True, ge=1, le=65_536)]
    duration_seconds: Duration


class WorkRequest(BaseModel):
    """Hash `iterations` 4 KiB blocks synchronously (bounded by the server's maximum)."""

    model_config = ConfigDict(extra="forbid")

    iterations: Annotated[int, Field(strict=True, ge=1, le=10_000_000)]


class WorkResult(BaseModel):
    """The digest of the work done, which a client can verify."""

    iterations: int
    sha256: str
    seconds: float


class JobPublic(BaseModel):
    """A load job as the API shows it."""

    id: str
    kind: JobKind
    state: JobState
    params: dict[str, int]
    started_at: datetime
    ends_at: datetime
    finished_at: datetime | None
    pids: list[int]
    cpu_seconds: float
    held_bytes: int
    error: str | None

    @classmethod
    def of(cls, job: Job) -> JobPublic:
        """The public view of `job`."""
        return cls(
            id=job.id,
            kind=job.kind,
            state=job.state,
            params=job.params,
            started_at=_utc(job.started_at),
            ends_at=_utc(job.ends_at),
            finished_at=None if job.finished_at is None else _utc(job.finished_at),
            pids=job.pids,
            cpu_seconds=round(job.cpu_seconds, 3),
            held_bytes=job.held_bytes,
            error=job.error,
        )


class VersionInfo(BaseModel):
    """Which version runs in which pod."""

    version: str
    pod: str
    namespace: str


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)
