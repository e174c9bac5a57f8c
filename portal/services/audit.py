"""The audit log: record what was done or refused, and read it back with filters.

`record_audit` adds the event to the caller's session, so an action and its audit record commit
or roll back together. Denied attempts are recorded by `portal.security.denials` in a short
transaction of their own, so the refusal cannot roll them back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator, model_validator
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from portal.models.audit import AuditEvent, AuditEventPublic

Outcome = Literal["applied", "noop", "rejected", "failed", "denied"]
"""Suggested outcomes; the column takes any short string."""

MAX_LIMIT = 500


@dataclass(frozen=True)
class Actor:
    """Who acts, as the audit log records them (see `portal.security.actors.CurrentActor`)."""

    name: str
    role: str
    source_ip: str | None = None
    request_id: str | None = None


def _clip(text: str | None, length: int) -> str | None:
    return None if text is None else text[:length]


async def record_audit(
    session: AsyncSession,
    *,
    actor: str,
    role: str,
    action: str,
    outcome: str,
    source_ip: str | None = None,
    cluster: str | None = None,
    namespace: str | None = None,
    name: str | None = None,
    reason: str | None = None,
    phase_before: str | None = None,
    weight_before: int | None = None,
    error: str | None = None,
    request_id: str | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Add one audit event to the session (flushed, so it has its id).

    Every text is clipped to its column: a denied request's target comes straight from its
    path, unvalidated, and a value longer than the column made PostgreSQL refuse the row (the
    denial went unaudited)."""
    event = AuditEvent(
        actor=actor[:255],
        role=role[:32],
        action=action[:64],
        outcome=outcome[:32],
        source_ip=source_ip[:64] if source_ip else None,
        cluster=_clip(cluster, 128),
        namespace=_clip(namespace, 253),
        name=_clip(name, 253),
        reason=_clip(reason, 2000),
        phase_before=_clip(phase_before, 32),
        weight_before=weight_before,
        error=_clip(error, 2000),
        request_id=_clip(request_id, 64),
    )
    if at is not None:
        event.at = at
    session.add(event)
    await session.flush()
    return event


class AuditQuery(BaseModel):
    """Filters of the audit log; every one optional, combined with AND."""

    actor: str | None = Field(default=None, max_length=255)
    action: str | None = Field(default=None, max_length=64)
    cluster: str | None = Field(default=None, max_length=128)
    namespace: str | None = Field(default=None, max_length=253)
    name: str | None = Field(default=None, max_length=253)
    outcome: str | None = Field(default=None, max_length=32)
    since: datetime | None = None
    until: datetime | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = 100

    @field_validator("since", "until")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        """Naive times are taken as UTC; all are compared in UTC (as they are stored)."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @model_validator(mode="after")
    def _window_is_ordered(self) -> AuditQuery:
        if self.since and self.until and self.since > self.until:
            raise ValueError("since must not be after until")
        return self


_EXACT_FILTERS = ("actor", "action", "cluster", "namespace", "name", "outcome")


def _filtered(query: AuditQuery) -> SelectOfScalar[AuditEvent]:
    statement = select(AuditEvent)
    for field in _EXACT_FILTERS:
        value = getattr(query, field)
        if value:
            statement = statement.where(getattr(AuditEvent, field) == value)
    if query.since:
        statement = statement.where(col(AuditEvent.at) >= query.since)
    if query.until:
        statement = statement.where(col(AuditEvent.at) <= query.until)
    return statement


async def list_audit(session: AsyncSession, *, query: AuditQuery) -> list[AuditEventPublic]:
    """Matching events, newest first, at most `query.limit`."""
    statement = _filtered(query).order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
    rows = await session.exec(statement.limit(query.limit))
    return [AuditEventPublic.model_validate(row) for row in rows]
