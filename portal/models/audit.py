"""The audit log: who did what to which object, why, and what came of it.

Written in the same transaction as the change it records; an operator action's row is written
as "requested" before its effect and its outcome completed once (`portal.services.actions_audit`),
never changed afterwards.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from portal.models.timestamps import UtcDateTime


def utcnow() -> datetime:
    return datetime.now(UTC)


class AuditEventBase(SQLModel):
    actor: str = Field(max_length=255)
    role: str = Field(max_length=32)
    source_ip: str | None = Field(default=None, max_length=64)
    action: str = Field(max_length=64)
    cluster: str | None = Field(default=None, max_length=128)
    namespace: str | None = Field(default=None, max_length=253)
    name: str | None = Field(default=None, max_length=253)
    reason: str | None = Field(default=None, max_length=2000)
    phase_before: str | None = Field(default=None, max_length=32)
    weight_before: int | None = Field(default=None)
    outcome: str = Field(max_length=32)
    error: str | None = Field(default=None, max_length=2000)
    request_id: str | None = Field(default=None, max_length=64)


class AuditEvent(AuditEventBase, table=True):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_at", "at"),
        Index("ix_audit_events_target", "cluster", "namespace", "name"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False))


class AuditEventPublic(AuditEventBase):
    id: int
    at: datetime
