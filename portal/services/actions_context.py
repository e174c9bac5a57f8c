"""The audit record of an operator action or a freeze, attributed to who asked."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from portal.models.audit import AuditEvent
from portal.services.audit import Actor, record_audit


async def audit_by(
    session: AsyncSession, actor: Actor, *, action: str, outcome: str, **fields: Any
) -> AuditEvent:
    """One audit row in the caller's transaction, attributed to `actor`."""
    return await record_audit(
        session,
        actor=actor.name,
        role=actor.role,
        source_ip=actor.source_ip,
        request_id=actor.request_id,
        action=action,
        outcome=outcome,
        **fields,
    )
