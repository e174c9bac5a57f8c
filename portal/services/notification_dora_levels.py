"""Feed the "DORA level dropped" notification: every `interval` seconds each service's DORA
levels, per cluster and namespace, over the last 30 days (the window of the /metrics gauges) are
compared with the last ones seen, which `notification_dora_levels` keeps.

A new level and the outbox rows of its drop commit in one transaction, so a restart neither
repeats a drop nor misses one that happened while the portal was down (it compares with the
stored level, not with an empty memory). A rise, or a first sighting, only updates the stored
level. Several evaluators are safe: a drop's idempotency key names the level it fell from and
since when that level held, so both write the same outbox row once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import structlog
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from portal.db import SessionMaker
from portal.domain.canary_attention import format_seconds
from portal.domain.dora_level_drops import LevelChange, Seen, Stream, level_changes
from portal.domain.dora_levels import Level
from portal.domain.dora_windows import Window, as_utc, window_ending
from portal.domain.notification_events import dora_level_notice
from portal.domain.notification_rules import Notice
from portal.models.dora import DEPLOYMENTS
from portal.models.notifications import DoraLevelState
from portal.services.dora_facts import upsert
from portal.services.dora_gauges import MAX_SERVICES, REFRESH_SECONDS, WINDOW_DAYS
from portal.services.dora_metrics import DoraReport, compute_report
from portal.services.dora_queries import Filters, finished_in
from portal.services.loop_failures import LoopFailures
from portal.services.notification_outbox import enqueue_notices

log = structlog.get_logger("portal.notifications")


def _utcnow() -> datetime:
    return datetime.now(UTC)


def levels_of(report: DoraReport) -> dict[str, Level | None]:
    return {
        "deployment_frequency": report.deployment_frequency.level,
        "lead_time": report.lead_time.level,
        "change_failure_rate": report.change_failure_rate.level,
        "recovery_time": report.recovery_time.level,
    }


def value_of(report: DoraReport, metric: str) -> str:
    """The measured figure behind a metric's level, as the message shows it."""
    if metric == "deployment_frequency":
        return f"{report.deployment_frequency.per_day or 0.0:.2f} successful deployments a day"
    if metric == "change_failure_rate":
        rate = report.change_failure_rate
        return f"{rate.failed} of {rate.total} deployments failed"
    seconds = (
        report.lead_time.median_seconds
        if metric == "lead_time"
        else report.recovery_time.median_seconds
    )
    return f"median {format_seconds(int(seconds or 0))}"


async def streams_in(session: AsyncSession, window: Window) -> list[Stream]:
    """Every service, cluster and namespace with a deployment finished in the window."""
    row = DEPLOYMENTS
    statement = (
        select(row.c.service, row.c.cluster, row.c.namespace)
        .where(*finished_in(row, window))
        .group_by(row.c.service, row.c.cluster, row.c.namespace)
        .order_by(row.c.service, row.c.cluster, row.c.namespace)
        .limit(MAX_SERVICES)
    )
    connection = await session.connection()
    rows = await connection.execute(statement)
    return [Stream(str(service), str(cluster), str(ns)) for service, cluster, ns in rows]


async def _seen(session: AsyncSession, stream: Stream) -> dict[str, Seen]:
    rows = await session.exec(
        select(DoraLevelState).where(
            col(DoraLevelState.service) == stream.service,
            col(DoraLevelState.cluster) == stream.cluster,
            col(DoraLevelState.namespace) == stream.namespace,
        )
    )
    return {row.metric: Seen(level=Level(row.level), since=as_utc(row.since)) for row in rows}


async def _store(
    session: AsyncSession, stream: Stream, change: LevelChange, *, now: datetime
) -> None:
    connection = await session.connection()
    table = DoraLevelState.__table__  # type: ignore[attr-defined]
    statement = upsert(connection, table).values(
        service=stream.service,
        cluster=stream.cluster,
        namespace=stream.namespace,
        metric=change.metric,
        level=str(change.after),
        since=now,
    )
    statement = statement.on_conflict_do_update(
        index_elements=["service", "cluster", "namespace", "metric"],
        set_={"level": statement.excluded.level, "since": statement.excluded.since},
    )
    await connection.execute(statement)


class DoraLevelWatcher:
    def __init__(
        self,
        *,
        sessionmaker: SessionMaker,
        interval: float = REFRESH_SECONDS,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.interval = interval
        self.clock = clock

    async def run(self) -> None:
        """Evaluate forever (cancel to stop); a failed evaluation is tried again next time."""
        failures = LoopFailures(log, "DORA levels not evaluated")
        while True:
            try:
                await self.evaluate()
            except Exception as error:
                failures.report(error)
            await asyncio.sleep(self.interval)

    async def evaluate(self) -> int:
        """Compare every stream's levels now; returns how many outbox rows were written."""
        now = self.clock()
        window = window_ending(until=now, days=WINDOW_DAYS)
        async with self.sessionmaker() as session:
            streams = await streams_in(session, window)
        written = 0
        for stream in streams:
            written += await self.evaluate_stream(stream, window=window, now=now)
        return written

    async def evaluate_stream(self, stream: Stream, *, window: Window, now: datetime) -> int:
        filters = Filters(
            service=stream.service,
            cluster=stream.cluster or None,
            namespace=stream.namespace or None,
        )
        async with self.sessionmaker() as session:
            report = await compute_report(session, window=window, filters=filters, with_trend=False)
            changes = level_changes(await _seen(session, stream), levels_of(report))
            if not changes:
                return 0
            notices = [_notice(stream, change, report, now=now) for change in changes]
            for change in changes:
                await _store(session, stream, change, now=now)
            written = await enqueue_notices(
                session, [notice for notice in notices if notice is not None], now=now
            )
            await session.commit()
        return written


def _notice(
    stream: Stream, change: LevelChange, report: DoraReport, *, now: datetime
) -> Notice | None:
    if change.before is None or not change.dropped:
        return None
    return dora_level_notice(
        stream,
        metric=change.metric,
        before=change.before,
        after=change.after,
        value=value_of(report, change.metric),
        window_days=WINDOW_DAYS,
        at=now,
    )
