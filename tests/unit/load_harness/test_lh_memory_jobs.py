"""Memory jobs: really resident while they run, freed when they end, capped by the cgroup limit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psutil

from tests.unit.load_harness.conftest import (
    MIB,
    Harness,
    HarnessFactory,
    wait_until,
    write_cgroup_limits,
)


def rss() -> int:
    return psutil.Process().memory_info().rss


async def start_memory(harness: Harness, *, megabytes: int, duration_seconds: int) -> Any:
    response = await harness.client.post(
        "/api/v1/load/memory", json={"megabytes": megabytes, "duration_seconds": duration_seconds}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_memory_job_raises_rss_by_its_size_then_frees_it_on_delete(harness: Harness) -> None:
    baseline = rss()
    job = await start_memory(harness, megabytes=96, duration_seconds=60)
    assert (job["kind"], job["held_bytes"]) == ("memory", 96 * MIB)
    await wait_until(
        lambda: rss() - baseline >= 92 * MIB, within_seconds=10, what="RSS to grow by 92 MiB"
    )
    assert rss() - baseline <= 112 * MIB
    stopped = await harness.client.delete(f"/api/v1/jobs/{job['id']}")
    assert (stopped.json()["state"], stopped.json()["held_bytes"]) == ("stopped", 0)
    assert rss() - baseline <= 16 * MIB


async def test_memory_job_frees_its_memory_when_it_ends_on_time(harness: Harness) -> None:
    baseline = rss()
    job = await start_memory(harness, megabytes=64, duration_seconds=1)
    manager = harness.app.state.harness.jobs
    await wait_until(
        lambda: manager.get_job(job_id=job["id"]).state.value != "running",
        within_seconds=6,
        what="the 1 s memory job to end",
    )
    assert manager.get_job(job_id=job["id"]).state.value == "completed"
    assert rss() - baseline <= 16 * MIB


async def test_memory_above_the_cap_is_refused_with_the_reason(harness: Harness) -> None:
    response = await harness.client.post(
        "/api/v1/load/memory", json={"megabytes": 257, "duration_seconds": 5}
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": "megabytes 257 exceeds the cap of 256 MiB (0.5 of this container's memory limit)"
    }


async def test_memory_held_by_running_jobs_counts_against_the_cap(
    harness_factory: HarnessFactory, tmp_path: Path
) -> None:
    root = write_cgroup_limits(tmp_path / "small", cores=1, memory_mib=128)
    async with harness_factory(cgroup_root=root) as harness:
        await start_memory(harness, megabytes=40, duration_seconds=30)
        response = await harness.client.post(
            "/api/v1/load/memory", json={"megabytes": 30, "duration_seconds": 5}
        )
        fits = await harness.client.post(
            "/api/v1/load/memory", json={"megabytes": 24, "duration_seconds": 5}
        )
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "30"
    assert response.json() == {
        "detail": "megabytes 30 requested but only 24 MiB of the 64 MiB cap is free while "
        "running jobs hold 40 MiB"
    }
    assert fits.status_code == 201


async def test_memory_share_setting_sets_the_cap(harness_factory: HarnessFactory) -> None:
    async with harness_factory(memory_share=0.25) as harness:
        response = await harness.client.post(
            "/api/v1/load/memory", json={"megabytes": 129, "duration_seconds": 5}
        )
    assert response.status_code == 422
    assert response.json()["detail"] == (
        "megabytes 129 exceeds the cap of 128 MiB (0.25 of this container's memory limit)"
    )


async def test_concurrent_job_limit_gives_429_until_a_job_ends(
    harness_factory: HarnessFactory,
) -> None:
    async with harness_factory(max_jobs=2) as harness:
        first = await start_memory(harness, megabytes=1, duration_seconds=60)
        await start_memory(harness, megabytes=1, duration_seconds=60)
        refused = await harness.client.post(
            "/api/v1/load/cpu", json={"cores": 1, "duration_seconds": 5}
        )
        await harness.client.delete(f"/api/v1/jobs/{first['id']}")
        accepted = await harness.client.post(
            "/api/v1/load/memory", json={"megabytes": 1, "duration_seconds": 5}
        )
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "60"
    assert refused.json() == {"detail": "2 jobs are running and at most 2 may run at once"}
    assert accepted.status_code == 201


async def test_memory_gauges_follow_the_job(harness: Harness) -> None:
    registry = harness.app.state.harness.metrics.registry

    def gauges() -> tuple[float | None, float | None]:
        return (
            registry.get_sample_value("load_harness_memory_held_bytes"),
            registry.get_sample_value("load_harness_active_jobs", {"kind": "memory"}),
        )

    job = await start_memory(harness, megabytes=8, duration_seconds=60)
    during = gauges()
    await harness.client.delete(f"/api/v1/jobs/{job['id']}")
    after = gauges()
    assert during == (8 * MIB, 1.0)
    assert after == (0.0, 0.0)


async def test_jobs_are_listed_and_fetched_by_id(harness: Harness) -> None:
    first = await start_memory(harness, megabytes=1, duration_seconds=60)
    second = await start_memory(harness, megabytes=2, duration_seconds=60)
    listed = await harness.client.get("/api/v1/jobs")
    fetched = await harness.client.get(f"/api/v1/jobs/{second['id']}")
    assert [job["id"] for job in listed.json()] == [first["id"], second["id"]]
    assert fetched.json()["params"] == {"megabytes": 2, "duration_seconds": 60}
    assert fetched.json()["state"] == "running"
