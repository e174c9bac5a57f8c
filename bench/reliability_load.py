"""Issue 18.6: a bounded, open-loop load on two portal replicas, three runs in a row.

Two `portal serve` processes on one PostgreSQL database watch devcluster's simulated demo
(releasing on its own at ten times real speed); the replicas stay up across the runs. Each run
offers, for `--seconds` (default 120; `--quick` 15):
- Flagger gate calls at `--gate-rate` (default 200/s) in all, alternating between the replicas,
  over the four portal gates and every demo canary, with the run's current checksum;
- `--sse` (default 500) browser streams (`GET /stream?page=canaries`) held open for the run,
  half on each replica;
- `--readers` (default 50) API readers, each with its own viewer token, reading
  `/api/v1/canaries`, `/api/v1/hpas`, `/api/v1/freezes` and each canary's detail in turn at
  `--reader-rate` (default 1/s each).
Each call starts at its scheduled time (open loop, latency from the schedule; at most 2,000
in flight, 10 s timeout). After each run: errors by kind, gate and API p50/p99 and served
rates, SSE events received, and each replica's RSS (the series across the runs).

    .venv/bin/python bench/reliability_load.py [--quick] [--seconds 120] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.integration.portal.load_fleet import load_fleet
from tests.support import databases
from tests.support.portal_load import LoadShape, RunResult, run_load_split
from tests.support.postgres import postgres_server

MIB = 1024 * 1024


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--quick", action="store_true", help="15 s runs")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--gate-rate", type=float, default=200.0)
    parser.add_argument("--sse", type=int, default=500)
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--reader-rate", type=float, default=1.0)
    parser.add_argument(
        "--workers", type=int, default=2, help="load-driver processes (devcluster has this one)"
    )
    return parser.parse_args()


async def main(args: argparse.Namespace) -> int:
    shape = LoadShape(
        gate_rate=args.gate_rate,
        sse_clients=args.sse,
        api_readers=args.readers,
        api_rate_per_reader=args.reader_rate,
        seconds=15.0 if args.quick else args.seconds,
    )
    print(
        f"shape: {shape.gate_rate:g} gate calls/s, {shape.sse_clients} SSE clients, "
        f"{shape.api_readers} readers at {shape.api_rate_per_reader:g}/s, "
        f"{shape.seconds:g} s per run, {args.runs} runs",
        flush=True,
    )
    results: list[RunResult] = []
    series: list[list[int]] = []
    spawn = multiprocessing.get_context("spawn")
    with (
        postgres_server() as server,
        tempfile.TemporaryDirectory(prefix="load-") as tmp,
        ProcessPoolExecutor(max_workers=args.workers, mp_context=spawn) as pool,
    ):
        template = databases.create_postgres_template(server)
        name = await databases.clone_postgres_database(server, template)
        try:
            async with load_fleet(server.url_for(name), Path(tmp), readers=args.readers) as lf:
                series.append(lf.rss_bytes())
                print(f"RSS before: {_mib(series[-1])}", flush=True)
                for run in range(1, args.runs + 1):
                    cpu, own = lf.cpu_seconds(), time.process_time()
                    result = await run_load_split(
                        shape, await lf.audience(), pool=pool, workers=args.workers
                    )
                    used = [
                        after - before for before, after in zip(cpu, lf.cpu_seconds(), strict=True)
                    ]
                    results.append(result)
                    series.append(lf.rss_bytes())
                    print(
                        f"run {run}: {result.summary()}; RSS {_mib(series[-1])}; replica CPU "
                        + ", ".join(f"{u / result.seconds:.0%}" for u in used)
                        + f", devcluster {(time.process_time() - own) / result.seconds:.0%}",
                        flush=True,
                    )
        finally:
            await databases.drop_postgres_database_async(server, name)
            databases.drop_postgres_database(server, template)
    for index, replica in enumerate(("replica-a", "replica-b")):
        listed = " → ".join(f"{rss[index] / MIB:.1f}" for rss in series)
        print(f"RSS series {replica} (MiB, before and after each run): {listed}")
    return 0 if all(r.error_count == 0 for r in results) else 1


def _mib(values: list[int]) -> str:
    return ", ".join(f"{v / MIB:.1f} MiB" for v in values)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(_arguments())))
