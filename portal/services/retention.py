"""Forget history older than the retention period (canary runs, timeline, HPA samples)."""

from __future__ import annotations

import asyncio
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

import structlog
from sqlmodel import col, delete
from sqlmodel.ext.asyncio.session import AsyncSession

from portal.db import SessionMaker
from portal.models import CanaryRun, HpaSample, TimelineEntry
from portal.services.loop_failures import LoopFailures
from portal.services.uninterrupted import uninterrupted

log = structlog.get_logger("portal.retention")
PURGE_EVERY_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class Purged:
    entries: int
    runs: int
    samples: int


async def purge_before(session: AsyncSession, *, cutoff: datetime) -> Purged:
    """Delete rows older than `cutoff`; runs only once they have ended before it."""
    entries = await session.exec(delete(TimelineEntry).where(col(TimelineEntry.at) < cutoff))
    runs = await session.exec(
        delete(CanaryRun)
        .where(col(CanaryRun.ended_at).is_not(None))
        .where(col(CanaryRun.ended_at) < cutoff)
    )
    samples = await session.exec(delete(HpaSample).where(col(HpaSample.at) < cutoff))
    return Purged(entries.rowcount, runs.rowcount, samples.rowcount)


async def _purge(sessionmaker: SessionMaker, *, cutoff: datetime) -> Purged:
    async with sessionmaker() as session:
        purged = await purge_before(session, cutoff=cutoff)
        await session.commit()
    return purged


async def keep_purging(
    sessionmaker: SessionMaker, *, retention_days: int, every: float = PURGE_EVERY_SECONDS
) -> None:
    """Purge once now, then every `every` seconds, until cancelled."""
    failures = LoopFailures(log, "history purge failed")
    while True:
        cutoff = datetime.now(UTC) - timedelta(days=retention_days)
        try:
            purged = await uninterrupted(_purge(sessionmaker, cutoff=cutoff))
            log.info("history purged", cutoff=cutoff.isoformat(), **asdict(purged))
        except Exception as error:
            failures.report(error)
        await asyncio.sleep(every)
