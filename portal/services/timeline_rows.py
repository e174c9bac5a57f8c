"""Row writers of the timeline: entries and HPA samples (the caller commits)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from portal.models import HpaSample, TimelineEntry

MESSAGE_LIMIT = 2000


@dataclass(frozen=True, slots=True)
class TimelineWrite:
    at: datetime
    category: str
    event_type: str
    message: str
    source: str
    dedupe_key: str


WEBHOOK_SOURCE = "webhook"
"""Entries Flagger's event webhook delivered: the faithful source (Flagger does not throttle
it), where Kubernetes Events are merged and dropped by client-go's correlator."""


def _insert_once(session: AsyncSession, *, source: str, values: dict[str, Any]) -> Any:
    """INSERT ... ON CONFLICT in the session's dialect (SQLite and PostgreSQL both have it): the
    same event seen twice is one row, and the rest of the write still stands. The webhook's copy
    marks the row as heard from the webhook whichever copy arrived first."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = TimelineEntry.metadata.tables[TimelineEntry.__tablename__]
    statement = insert(table).values(**values)
    if source == WEBHOOK_SOURCE:
        return statement.on_conflict_do_update(
            index_elements=["dedupe_key"], set_={"source": WEBHOOK_SOURCE}
        )
    return statement.on_conflict_do_nothing(index_elements=["dedupe_key"])


async def insert_entry(
    session: AsyncSession, *, key: tuple[str, str, str], entry: TimelineWrite, run_id: int | None
) -> bool:
    """Insert one entry unless its dedupe key is stored already; True when it was new (or, for
    the webhook's copy, when it marked a stored one)."""
    cluster, namespace, name = key
    values = {
        "cluster": cluster,
        "namespace": namespace,
        "name": name,
        "run_id": run_id,
        "at": entry.at,
        "category": entry.category,
        "event_type": entry.event_type,
        "message": entry.message[:MESSAGE_LIMIT],
        "source": entry.source,
        "dedupe_key": entry.dedupe_key[:255],
    }
    result = await session.exec(_insert_once(session, source=entry.source, values=values))
    return bool(getattr(result, "rowcount", 0))


async def insert_sample(
    session: AsyncSession,
    *,
    cluster: str,
    namespace: str,
    name: str,
    at: datetime,
    current: int,
    desired: int,
) -> None:
    session.add(
        HpaSample(
            cluster=cluster,
            namespace=namespace,
            name=name,
            at=at,
            current_replicas=current,
            desired_replicas=desired,
        )
    )
    await session.flush()
