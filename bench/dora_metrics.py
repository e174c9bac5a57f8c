"""`GET /api/v1/dora`'s computation over a large history on PostgreSQL, against a naive
join-and-percentile query measured in the same run.

Data (generated server-side with generate_series into a throwaway database, secondary indexes
and keys dropped during the load and rebuilt after it): `--deployments` deployments (default
1,000,000) over a year across 200 services, one in seven failed, `--changes-per-deployment`
changes each (default 5: 5,000,000 changes and links). Measured, `--runs` times each: median,
p99 (nearest rank) and the ratio of medians to the baseline's:
- the portal: `compute_report` as `GET /api/v1/dora` calls it (every metric, levels and the
  weekly trend, which the endpoint includes by default; JSON encoding not counted) for 30 and
  90 days, and for one service; and without the trend;
- the baseline: lead time median/p90 with `percentile_cont` over the deployments ⋈ links ⋈
  changes join, lead times computed from the timestamps at query time, plus the counts.

Run: .venv/bin/python bench/dora_metrics.py [--deployments 1000000] [--runs 5]
(PostgreSQL: PORTAL_TEST_DATABASE_URL, 127.0.0.1:5432, or a throwaway server as the tests do.)
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import math
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from portal.db import SessionMaker, create_engine, create_sessionmaker
from portal.domain.dora_windows import Window, window_ending
from portal.services.dora_metrics import compute_report
from portal.services.dora_queries import Filters
from tests.support import databases
from tests.support.postgres import postgres_server

UNTIL = datetime(2026, 12, 1, tzinfo=UTC)
YEAR = 365 * 86400

SEED = [
    """
    INSERT INTO dora_deployments (source, external_key, service, environment, cluster,
        namespace, commit_sha, finished_at, finished_epoch, finished_day, outcome, planned,
        received_at)
    SELECT 'api', 'b' || g, 'svc-' || (g % 200), 'production', 'c1', 'shop', md5(g::text),
        to_timestamp(e), e, floor(e / 86400)::int,
        CASE WHEN g % 7 = 0 THEN 'failed' ELSE 'success' END, true, now()
    FROM (SELECT g, {until} - g * {gap} AS e FROM generate_series(1, {n}) AS g) AS s
    """,
    """
    INSERT INTO dora_changes (repo, sha, committed_at, committed_epoch)
    SELECT 'org/svc-' || ((g - 1) / {per} % 200), md5('c' || g), to_timestamp(e), e
    FROM (SELECT g, {until} - ((g - 1) / {per} + 1) * {gap} - (g % 97 + 1) * 600.0 AS e
          FROM generate_series(1, {n} * {per}) AS g) AS s
    """,
    """
    INSERT INTO dora_deployment_changes (deployment_id, change_id, lead_seconds)
    SELECT d.id, c.id, d.finished_epoch - c.committed_epoch
    FROM dora_changes c JOIN dora_deployments d ON d.id = (c.id - 1) / {per} + 1
    """,
    "ANALYZE",
]
MIGRATION = (
    Path(__file__).resolve().parent.parent / "alembic/versions/0011_dora_recoveries_at_ingest.py"
)


def recovery_backfill() -> list[str]:
    """What ingest keeps on each row (a recovery and its duration), filled in for the seeded
    rows by the same statements migration 0011 backfills existing rows with."""
    spec = importlib.util.spec_from_file_location("recoveries_migration", MIGRATION)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {MIGRATION}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [module.BACKFILL, module.BACKFILL_SECONDS, "ANALYZE"]


"""Numbers only are formatted in (ours, never input); ids start at 1 in a fresh database."""

NAIVE = """
SELECT count(*),
       percentile_cont(0.5) WITHIN GROUP (
         ORDER BY extract(epoch FROM d.finished_at - c.committed_at)),
       percentile_cont(0.9) WITHIN GROUP (
         ORDER BY extract(epoch FROM d.finished_at - c.committed_at)),
       (SELECT count(*) FROM dora_deployments x
          WHERE x.finished_at >= :start AND x.finished_at < :end),
       (SELECT count(*) FROM dora_deployments x
          WHERE x.finished_at >= :start AND x.finished_at < :end AND x.outcome = 'failed')
FROM dora_deployments d
JOIN dora_deployment_changes l ON l.deployment_id = d.id
JOIN dora_changes c ON c.id = l.change_id
WHERE d.outcome = 'success' AND d.finished_at >= :start AND d.finished_at < :end
  AND d.finished_at > c.committed_at
"""


TABLES = ("dora_deployments", "dora_changes", "dora_deployment_changes")
CONSTRAINTS = """
SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
FROM pg_constraint c
WHERE c.conrelid::regclass::text = ANY(:tables) AND c.contype IN ('u', 'f')
ORDER BY c.contype DESC
"""
INDEXES = """
SELECT i.indexname, i.indexdef FROM pg_indexes i
WHERE i.tablename = ANY(:tables) AND NOT EXISTS (
  SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
"""


async def without_secondary_structures(connection: AsyncConnection) -> list[str]:
    """Drop the three tables' secondary indexes, unique and foreign keys for the bulk load
    (each row would otherwise update every index and check both parents); returns the
    statements that put everything back, to run once the rows are in."""
    tables = {"tables": list(TABLES)}
    constraints = (await connection.execute(text(CONSTRAINTS), tables)).all()
    indexes = (await connection.execute(text(INDEXES), tables)).all()
    for table, name, _ in constraints:
        await connection.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    for name, _ in indexes:
        if not name.endswith("_pkey"):
            await connection.execute(text(f'DROP INDEX "{name}"'))
    restore = [definition for name, definition in indexes if not name.endswith("_pkey")]
    restore += [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
        for table, name, definition in reversed(constraints)
    ]
    return restore


async def timed(work: Callable[[], Awaitable[object]], runs: int) -> list[float]:
    found = []
    for _ in range(runs):
        began = time.perf_counter()
        await work()
        found.append((time.perf_counter() - began) * 1000)
    return found


def median(values: list[float]) -> float:
    return statistics.median(values)


def p99(values: list[float]) -> float:
    """Nearest rank: with fewer than 100 runs, the slowest."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


def portal(
    sessions: SessionMaker, window: Window, filters: Filters, trend: bool
) -> Callable[[], Awaitable[object]]:
    async def run() -> None:
        async with sessions() as session:
            await compute_report(session, window=window, filters=filters, with_trend=trend)

    return run


def naive(engine: AsyncEngine, window: Window) -> Callable[[], Awaitable[object]]:
    async def run() -> None:
        async with engine.connect() as connection:
            await connection.execute(text(NAIVE), {"start": window.start, "end": window.end})

    return run


async def bench(url: str, *, deployments: int, per: int, runs: int) -> None:
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    numbers = {"until": UNTIL.timestamp(), "gap": YEAR / deployments, "n": deployments, "per": per}
    began = time.perf_counter()
    seeding = create_async_engine(url, connect_args={"command_timeout": None})
    async with seeding.begin() as connection:
        await connection.execute(text("SET LOCAL synchronous_commit = off"))
        await connection.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        restore = await without_secondary_structures(connection)
        for statement in SEED:
            await connection.execute(text(statement.format(**numbers)))
        loaded = time.perf_counter() - began
        for statement in restore:
            await connection.execute(text(statement))
        indexed = time.perf_counter() - began - loaded
        for statement in recovery_backfill():
            await connection.execute(text(statement))
    print(f"seeded {deployments:,} deployments, {deployments * per:,} changes and links in "
          f"{time.perf_counter() - began:.0f} s (rows {loaded:.0f} s, indexes and keys "
          f"{indexed:.0f} s, recoveries the rest)")  # fmt: skip
    await seeding.dispose()
    rows = []
    for days, filters in ((30, Filters()), (90, Filters()), (90, Filters(service="svc-7"))):
        window = window_ending(until=UNTIL, days=days)
        mine = await timed(portal(sessions, window, filters, True), runs)
        bare = await timed(portal(sessions, window, filters, False), runs)
        base = await timed(naive(engine, window), runs)
        label = f"{days} days" + (f", service {filters.service}" if filters.service else "")
        rows.append((label, mine, bare, base))
    print(f"{runs} runs each; p99 is the nearest-rank 99th percentile of those runs")
    print("| window | portal with trend: median / p99 (ms) | figures only: median / p99 (ms) "
          "| naive join: median / p99 (ms) | with trend / naive | figures / naive |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for label, mine, bare, base in rows:
        ratio, bare_ratio = median(mine) / median(base), median(bare) / median(base)
        print(f"| {label} | {median(mine):,.0f} / {p99(mine):,.0f} "
              f"| {median(bare):,.0f} / {p99(bare):,.0f} | {median(base):,.0f} / {p99(base):,.0f} "
              f"| x{ratio:.2f} | x{bare_ratio:.2f} |")  # fmt: skip
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deployments", type=int, default=1_000_000)
    parser.add_argument("--changes-per-deployment", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with postgres_server() as server:
        template = databases.create_postgres_template(server)
        try:
            asyncio.run(
                bench(
                    server.url_for(template),
                    deployments=args.deployments,
                    per=args.changes_per_deployment,
                    runs=args.runs,
                )
            )
        finally:
            databases.drop_postgres_database(server, template)


if __name__ == "__main__":
    main()
