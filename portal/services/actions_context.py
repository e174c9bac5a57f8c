"""Who asks for an operator action or a freeze, and their audit record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from portal.models.audit import AuditEvent
from portal.services.audit import record_audit


@dataclass(frozen=True, slots=True)
class ActorContext:
    """The caller of an action: identity, role, source address and request id."""

    name: str
    role: str
    source_ip: str | None
    request_id: str | None


async def audit_by(
    session: AsyncSession, actor: ActorContext, *, action: str, outcome: str, **fields: Any
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
