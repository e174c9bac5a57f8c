"""Issue 18.6 at CI's size: the load of bench/reliability_load.py (gate calls, SSE clients, API
readers, open loop, against two replicas on PostgreSQL and devcluster's demo) in three short
runs in a row: no error of any kind, and each replica's memory flat from run 2 to run 3 (run 1
warms caches, connection pools and the canaries' first runs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.portal_load import LoadShape, RunResult, run_load

from .load_fleet import load_fleet

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(600)]

SHAPE = LoadShape(
    gate_rate=40.0, sse_clients=100, api_readers=10, api_rate_per_reader=1.0, seconds=5.0
)
RUNS = 3
RSS_GROWTH_BOUND = 8 * 1024 * 1024
"""Bytes a replica's RSS may grow from the end of run 2 to the end of run 3 (measured: see
RELIABILITY.md; a leak of one SSE client's state or one request's objects per call grows it
by tens of MiB over a run)."""


async def test_three_runs_of_load_on_two_replicas_end_without_error_and_flat_memory(
    postgres_url: str, tmp_path: Path
) -> None:
    results: list[RunResult] = []
    series: list[list[int]] = []
    async with load_fleet(postgres_url, tmp_path, readers=SHAPE.api_readers) as fleet:
        for _ in range(RUNS):
            results.append(await run_load(SHAPE, await fleet.audience()))
            series.append(fleet.rss_bytes())
    for run, (result, rss) in enumerate(zip(results, series, strict=True), start=1):
        mib = ", ".join(f"{b / 2**20:.1f} MiB" for b in rss)
        print(f"\nrun {run}: {result.summary()}; RSS {mib}")
    assert [dict(r.errors) for r in results] == [{}] * RUNS
    offered = int(SHAPE.gate_rate * SHAPE.seconds)
    assert [sum(r.gate_answers.values()) for r in results] == [offered] * RUNS
    reads = int(SHAPE.api_readers * SHAPE.api_rate_per_reader * SHAPE.seconds)
    assert [len(r.api_latencies) for r in results] == [reads] * RUNS
    assert [r.sse_connected for r in results] == [SHAPE.sse_clients] * RUNS
    growth = [after - before for before, after in zip(series[1], series[2], strict=True)]
    assert max(growth) < RSS_GROWTH_BOUND, f"RSS grew {growth} bytes from run 2 to run 3"
