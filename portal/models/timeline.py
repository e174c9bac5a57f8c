"""The canary timeline and HPA history: rows that outlive Kubernetes' one-hour event TTL.

A run is one revision's trip through Flagger's analysis; timeline entries are the Flagger events
and phase/weight changes seen during it; HPA samples are replica counts over time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from portal.models.audit import utcnow
from portal.models.timestamps import UtcDateTime


class CanaryRun(SQLModel, table=True):
    __tablename__ = "canary_runs"
    __table_args__ = (
        UniqueConstraint("cluster", "namespace", "name", "started_at", name="uq_canary_runs_start"),
        Index("ix_canary_runs_canary_started", "cluster", "namespace", "name", "started_at"),
        Index(
            "ux_canary_runs_one_open",
            "cluster",
            "namespace",
            "name",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )
    """At most one open run per canary: the database refuses a twin whatever wrote it."""

    id: int | None = Field(default=None, primary_key=True)
    cluster: str = Field(max_length=128)
    namespace: str = Field(max_length=253)
    name: str = Field(max_length=253)
    revision: str | None = Field(default=None, max_length=128)
    image: str | None = Field(default=None, max_length=512)
    started_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False)
    )
    ended_at: datetime | None = Field(default=None, sa_column=Column(UtcDateTime(), nullable=True))
    outcome: str | None = Field(default=None, max_length=32)
    reason: str | None = Field(default=None, max_length=1000)


class TimelineEntry(SQLModel, table=True):
    __tablename__ = "canary_timeline"
    __table_args__ = (
        UniqueConstraint("dedupe_key", name="uq_canary_timeline_dedupe"),
        Index("ix_canary_timeline_canary_at", "cluster", "namespace", "name", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cluster: str = Field(max_length=128)
    namespace: str = Field(max_length=253)
    name: str = Field(max_length=253)
    run_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("canary_runs.id", ondelete="SET NULL"), nullable=True),
    )
    at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    category: str = Field(max_length=32)
    event_type: str = Field(default="Normal", max_length=16)
    message: str = Field(max_length=2000)
    source: str = Field(max_length=16)
    dedupe_key: str = Field(max_length=255)


class HpaSample(SQLModel, table=True):
    __tablename__ = "hpa_samples"
    __table_args__ = (Index("ix_hpa_samples_hpa_at", "cluster", "namespace", "name", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    cluster: str = Field(max_length=128)
    namespace: str = Field(max_length=253)
    name: str = Field(max_length=253)
    at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    current_replicas: int
    desired_replicas: int
