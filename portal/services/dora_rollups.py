"""Daily rollups of the DORA facts, kept at ingest in the ingest's own transaction.

What a write touches is marked by UTC day (`touch_days`: the days of every deployment written,
relinked or whose recovery or incident link changed, before and after); `refresh_rollups`
recomputes those days from the facts, so the rollups are exactly what the facts say whatever
order the facts came in. Per day: the counts the metrics take (`dora_rollup_days`) and how many
lead times and deployment recoveries fall in each rank bucket (portal/domain/dora_buckets.py)
with the smallest and largest of them and how many equal each, and the failures by canary
rollback and peak weight (`dora_rollup_failures`); each counted link keeps its
bucket and finish and each recovery its bucket on the row for the exact-value look-up. Under
DORA's advisory lock (dora_locking.py), so concurrent ingests recompute a shared day one after
the other, the later one seeing the earlier one's rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

from portal.domain.dora_buckets import BOUNDARIES
from portal.services.dora_locking import dora_alone

_TOUCHED = "dora_rollup_days_touched"


def bucket_sql(expression: str, low: int = 0, high: int = len(BOUNDARIES)) -> str:
    """`bucket_of(expression)` in portable SQL: a binary search over the boundaries."""
    if low == high:
        return str(low)
    middle = (low + high) // 2
    below = bucket_sql(expression, low, middle)
    above = bucket_sql(expression, middle + 1, high)
    return f"CASE WHEN {expression} < {BOUNDARIES[middle]!r} THEN {below} ELSE {above} END"


def rebuild_statements(days: str, *, bounds: bool = True, failures: bool = True) -> list[str]:
    """The statements that recompute the rollups of the deployments whose `finished_day`
    satisfies `days` (an SQL condition on it: `IN :days`, or `IS NOT NULL` for all); without
    `bounds` and `failures`, as migration 0013 made them (no smallest and largest value per
    bucket, no failure rollup)."""
    lead_bucket = bucket_sql("dora_deployment_changes.lead_seconds")
    return [
        f"""
        UPDATE dora_deployment_changes SET
          finished_epoch = (SELECT d.finished_epoch FROM dora_deployments d
                            WHERE d.id = dora_deployment_changes.deployment_id),
          lead_bucket = CASE WHEN dora_deployment_changes.lead_seconds > 0 AND (
              SELECT d.outcome FROM dora_deployments d
              WHERE d.id = dora_deployment_changes.deployment_id) = 'success'
            THEN {lead_bucket} END
        WHERE deployment_id IN (SELECT id FROM dora_deployments WHERE finished_day {days})
        """,  # noqa: S608 (our constants and numbers only)
        f"""
        UPDATE dora_deployments SET recovery_bucket = CASE
          WHEN follows_failure AND recovery_seconds IS NOT NULL
          THEN {bucket_sql("recovery_seconds")} END
        WHERE finished_day {days}
        """,  # noqa: S608 (our constants and numbers only)
        *rollup_statements(days, bounds=bounds, failures=failures),
    ]


def _histogram(table: str, values: str, *, bounds: bool) -> str:
    """`table`'s rows from `values` (a SELECT of day, bucket and seconds): per day and bucket,
    the count and, with `bounds`, the smallest and largest value and how many equal each."""
    if not bounds:
        return f"""
        INSERT INTO {table} (day, bucket, count)
        SELECT day, bucket, count(*) FROM ({values}) AS v GROUP BY day, bucket
        """  # noqa: S608 (our constants only)
    return f"""
    INSERT INTO {table} (day, bucket, count, low, low_count, high, high_count)
    SELECT day, bucket, count(*), min(seconds),
      sum(CASE WHEN seconds = lowest THEN 1 ELSE 0 END), max(seconds),
      sum(CASE WHEN seconds = highest THEN 1 ELSE 0 END)
    FROM (
      SELECT day, bucket, seconds,
        min(seconds) OVER (PARTITION BY day, bucket) AS lowest,
        max(seconds) OVER (PARTITION BY day, bucket) AS highest
      FROM ({values}) AS v) AS bounded
    GROUP BY day, bucket
    """  # noqa: S608 (our constants only)


CANARY_ROLLBACK = (
    "d.source = 'flagger' AND d.outcome = 'failed'"
    " AND coalesce(d.failure_cause, '') NOT LIKE 'promotion-failed%'"
)
"""A rolled-back Flagger run (dora_metrics.canary_caught): only its canary met the failure."""


def failure_statements(days: str) -> list[str]:
    """The days' failures (as change failure rate counts them) by canary rollback (1: with its
    peak weight, none recorded being 0) or not (0, weight 0): how many, their highest recorded
    peak weight and summed exposure, for `failure_split` at any caught weight."""
    return [
        f"DELETE FROM dora_rollup_failures WHERE day {days}",  # noqa: S608
        f"""
        INSERT INTO dora_rollup_failures (day, canary, weight, count, peak, exposure)
        SELECT day, canary, weight, count(*), max(peak_weight), sum(exposure_weight_seconds)
        FROM (
          SELECT d.finished_day AS day,
            CASE WHEN {CANARY_ROLLBACK} THEN 1 ELSE 0 END AS canary,
            CASE WHEN {CANARY_ROLLBACK} THEN coalesce(d.peak_weight, 0) ELSE 0 END AS weight,
            d.peak_weight, d.exposure_weight_seconds
          FROM dora_deployments d
          WHERE d.finished_day {days} AND (d.outcome = 'failed' OR EXISTS (
              SELECT 1 FROM dora_incidents i WHERE i.deployment_id = d.id))) AS f
        GROUP BY day, canary, weight
        """,  # noqa: S608 (our constants and numbers only)
    ]


def rollup_statements(days: str, *, bounds: bool = True, failures: bool = True) -> list[str]:
    """The per-day rows, from the facts and the buckets kept on them; with `bounds`, each
    bucket's smallest and largest value and how many values equal each (migration 0015), with
    `failures` the failure rollup (migration 0016)."""
    leads = f"""
        SELECT d.finished_day AS day, l.lead_bucket AS bucket, l.lead_seconds AS seconds
        FROM dora_deployment_changes l JOIN dora_deployments d ON d.id = l.deployment_id
        WHERE d.finished_day {days} AND l.lead_bucket IS NOT NULL
        """  # noqa: S608 (our constants and numbers only)
    recoveries = f"""
        SELECT d.finished_day AS day, d.recovery_bucket AS bucket, d.recovery_seconds AS seconds
        FROM dora_deployments d
        WHERE d.finished_day {days} AND d.recovery_bucket IS NOT NULL
        """  # noqa: S608 (our constants and numbers only)
    return [
        f"DELETE FROM dora_rollup_days WHERE day {days}",  # noqa: S608
        f"""
        INSERT INTO dora_rollup_days (day, total, successful, failed, unplanned)
        SELECT d.finished_day, count(*),
          sum(CASE WHEN d.outcome = 'success' THEN 1 ELSE 0 END),
          sum(CASE WHEN d.outcome = 'failed' OR EXISTS (
              SELECT 1 FROM dora_incidents i WHERE i.deployment_id = d.id) THEN 1 ELSE 0 END),
          sum(CASE WHEN NOT d.planned OR d.follows_failure THEN 1 ELSE 0 END)
        FROM dora_deployments d WHERE d.finished_day {days} GROUP BY d.finished_day
        """,  # noqa: S608 (our constants and numbers only)
        f"DELETE FROM dora_rollup_lead_buckets WHERE day {days}",  # noqa: S608
        _histogram("dora_rollup_lead_buckets", leads, bounds=bounds),
        f"DELETE FROM dora_rollup_recovery_buckets WHERE day {days}",  # noqa: S608
        _histogram("dora_rollup_recovery_buckets", recoveries, bounds=bounds),
        *(failure_statements(days) if failures else []),
    ]


_REFRESH: list[Any] = [
    text(statement).bindparams(bindparam("days", expanding=True))
    for statement in rebuild_statements("IN :days")
]


def touch_days(connection: AsyncConnection, days: Iterable[int | None]) -> None:
    """Mark days whose rollups this transaction's writes change (None ignored). Kept on the
    connection: a rolled-back transaction's marks only cost a needless recompute later."""
    touched: set[int] = connection.info.setdefault(_TOUCHED, set())
    touched.update(int(day) for day in days if day is not None)


async def refresh_rollups(connection: AsyncConnection) -> None:
    """Recompute the marked days from the facts (call after the writes, before the commit)."""
    touched: set[int] = connection.info.get(_TOUCHED, set())
    if not touched:
        return
    await dora_alone(connection)
    days = sorted(touched)
    for statement in _REFRESH:
        await connection.execute(statement, {"days": days})
    touched.clear()
