"""`GET /api/v1/dora`'s computation over a large history on PostgreSQL, against a naive
join-and-percentile query measured in the same run.

Data (generated server-side with generate_series into a throwaway database, secondary indexes
and keys dropped during the load and rebuilt after it): `--deployments` deployments (default
1,000,000) over a year across 200 services, one in seven failed, `--changes-per-deployment`
changes each (default 5: 5,000,000 changes and links). Measured, `--runs` times each: median,
p99 (nearest rank) and the ratio of medians to the baseline's:
- the portal: `compute_report` as `GET /api/v1/dora` calls it (every metric, levels and the
  weekly trend, which the endpoint includes by default; JSON encoding not counted) for 30 and
  90 days ending at midnight, and for one service; 30 and 90 days ending 13:37 and 30 days
  ending 12:00 (the API's default `until` is now: the window's and its weeks' edges cut days,
  and at noon a cut day's two pieces are equal, the most facts a cut day reads; the seeded
  history runs to midnight, so the hours after the window's end hold deployments, which
  `until=now` never finds); and without the trend;
- the baseline: lead time median/p90 with `percentile_cont` over the deployments ⋈ links ⋈
  changes join, lead times computed from the timestamps at query time, plus the counts.

Run: .venv/bin/python bench/dora_metrics.py [--deployments 1000000] [--runs 5]; with `--keep`
the seeded database is kept and its name printed, and `--reuse NAME` measures again on it
after applying the migrations added since (their backfills recompute what they add).
(PostgreSQL: PORTAL_TEST_DATABASE_URL, 127.0.0.1:5432, or a throwaway server as the tests do.)
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from portal import migrations
from portal.db import SessionMaker, create_engine, create_sessionmaker
from portal.domain.dora_windows import Window, weekly_buckets, window_ending
from portal.services.dora_metrics import (
    canary_caught,
    canary_caught_of,
    compute_report,
    count_deployments,
    failure_split,
    failure_split_of,
)
from portal.services.dora_queries import Filters, lead_times, percentiles, recovery_times
from portal.services.dora_rollup_reads import Summary, failure_groups, summarize
from portal.services.dora_rollups import bucket_sql, rebuild_statements
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
    INSERT INTO dora_deployment_changes (deployment_id, change_id, lead_seconds,
        finished_epoch, lead_bucket)
    SELECT d.id, c.id, d.finished_epoch - c.committed_epoch, d.finished_epoch,
        CASE WHEN d.outcome = 'success' AND d.finished_epoch - c.committed_epoch > 0
        THEN {lead_bucket} END
    FROM dora_changes c JOIN dora_deployments d ON d.id = (c.id - 1) / {per} + 1
    """,
    "ANALYZE",
]
LEAD_BUCKET = bucket_sql("(d.finished_epoch - c.committed_epoch)")

RECOVERIES = """
UPDATE dora_deployments d SET follows_failure = true, recovery_seconds = r.seconds
FROM (
  SELECT id, finished_epoch - previous_streak AS seconds FROM (
    SELECT id, outcome, finished_epoch,
      lag(outcome) OVER w AS previous, lag(streak_start) OVER w AS previous_streak
    FROM (
      SELECT id, outcome, finished_epoch, service, environment, cluster, namespace,
        min(CASE WHEN outcome = 'failed' THEN finished_epoch END) OVER (
          PARTITION BY service, environment, cluster, namespace, successes) AS streak_start
      FROM (
        SELECT id, outcome, finished_epoch, service, environment, cluster, namespace,
          count(*) FILTER (WHERE outcome = 'success') OVER (
            PARTITION BY service, environment, cluster, namespace
            ORDER BY finished_epoch, id ROWS UNBOUNDED PRECEDING) AS successes
        FROM dora_deployments) AS counted) AS streaks
    WINDOW w AS (PARTITION BY service, environment, cluster, namespace
                 ORDER BY finished_epoch, id)) AS ordered
  WHERE outcome = 'success' AND previous = 'failed') AS r
WHERE r.id = d.id
"""
"""What ingest keeps on each row (dora_recoveries.py: a success right after a failure in its
stream, and the seconds since the first failure of that streak), in one pass of window functions
instead of migration 0011's per-row look-backs (hours at this size); `check` below compares the
portal's figures with the direct queries, which read these columns too, and the test suite
holds ingest and this definition to the same golden figures."""


def rollups() -> list[str]:
    """The recoveries, then what ingest keeps for the rollups (dora_rollups.py): each recovery's
    bucket and the per-day rows, by the statements migration 0013 backfills with (the links'
    finish and bucket are written with the links above)."""
    return [RECOVERIES, *rebuild_statements("IS NOT NULL")[1:], "ANALYZE"]


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


async def check(
    sessions: SessionMaker, engine: AsyncEngine, window: Window, filters: Filters
) -> None:
    """The portal's figures for the window and every week of its trend equal the direct
    queries' exactly (and the naive join's lead times to its microsecond timestamps)."""
    everything = [window, *weekly_buckets(window)]
    async with sessions() as session:
        connection = await session.connection()
        found = await summarize(
            connection,
            everything,
            filters,
            lead_quantiles=[(0.5, 0.9)] * len(everything),
            recovery_quantiles=[(0.5,)] * len(everything),
        )
        for part, summary in zip(everything, found, strict=True):
            counts = await count_deployments(connection, part, filters)
            changes, lead = await percentiles(connection, lead_times(part, filters), (0.5, 0.9))
            recoveries, recovery = await percentiles(
                connection, recovery_times(part, filters), (0.5,)
            )
            direct = Summary(
                counts.total, counts.successful, counts.failed, counts.unplanned,
                counts.deployment_days, changes, tuple(lead), recoveries, tuple(recovery),
            )  # fmt: skip
            if summary != direct:
                raise SystemExit(f"rollups differ from the direct queries: {summary} != {direct}")
        groups = await failure_groups(connection, window, filters)
        rolled = (canary_caught_of(groups, failed=found[0].failed), failure_split_of(groups, 50))
        facts = (
            await canary_caught(connection, window, filters, failed=found[0].failed),
            await failure_split(connection, window, filters, 50),
        )
        if rolled != facts:
            raise SystemExit(f"the failure rollup differs from the facts: {rolled} != {facts}")
    if not any(filters.as_dict().values()):
        async with engine.connect() as connection:
            bare = await connection.execute(text(NAIVE), {"start": window.start, "end": window.end})
            changes_, median_, p90_, total_, failed_ = bare.one()
        whole = found[0]
        assert whole.lead[0] is not None
        assert whole.lead[1] is not None
        same = (changes_, total_, failed_) == (whole.changes, whole.total, whole.failed) and (
            abs(median_ - whole.lead[0]) < 1e-5 and abs(p90_ - whole.lead[1]) < 1e-5
        )
        if not same:
            raise SystemExit(f"the naive join differs: {bare} vs {whole}")
    print(f"checked {window.start:%Y-%m-%d %H:%M} + {window.days:.0f} days {filters}: "
          f"{len(everything)} windows and the failures equal to the direct queries")  # fmt: skip


async def bench(url: str, *, deployments: int, per: int, runs: int, seed: bool = True) -> None:
    if seed:
        await seeded(url, deployments=deployments, per=per)
    else:
        # A database a --keep run left under an older revision: the migrations since then
        # (their backfills recompute what they add to the rollups), then fresh statistics.
        began = time.perf_counter()
        await asyncio.to_thread(migrations.upgrade, url)
        engine = create_async_engine(url)
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("VACUUM ANALYZE"))
        await engine.dispose()
        print(f"migrated to head and vacuumed in {time.perf_counter() - began:.0f} s")
    await measure(url, runs=runs)


async def seeded(url: str, *, deployments: int, per: int) -> None:
    numbers = {"until": UNTIL.timestamp(), "gap": YEAR / deployments, "n": deployments, "per": per}
    began = time.perf_counter()
    seeding = create_async_engine(url, connect_args={"command_timeout": None})
    async with seeding.begin() as connection:
        await connection.execute(text("SET LOCAL synchronous_commit = off"))
        await connection.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
        restore = await without_secondary_structures(connection)
        for statement in SEED:
            await connection.execute(text(statement.format(**numbers, lead_bucket=LEAD_BUCKET)))
        loaded = time.perf_counter() - began
        for statement in restore:
            await connection.execute(text(statement))
        indexed = time.perf_counter() - began - loaded
        for statement in rollups():
            await connection.execute(text(statement))
    print(f"seeded {deployments:,} deployments, {deployments * per:,} changes and links in "
          f"{time.perf_counter() - began:.0f} s (rows {loaded:.0f} s, indexes and keys "
          f"{indexed:.0f} s, recoveries and rollups the rest)")  # fmt: skip
    async with seeding.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("VACUUM ANALYZE"))  # a steady state's visibility map
    await seeding.dispose()


async def measure(url: str, *, runs: int) -> None:
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    cases = [
        (UNTIL, 30, Filters()),
        (UNTIL, 90, Filters()),
        (UNTIL, 90, Filters(service="svc-7")),
        (UNTIL - timedelta(hours=10, minutes=23), 30, Filters()),
        (UNTIL - timedelta(hours=10, minutes=23), 90, Filters()),
        (UNTIL - timedelta(hours=12), 30, Filters()),
    ]
    for until, days, filters in cases:
        await check(sessions, engine, window_ending(until=until, days=days), filters)
    rows = []
    for until, days, filters in cases:
        window = window_ending(until=until, days=days)
        mine = await timed(portal(sessions, window, filters, True), runs)
        bare = await timed(portal(sessions, window, filters, False), runs)
        base = await timed(naive(engine, window), runs)
        label = f"{days} days" + (f", service {filters.service}" if filters.service else "")
        label += "" if until == UNTIL else f", ending {until:%H:%M}"
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
    parser.add_argument(
        "--keep", action="store_true", help="keep the seeded database and print its name"
    )
    parser.add_argument("--reuse", help="measure again on a database a --keep run left")
    args = parser.parse_args()
    with postgres_server() as server:
        template = args.reuse or databases.create_postgres_template(server)
        try:
            asyncio.run(
                bench(
                    server.url_for(template),
                    deployments=args.deployments,
                    per=args.changes_per_deployment,
                    runs=args.runs,
                    seed=not args.reuse,
                )
            )
        finally:
            if args.keep or args.reuse:
                print(f"kept database {template}")
            else:
                databases.drop_postgres_database(server, template)


if __name__ == "__main__":
    main()
