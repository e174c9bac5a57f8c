"""A deployment's recovery, kept on its row at ingest so the metrics never look back per row:
`follows_failure` (a success whose previous deployment in the stream failed) and
`recovery_seconds` (since the first failure of the streak it ended). Recorded for a deployment
and for the stream's later ones up to the next success, whose look-back it may change (a
deployment recorded out of order)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from portal.models.dora import DEPLOYMENTS, STREAM
from portal.services.dora_rollups import touch_days


def _stream(deployment: Any) -> list[Any]:
    return [DEPLOYMENTS.c[name] == getattr(deployment, name) for name in STREAM]


async def _before(
    connection: AsyncConnection, deployment: Any, *, outcome: str, first: bool
) -> Any:
    """The latest (or, `first`, earliest after the last success) finish of an `outcome`."""
    row = DEPLOYMENTS
    conditions = [*_stream(deployment), row.c.outcome == outcome]
    conditions.append(row.c.finished_epoch < deployment.finished_epoch)
    if not first:
        return (
            await connection.execute(select(func.max(row.c.finished_epoch)).where(*conditions))
        ).scalar()
    last_success = await _before(connection, deployment, outcome="success", first=False)
    if last_success is not None:
        conditions.append(row.c.finished_epoch > last_success)
    return (
        await connection.execute(select(func.min(row.c.finished_epoch)).where(*conditions))
    ).scalar()


async def _previous_outcome(connection: AsyncConnection, deployment: Any) -> str | None:
    row = DEPLOYMENTS
    statement = (
        select(row.c.outcome)
        .where(*_stream(deployment), row.c.finished_epoch < deployment.finished_epoch)
        .order_by(row.c.finished_epoch.desc())
        .limit(1)
    )
    found = (await connection.execute(statement)).scalar_one_or_none()
    return str(found) if found is not None else None


async def record_recovery(connection: AsyncConnection, deployment: Any) -> None:
    touch_days(connection, [deployment.finished_day])
    follows = deployment.outcome == "success" and (
        await _previous_outcome(connection, deployment) == "failed"
    )
    seconds = None
    if follows:
        streak = await _before(connection, deployment, outcome="failed", first=True)
        seconds = deployment.finished_epoch - streak if streak is not None else None
    await connection.execute(
        update(DEPLOYMENTS)
        .where(DEPLOYMENTS.c.id == deployment.id)
        .values(follows_failure=follows, recovery_seconds=seconds)
    )
