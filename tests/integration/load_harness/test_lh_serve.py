"""`load-harness serve` as deployed: probes stay fast under load, shutdown leaves no worker."""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import time
from pathlib import Path

import httpx
import psutil

from tests.integration.load_harness.conftest import (
    API_KEY,
    COMMAND,
    ServeFactory,
    harness_environment,
    is_alive,
    stop,
    wait_until,
)

KEY = {"X-API-Key": API_KEY}


async def probe_latencies(client: httpx.AsyncClient, *, count: int) -> list[float]:
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        response = await client.get("/healthz")
        latencies.append(time.perf_counter() - started)
        assert response.status_code == 200
    return latencies


async def test_healthz_stays_under_50_ms_while_a_cpu_job_burns_a_core(serve: ServeFactory) -> None:
    async with (
        serve(LOAD_HARNESS_API_KEY=API_KEY) as served,
        httpx.AsyncClient(base_url=served.base_url, headers=KEY, timeout=5.0) as client,
    ):
        response = await client.post(
            "/api/v1/load/cpu", json={"cores": 1, "duration_seconds": 3, "intensity": 10}
        )
        assert response.status_code == 201
        job = response.json()
        worker = psutil.Process(job["pids"][0])
        await wait_until(
            lambda: worker.cpu_times().user >= 0.2, within_seconds=10, what="the worker to burn"
        )
        latencies = await probe_latencies(client, count=50)
        still_running = (await client.get(f"/api/v1/jobs/{job['id']}")).json()["state"]
        await client.delete(f"/api/v1/jobs/{job['id']}")
    assert still_running == "running"
    assert statistics.median(latencies) < 0.050
    assert max(latencies) < 0.5


async def test_sigterm_stops_every_job_and_leaves_no_process_behind(serve: ServeFactory) -> None:
    async with serve(LOAD_HARNESS_API_KEY=API_KEY) as served:
        async with httpx.AsyncClient(base_url=served.base_url, headers=KEY) as client:
            cpu = await client.post("/api/v1/load/cpu", json={"cores": 1, "duration_seconds": 120})
            memory = await client.post(
                "/api/v1/load/memory", json={"megabytes": 16, "duration_seconds": 120}
            )
        assert (cpu.status_code, memory.status_code) == (201, 201)
        descendants = psutil.Process(served.process.pid).children(recursive=True)
        worker_pids = cpu.json()["pids"]
        assert set(worker_pids) <= {child.pid for child in descendants}
        exit_code = await stop(served.process)
    # uvicorn shuts down gracefully, then re-raises the SIGTERM it captured, as a process should.
    assert exit_code == -signal.SIGTERM
    assert [is_alive(pid) for pid in worker_pids] == [False]
    await wait_until(
        lambda: not any(is_alive(child.pid) for child in descendants),
        within_seconds=5,
        what="every descendant (workers, resource tracker) to exit",
    )
    log = served.log_text()
    assert "load harness stopped; every job stopped" in log


async def test_workers_exit_by_themselves_if_the_server_is_killed(serve: ServeFactory) -> None:
    async with serve(LOAD_HARNESS_API_KEY=API_KEY) as served:
        async with httpx.AsyncClient(base_url=served.base_url, headers=KEY) as client:
            cpu = await client.post("/api/v1/load/cpu", json={"cores": 1, "duration_seconds": 120})
        worker_pids = cpu.json()["pids"]
        os.kill(served.process.pid, signal.SIGKILL)
        await wait_until(
            lambda: not any(is_alive(pid) for pid in worker_pids),
            within_seconds=5,
            what="orphaned workers to notice their parent died and exit",
        )


async def test_the_api_key_never_appears_in_the_logs(serve: ServeFactory) -> None:
    async with (
        serve(LOAD_HARNESS_API_KEY=API_KEY, APP_VERSION="9.9.9") as served,
        httpx.AsyncClient(base_url=served.base_url) as client,
    ):
        ok = await client.post("/api/v1/work", json={"iterations": 10}, headers=KEY)
        wrong = await client.get("/api/v1/jobs", headers={"X-API-Key": API_KEY + "x"})
    assert (ok.status_code, wrong.status_code) == (200, 401)
    log = served.log_text()
    events = [json.loads(line) for line in log.splitlines()]
    started = next(event for event in events if event["event"] == "load harness started")
    assert (started["version"], started["auth"], started["logger"]) == (
        "9.9.9",
        "required",
        "load_harness",
    )
    assert {event["logger"] for event in events} == {
        "load_harness",
        "uvicorn.error",
        "uvicorn.access",
    }
    assert API_KEY not in log


async def test_serve_refuses_to_start_without_a_key(tmp_path: Path, fake_cgroup: Path) -> None:
    result = subprocess.run(  # noqa: ASYNC221 (a short-lived child that exits at once)
        [COMMAND, "serve", "--port", "1"],
        env=harness_environment(fake_cgroup, {}),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "load-harness: invalid configuration:",
        "  LOAD_HARNESS_API_KEY is not set: set it (16+ characters), or set "
        "LOAD_HARNESS_AUTH=disabled to run without authentication on purpose",
    ]


async def test_serve_with_auth_disabled_explicitly_is_open_and_says_so(
    serve: ServeFactory,
) -> None:
    async with (
        serve(LOAD_HARNESS_AUTH="disabled") as served,
        httpx.AsyncClient(base_url=served.base_url) as client,
    ):
        response = await client.post("/api/v1/work", json={"iterations": 1})
    assert response.status_code == 200
    assert "authentication is disabled: load and admin endpoints are open" in served.log_text()


async def test_serve_refuses_to_start_when_a_cgroup_file_is_garbage(tmp_path: Path) -> None:
    broken = tmp_path / "broken-cgroup"
    broken.mkdir()
    (broken / "cpu.max").write_text("lots 100000\n")
    result = subprocess.run(  # noqa: ASYNC221 (a short-lived child that exits at once)
        [COMMAND, "serve", "--port", "1"],
        env=harness_environment(broken, {"LOAD_HARNESS_AUTH": "disabled"}),
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"load-harness: cannot read the container's limits: {broken / 'cpu.max'} holds 'lots', "
        "not a number or 'max'"
    ]
