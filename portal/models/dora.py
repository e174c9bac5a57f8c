"""DORA facts: every deployment, change (commit), link between them and incident is a row.

Natural keys make every ingest idempotent: a replayed Flagger run, a redelivered GitHub webhook
or a CI retry finds its row already there. Times are stored twice: as timestamps for people and
as epoch seconds (`*_epoch`) plus a UTC day number, so the metrics are portable SQL arithmetic on
SQLite and PostgreSQL alike; a change's lead time is computed once, when it is linked.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from portal.models.audit import utcnow
from portal.models.timestamps import UtcDateTime


class Deployment(SQLModel, table=True):
    __tablename__ = "dora_deployments"
    __table_args__ = (
        UniqueConstraint("source", "external_key", name="uq_dora_deployments_key"),
        Index("ix_dora_deployments_finished", "finished_epoch"),
        Index(
            "ix_dora_deployments_stream",
            "service",
            "environment",
            "cluster",
            "namespace",
            "finished_epoch",
        ),
        Index("ix_dora_deployments_commit", "commit_sha"),
        Index("ix_dora_deployments_recovery", "recovery_bucket", "finished_epoch"),
        Index(
            "ix_dora_deployments_outcome",
            "outcome",
            "finished_epoch",
            postgresql_include=[
                "source",
                "failure_cause",
                "peak_weight",
                "exposure_weight_seconds",
                "service",
            ],
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=16)
    external_key: str = Field(max_length=512)
    service: str = Field(max_length=253)
    environment: str = Field(default="production", max_length=128)
    cluster: str = Field(default="", max_length=128)
    namespace: str = Field(default="", max_length=253)
    revision: str | None = Field(default=None, max_length=128)
    image: str | None = Field(default=None, max_length=512)
    repo: str | None = Field(default=None, max_length=255)
    commit_sha: str | None = Field(default=None, max_length=64)
    started_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    finished_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    finished_epoch: float = Field(sa_column=Column(Float, nullable=False))
    finished_day: int = Field(sa_column=Column(Integer, nullable=False))
    outcome: str = Field(max_length=16)
    failure_cause: str | None = Field(default=None, max_length=1000)
    planned: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))
    follows_failure: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default="0")
    )
    """A success whose previous deployment in the stream failed (kept current at ingest)."""
    recovery_seconds: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    """For such a success: seconds since the first failure of the streak it ended."""
    recovery_bucket: int | None = Field(default=None)
    """`recovery_seconds`' rank bucket (portal/domain/dora_buckets.py), kept by the rollups."""
    peak_weight: int | None = Field(default=None)
    exposure_weight_seconds: float | None = Field(
        default=None, sa_column=Column(Float, nullable=True)
    )
    received_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False)
    )


class Change(SQLModel, table=True):
    """A commit that reached a deployable branch; no author data is kept."""

    __tablename__ = "dora_changes"
    __table_args__ = (
        UniqueConstraint("repo", "sha", name="uq_dora_changes_key"),
        Index("ix_dora_changes_push", "repo", "push_head"),
        Index("ix_dora_changes_named", "deployment_commit_sha"),
    )

    id: int | None = Field(default=None, primary_key=True)
    repo: str = Field(max_length=255)
    sha: str = Field(max_length=64)
    committed_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    committed_epoch: float = Field(sa_column=Column(Float, nullable=False))
    push_head: str | None = Field(default=None, max_length=64)
    """The `after` of the push that brought this commit to the default branch."""
    deployment_commit_sha: str | None = Field(default=None, max_length=64)
    """The deployed commit an ingest call named this change part of."""


class Push(SQLModel, table=True):
    """One push to a default branch: the chain of `before` → `after` gives the commits between
    two deployed commits without a clone of the repository."""

    __tablename__ = "dora_pushes"
    __table_args__ = (
        UniqueConstraint("repo", "after", name="uq_dora_pushes_key"),
        Index("ix_dora_pushes_after", "after"),
    )

    id: int | None = Field(default=None, primary_key=True)
    repo: str = Field(max_length=255)
    before: str = Field(max_length=64)
    after: str = Field(max_length=64)


class DeploymentChange(SQLModel, table=True):
    __tablename__ = "dora_deployment_changes"
    __table_args__ = (
        UniqueConstraint("deployment_id", "change_id", name="uq_dora_links_key"),
        Index("ix_dora_links_change", "change_id"),
        Index("ix_dora_links_bucket", "lead_bucket", "finished_epoch", "lead_seconds"),
        Index("ix_dora_links_finished", "finished_epoch"),
    )

    id: int | None = Field(default=None, primary_key=True)
    deployment_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("dora_deployments.id", ondelete="CASCADE"), nullable=False
        )
    )
    change_id: int = Field(
        sa_column=Column(Integer, ForeignKey("dora_changes.id", ondelete="CASCADE"), nullable=False)
    )
    lead_seconds: float = Field(sa_column=Column(Float, nullable=False))
    finished_epoch: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    """The deployment's finish, kept by the rollups (dora_rollups.py)."""
    lead_bucket: int | None = Field(default=None)
    """The lead time's rank bucket when it counts (a successful deployment, positive lead)."""


class Incident(SQLModel, table=True):
    __tablename__ = "dora_incidents"
    __table_args__ = (
        UniqueConstraint("service", "opened_at", name="uq_dora_incidents_key"),
        Index("ix_dora_incidents_resolved", "resolved_epoch"),
        Index("ix_dora_incidents_deployment", "deployment_id"),
        Index("ix_dora_incidents_bucket", "recovery_bucket", "resolved_epoch"),
    )

    id: int | None = Field(default=None, primary_key=True)
    service: str = Field(max_length=253)
    opened_at: datetime = Field(sa_column=Column(UtcDateTime(), nullable=False))
    opened_epoch: float = Field(sa_column=Column(Float, nullable=False))
    resolved_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    resolved_epoch: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    recovery_bucket: int | None = Field(default=None)
    """The rank bucket of `resolved_epoch - opened_epoch` when resolved (not before opened)."""
    deployment_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey("dora_deployments.id", ondelete="SET NULL"), nullable=True
        ),
    )


class GithubDelivery(SQLModel, table=True):
    """A GitHub webhook delivery stored before it is processed (answered within a second)."""

    __tablename__ = "github_deliveries"
    __table_args__ = (UniqueConstraint("delivery_id", name="uq_github_deliveries_id"),)

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: str = Field(max_length=64)
    event: str = Field(max_length=64)
    body: str = Field(sa_column=Column(Text, nullable=False))
    received_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UtcDateTime(), nullable=False)
    )
    processed_at: datetime | None = Field(
        default=None, sa_column=Column(UtcDateTime(), nullable=True)
    )
    result: str | None = Field(default=None, max_length=1000)


class RollupDay(SQLModel, table=True):
    """The fleet's deployments finished on one UTC day, counted as the metrics count them;
    recomputed from the facts for every day an ingest touches (dora_rollups.py)."""

    __tablename__ = "dora_rollup_days"

    day: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    total: int
    successful: int
    failed: int
    unplanned: int


class RollupLeadBucket(SQLModel, table=True):
    """How many counted lead times of the day's successful deployments fall in each bucket."""

    __tablename__ = "dora_rollup_lead_buckets"

    day: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    bucket: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    count: int
    low: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    """The smallest of them (migration 0015; None from a writer before it), `high` the largest,
    and how many of them equal each."""
    low_count: int | None = Field(default=None)
    high: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    high_count: int | None = Field(default=None)


class RollupRecoveryBucket(SQLModel, table=True):
    """How many deployment recoveries completed on the day fall in each bucket."""

    __tablename__ = "dora_rollup_recovery_buckets"

    day: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    bucket: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    count: int
    low: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    """The smallest of them (migration 0015; None from a writer before it), `high` the largest,
    and how many of them equal each."""
    low_count: int | None = Field(default=None)
    high: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    high_count: int | None = Field(default=None)


class RollupFailure(SQLModel, table=True):
    """The day's failures (failed, or linked to an incident) by kind: `canary` 1 for rolled-back
    Flagger runs (not `promotion-failed`) at each `weight`, their peak routed weight (none
    recorded: 0), and 0 for every other failure (weight 0); how many, their highest recorded
    peak weight and summed exposure (dora_rollups.failure_statements)."""

    __tablename__ = "dora_rollup_failures"

    day: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    canary: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    weight: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    count: int
    peak: int | None = Field(default=None)
    exposure: float | None = Field(default=None, sa_column=Column(Float, nullable=True))


STREAM = ("service", "environment", "cluster", "namespace")
"""A service's deployments form one stream per environment, cluster and namespace."""

# Core handles for the set-based queries of the DORA services.
DEPLOYMENTS = SQLModel.metadata.tables["dora_deployments"]
CHANGES = SQLModel.metadata.tables["dora_changes"]
PUSHES = SQLModel.metadata.tables["dora_pushes"]
LINKS = SQLModel.metadata.tables["dora_deployment_changes"]
INCIDENTS = SQLModel.metadata.tables["dora_incidents"]
ROLLUP_DAYS = SQLModel.metadata.tables["dora_rollup_days"]
ROLLUP_LEADS = SQLModel.metadata.tables["dora_rollup_lead_buckets"]
ROLLUP_RECOVERIES = SQLModel.metadata.tables["dora_rollup_recovery_buckets"]
ROLLUP_FAILURES = SQLModel.metadata.tables["dora_rollup_failures"]
