"""An action's audit row comes before its effect: written as "requested" and committed before
any Kubernetes call, then completed (applied, already ..., rejected, failed) in the transaction
that records the effect. A crash or a failed commit between the two leaves "requested": no
effect on a canary is ever unaudited."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from portal.models.audit import AuditEvent
from portal.services.actions_context import audit_by
from portal.services.audit import Actor

REQUESTED = "requested"


async def audit_requested(session: AsyncSession, actor: Actor, **fields: Any) -> int:
    """Write the "requested" row in a commit of its own (before any effect); its id."""
    event = await audit_by(session, actor, outcome=REQUESTED, **fields)
    await session.commit()
    assert event.id is not None
    return event.id


async def complete_audit(
    session: AsyncSession, audit_id: int, *, outcome: str, error: str | None = None
) -> AuditEvent:
    """Set the requested row's outcome (and error) in the caller's transaction."""
    event = await session.get(AuditEvent, audit_id)
    if event is None:  # pragma: no cover - the row was committed before the effect
        raise LookupError(f"audit row {audit_id} is gone")
    event.outcome = outcome[:32]
    event.error = error[:2000] if error else None
    session.add(event)
    await session.flush()
    return event
