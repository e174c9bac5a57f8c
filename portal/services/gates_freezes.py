"""Change freezes: while one is active, confirm-rollout gates of its namespace (or of its whole
cluster) hold, so no new release starts. Runs already in progress carry on.

Freezes are rows, never deleted: lifting one records who lifted it and when, so the history
of freezes stays readable. Creating and lifting are audited in the same transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from portal.domain.gate_rules import FreezeFact
from portal.errors import NotFound
from portal.models.gates import Freeze, FreezePublic
from portal.services.actions_context import audit_by
from portal.services.audit import Actor
from portal.services.notification_hooks import notify_freeze


class FreezeNotFound(NotFound):
    """No change freeze with that id."""


@overload
def in_utc(value: datetime) -> datetime: ...
@overload
def in_utc(value: None) -> None: ...
@overload
def in_utc(value: datetime | None) -> datetime | None: ...


def in_utc(value: datetime | None) -> datetime | None:
    """SQLite hands timestamps back without their zone; they are stored in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def freeze_public(freeze: Freeze) -> FreezePublic:
    fields = freeze.model_dump()
    fields |= {
        "created_at": in_utc(freeze.created_at),
        "lifted_at": in_utc(freeze.lifted_at),
        "active": freeze.lifted_at is None,
    }
    return FreezePublic.model_validate(fields)


def freeze_scope(freeze: Freeze) -> str:
    if freeze.namespace:
        return f"namespace {freeze.namespace} of cluster {freeze.cluster}"
    return f"cluster {freeze.cluster}"


async def create_freeze(
    session: AsyncSession,
    *,
    cluster: str,
    namespace: str | None,
    reason: str,
    actor: Actor,
) -> FreezePublic:
    freeze = Freeze(cluster=cluster, namespace=namespace, reason=reason, created_by=actor.name)
    session.add(freeze)
    await session.flush()
    await notify_freeze(session, freeze, started=True)
    await audit_by(
        session,
        actor,
        action="freeze",
        outcome="applied",
        cluster=cluster,
        namespace=namespace,
        reason=reason,
    )
    return freeze_public(freeze)


async def lift_freeze(
    session: AsyncSession, *, freeze_id: int, actor: Actor, now: datetime
) -> FreezePublic:
    """Lift an active freeze; lifting a lifted one changes nothing and says so (idempotent)."""
    freeze = await session.get(Freeze, freeze_id)
    if freeze is None:
        raise FreezeNotFound(f"no change freeze #{freeze_id}")
    outcome = "noop"
    if freeze.lifted_at is None:
        freeze.lifted_at, freeze.lifted_by, outcome = now, actor.name, "applied"
        session.add(freeze)
        await session.flush()
        await notify_freeze(session, freeze, started=False)
    await audit_by(
        session,
        actor,
        action="unfreeze",
        outcome=outcome,
        cluster=freeze.cluster,
        namespace=freeze.namespace,
        reason=f"lift freeze #{freeze_id}: {freeze.reason}",
    )
    return freeze_public(freeze)


async def list_freezes(session: AsyncSession, *, active_only: bool) -> list[FreezePublic]:
    statement = select(Freeze)
    if active_only:
        statement = statement.where(col(Freeze.lifted_at).is_(None))
    rows = await session.exec(statement.order_by(col(Freeze.id).desc()))
    return [freeze_public(row) for row in rows]


async def active_freeze_for(
    session: AsyncSession, *, cluster: str, namespace: str
) -> FreezeFact | None:
    """The oldest active freeze covering this namespace (its own, or its cluster's)."""
    rows = await session.exec(
        select(Freeze)
        .where(
            Freeze.cluster == cluster,
            col(Freeze.lifted_at).is_(None),
            or_(col(Freeze.namespace).is_(None), Freeze.namespace == namespace),
        )
        .order_by(col(Freeze.id))
        .limit(1)
    )
    freeze = rows.first()
    if freeze is None or freeze.id is None:
        return None
    return FreezeFact(
        id=freeze.id,
        scope=freeze_scope(freeze),
        reason=freeze.reason,
        created_by=freeze.created_by,
        created_at=in_utc(freeze.created_at),
    )
