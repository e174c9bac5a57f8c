"""Cost Explorer snapshots: one row per refresh attempt, shared by every replica.

A successful attempt carries the figures (`report`, JSON text); a failed one carries only its
reason, which marks the last good snapshot stale. Every row counts the billed requests it sent.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from portal.models.audit import utcnow
from portal.models.timestamps import UtcDateTime


class CostSnapshot(SQLModel, table=True):
    __tablename__ = "cost_snapshots"
    __table_args__ = (Index("ix_cost_snapshots_fetched_at", "fetched_at"),)

    id: int | None = Field(default=None, primary_key=True)
    fetched_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False)
    )
    trigger: str = Field(max_length=16)
    requests: int = Field(default=0)
    ok: bool
    error: str | None = Field(default=None, max_length=2000)
    report: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
