"""Load jobs: start CPU or memory load, list, inspect and stop jobs. Writes need the API key."""

from __future__ import annotations

from fastapi import APIRouter

from load_harness.api.deps import Authorised, Chaotic, StateDep
from load_harness.api.schemas import CpuLoadRequest, JobPublic, MemoryLoadRequest

router = APIRouter(prefix="/api/v1", tags=["load"], dependencies=[Chaotic, Authorised])
REFUSALS: dict[int | str, dict[str, str]] = {
    401: {"description": "missing or wrong API key"},
    422: {"description": "invalid, or beyond what this container can ever serve"},
    429: {"description": "capacity in use by running jobs; see Retry-After"},
}


@router.post("/load/cpu", status_code=201, responses=REFUSALS)
async def start_cpu_load(body: CpuLoadRequest, state: StateDep) -> JobPublic:
    """Start worker processes burning `cores` cores at duty cycle `intensity`/10."""
    job = state.jobs.start_cpu(
        cores=body.cores, duration_seconds=body.duration_seconds, intensity=body.intensity
    )
    return JobPublic.of(job)


@router.post("/load/memory", status_code=201, responses=REFUSALS)
async def start_memory_load(body: MemoryLoadRequest, state: StateDep) -> JobPublic:
    """Allocate and touch `megabytes` MiB in this process, freed when the job ends."""
    job = state.jobs.start_memory(megabytes=body.megabytes, duration_seconds=body.duration_seconds)
    return JobPublic.of(job)


@router.get("/jobs")
async def list_jobs(state: StateDep) -> list[JobPublic]:
    """Running and recently finished jobs, oldest first."""
    return [JobPublic.of(job) for job in state.jobs.list_jobs()]


@router.get("/jobs/{job_id}", responses={404: {"description": "no such job"}})
async def get_job(job_id: str, state: StateDep) -> JobPublic:
    """One job."""
    return JobPublic.of(state.jobs.get_job(job_id=job_id))


@router.delete("/jobs/{job_id}", responses={404: {"description": "no such job"}})
async def stop_job(job_id: str, state: StateDep) -> JobPublic:
    """Stop a job and wait until its workers are gone and its memory is freed."""
    return JobPublic.of(await state.jobs.stop(job_id=job_id))
