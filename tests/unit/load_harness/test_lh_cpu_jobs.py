"""CPU jobs: real spawn-context worker processes that end on time, on DELETE and on shutdown."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil

from tests.unit.load_harness.conftest import (
    Harness,
    HarnessFactory,
    is_alive,
    wait_until,
    write_cgroup_limits,
)


async def start_cpu(harness: Harness, **body: Any) -> dict[str, Any]:
    response = await harness.client.post("/api/v1/load/cpu", json=body)
    assert response.status_code == 201, response.text
    job: dict[str, Any] = response.json()
    return job


async def job_state(harness: Harness, job_id: str) -> dict[str, Any]:
    response = await harness.client.get(f"/api/v1/jobs/{job_id}")
    assert response.status_code == 200
    job: dict[str, Any] = response.json()
    return job


def seconds_between(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


async def test_cpu_load_burns_in_child_worker_processes(harness: Harness) -> None:
    job = await start_cpu(harness, cores=2, duration_seconds=30, intensity=10)
    assert (job["kind"], job["state"], len(job["pids"])) == ("cpu", "running", 2)
    workers = [psutil.Process(pid) for pid in job["pids"]]
    assert [worker.ppid() for worker in workers] == [os.getpid(), os.getpid()]
    assert os.getpid() not in job["pids"]
    await wait_until(
        lambda: all(worker.cpu_times().user >= 0.3 for worker in workers),
        within_seconds=10,
        what="both workers to burn 0.3 CPU seconds",
    )
    stopped = await harness.client.delete(f"/api/v1/jobs/{job['id']}")
    assert stopped.json()["cpu_seconds"] >= 0.6


async def test_cpu_job_ends_on_time_and_its_worker_is_reaped(harness: Harness) -> None:
    job = await start_cpu(harness, cores=1, duration_seconds=1, intensity=10)
    manager = harness.app.state.harness.jobs
    await wait_until(
        lambda: manager.get_job(job_id=job["id"]).state.value != "running",
        within_seconds=6,
        what="the 1 s job to end",
    )
    finished = await job_state(harness, job["id"])
    assert finished["state"] == "completed"
    assert 1.0 <= seconds_between(finished["started_at"], finished["finished_at"]) <= 2.5
    assert finished["error"] is None
    assert 0.3 <= finished["cpu_seconds"] <= 1.5
    assert not is_alive(job["pids"][0])


async def test_intensity_sets_the_duty_cycle(harness: Harness) -> None:
    job = await start_cpu(harness, cores=1, duration_seconds=2, intensity=2)
    manager = harness.app.state.harness.jobs
    await wait_until(
        lambda: manager.get_job(job_id=job["id"]).state.value != "running",
        within_seconds=8,
        what="the 2 s job to end",
    )
    finished = await job_state(harness, job["id"])
    assert finished["state"] == "completed"
    # 20 % of 2 s is 0.4 s (plus interpreter start-up); intensity 10 would burn about 2 s.
    assert 0.1 <= finished["cpu_seconds"] <= 0.7


async def test_delete_stops_the_job_and_its_workers_are_gone(harness: Harness) -> None:
    job = await start_cpu(harness, cores=2, duration_seconds=120, intensity=10)
    response = await harness.client.delete(f"/api/v1/jobs/{job['id']}")
    assert response.status_code == 200
    stopped = response.json()
    assert stopped["state"] == "stopped"
    assert seconds_between(stopped["started_at"], stopped["finished_at"]) < 10
    assert [is_alive(pid) for pid in job["pids"]] == [False, False]
    again = await harness.client.delete(f"/api/v1/jobs/{job['id']}")
    assert (again.status_code, again.json()["state"]) == (200, "stopped")


async def test_shutdown_stops_every_job_and_leaves_no_worker(
    harness_factory: HarnessFactory,
) -> None:
    async with harness_factory() as harness:
        first = await start_cpu(harness, cores=1, duration_seconds=120, intensity=10)
        second = await start_cpu(harness, cores=1, duration_seconds=120, intensity=3)
        pids = first["pids"] + second["pids"]
        assert [is_alive(pid) for pid in pids] == [True, True]
        manager = harness.app.state.harness.jobs
    assert [is_alive(pid) for pid in pids] == [False, False]
    assert [job.state.value for job in manager.list_jobs()] == ["stopped", "stopped"]
    assert [child for child in psutil.Process().children() if not is_resource_tracker(child)] == []


def is_resource_tracker(process: psutil.Process) -> bool:
    """multiprocessing's resource tracker: one per parent process, started by the spawn context."""
    return "multiprocessing.resource_tracker" in " ".join(process.cmdline())


async def test_cores_above_the_cpu_quota_are_refused_with_the_reason(
    harness_factory: HarnessFactory, tmp_path: Path
) -> None:
    root = write_cgroup_limits(tmp_path / "one-core", cores=1, memory_mib=512)
    async with harness_factory(cgroup_root=root) as harness:
        response = await harness.client.post(
            "/api/v1/load/cpu", json={"cores": 2, "duration_seconds": 5}
        )
        jobs = harness.app.state.harness.jobs.list_jobs()
    assert response.status_code == 422
    assert response.json() == {
        "detail": "cores 2 exceeds this container's CPU quota of 1 cores (at most 1)"
    }
    assert jobs == []


async def test_cores_taken_by_running_jobs_give_429_with_retry_after(
    harness_factory: HarnessFactory, tmp_path: Path
) -> None:
    root = write_cgroup_limits(tmp_path / "one-core", cores=1, memory_mib=512)
    async with harness_factory(cgroup_root=root) as harness:
        await start_cpu(harness, cores=1, duration_seconds=60, intensity=1)
        response = await harness.client.post(
            "/api/v1/load/cpu", json={"cores": 1, "duration_seconds": 5}
        )
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "60"
    assert response.json() == {
        "detail": "cores 1 requested but running CPU jobs already use 1 of the 1 the CPU quota "
        "allows"
    }


async def test_cpu_seconds_and_active_jobs_are_exported(harness: Harness) -> None:
    job = await start_cpu(harness, cores=1, duration_seconds=30, intensity=10)
    registry = harness.app.state.harness.metrics.registry
    assert registry.get_sample_value("load_harness_active_jobs", {"kind": "cpu"}) == 1.0
    await wait_until(
        lambda: (registry.get_sample_value("load_harness_cpu_burned_seconds_total") or 0) >= 0.4,
        within_seconds=10,
        what="the CPU seconds counter to pass 0.4",
    )
    await harness.client.delete(f"/api/v1/jobs/{job['id']}")
    assert registry.get_sample_value("load_harness_active_jobs", {"kind": "cpu"}) == 0.0
