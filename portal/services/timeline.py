"""Read the stored history: canary runs and timeline entries, HPA replica samples."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from portal.models import CanaryRun, HpaSample, TimelineEntry
from portal.services.timeline_rows import WEBHOOK_SOURCE

HpaKey = tuple[str, str, str]


async def canary_timeline(
    session: AsyncSession, *, cluster: str, namespace: str, name: str, limit: int = 100
) -> list[TimelineEntry]:
    """The newest `limit` entries of one canary, newest first."""
    statement = (
        select(TimelineEntry)
        .where(TimelineEntry.cluster == cluster)
        .where(TimelineEntry.namespace == namespace)
        .where(TimelineEntry.name == name)
        .order_by(col(TimelineEntry.at).desc(), col(TimelineEntry.id).desc())
        .limit(limit)
    )
    return list((await session.exec(statement)).all())


async def canary_runs(
    session: AsyncSession, *, cluster: str, namespace: str, name: str, limit: int = 20
) -> list[CanaryRun]:
    statement = (
        select(CanaryRun)
        .where(CanaryRun.cluster == cluster)
        .where(CanaryRun.namespace == namespace)
        .where(CanaryRun.name == name)
        .order_by(col(CanaryRun.started_at).desc(), col(CanaryRun.id).desc())
        .limit(limit)
    )
    return list((await session.exec(statement)).all())


async def runs_from_events_only(session: AsyncSession, *, run_ids: list[int]) -> frozenset[int]:
    """The runs among `run_ids` whose Flagger events all came from Kubernetes Events, none
    from the event webhook: client-go's correlator merged and dropped some of them, so their
    timeline may miss entries."""
    if not run_ids:
        return frozenset()
    statement = (
        select(TimelineEntry.run_id, TimelineEntry.source)
        .where(col(TimelineEntry.run_id).in_(run_ids))
        .where(TimelineEntry.category == "event")
        .distinct()
    )
    sources: dict[int, set[str]] = defaultdict(set)
    for run_id, source in (await session.exec(statement)).all():
        if run_id is not None:
            sources[run_id].add(source)
    return frozenset(run for run, seen in sources.items() if WEBHOOK_SOURCE not in seen)


async def hpa_history(
    session: AsyncSession,
    *,
    since: datetime,
    cluster: str | None = None,
    namespace: str | None = None,
    name: str | None = None,
) -> dict[HpaKey, list[HpaSample]]:
    """Samples since `since`, oldest first, grouped per HPA."""
    statement = select(HpaSample).where(HpaSample.at >= since)
    if cluster is not None:
        statement = statement.where(HpaSample.cluster == cluster)
    if namespace is not None:
        statement = statement.where(HpaSample.namespace == namespace)
    if name is not None:
        statement = statement.where(HpaSample.name == name)
    statement = statement.order_by(col(HpaSample.at), col(HpaSample.id))
    grouped: dict[HpaKey, list[HpaSample]] = defaultdict(list)
    for sample in (await session.exec(statement)).all():
        grouped[(sample.cluster, sample.namespace, sample.name)].append(sample)
    return dict(grouped)
