"""Rows behind operator actions: the idempotency claim, gate openings, and the action record
the API returns.

A claim is `INSERT ... ON CONFLICT DO NOTHING` on the unique idempotency key (SQLite and
PostgreSQL both have it): no savepoint, no exception, and under concurrency exactly one
request gets the new row while the others find the winner's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from portal.domain.canary_gates import Gate
from portal.models.audit import utcnow
from portal.models.gates import CanaryAction, GateOpening

Target = tuple[str, str, str]


class ActionRecord(BaseModel):
    """What an action did, as the API answers it (202)."""

    id: int | None
    cluster: str
    namespace: str
    name: str
    action: str
    outcome: str
    detail: str
    reason: str
    actor: str
    phase_before: str | None
    weight_before: int | None
    gate: str | None
    scope: str | None
    takes_effect: str
    audit_id: int
    requested_at: datetime


@dataclass(frozen=True, slots=True)
class Claim:
    """The action's id; `new` when this request made it, else what the earlier one did."""

    action_id: int | None
    new: bool
    detail: str = ""


def _insert(session: AsyncSession) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def _table(model: Any) -> Any:
    return model.metadata.tables[model.__tablename__]


async def claim_action(
    session: AsyncSession,
    *,
    key: str,
    target: Target,
    action: str,
    actor: str,
    reason: str,
    checksum: str | None,
    revision: str | None,
    reset_pending: bool,
) -> Claim:
    """Insert the action unless its idempotency key exists; the new id, or None."""
    cluster, namespace, name = target
    statement = (
        _insert(session)(_table(CanaryAction))
        .values(
            cluster=cluster,
            namespace=namespace,
            name=name,
            action=action,
            actor=actor[:255],
            reason=reason[:500],
            checksum=checksum,
            revision=revision,
            detail="",
            idempotency_key=key,
            reset_pending=reset_pending,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(_table(CanaryAction).c.id)
    )
    result = await session.exec(statement)
    row = result.first()
    return Claim(action_id=int(row[0]) if row is not None else None, new=row is not None)


async def existing_action(session: AsyncSession, *, key: str) -> Claim:
    """The earlier request that claimed `key`, described for the repeat's answer."""
    rows = await session.exec(select(CanaryAction).where(CanaryAction.idempotency_key == key))
    earlier = rows.first()
    if earlier is None:
        return Claim(None, new=False, detail="already requested")
    when = earlier.created_at.isoformat(timespec="seconds")
    detail = f"already requested by {earlier.actor} at {when} (action #{earlier.id})"
    return Claim(earlier.id, new=False, detail=detail)


async def open_gate(
    session: AsyncSession,
    target: Target,
    *,
    gate: Gate,
    checksum: str,
    template_hash: str | None,
    action_id: int,
) -> None:
    """Open `gate` for one run's checksum (or `*`), and for the pod template the operator saw;
    a second opening of the same run takes the newer template."""
    cluster, namespace, name = target
    statement = (
        _insert(session)(_table(GateOpening))
        .values(
            cluster=cluster,
            namespace=namespace,
            name=name,
            gate=gate.value,
            checksum=checksum,
            template_hash=template_hash,
            action_id=action_id,
            created_at=utcnow(),
        )
        .on_conflict_do_update(
            index_elements=["cluster", "namespace", "name", "gate", "checksum"],
            set_={"template_hash": template_hash, "action_id": action_id},
        )
    )
    await session.exec(statement)
