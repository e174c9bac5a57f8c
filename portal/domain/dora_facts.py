"""DORA facts as every source reports them (Flagger runs, GitHub, any CI), before they are
stored: plain values, so the parsers of each source stay pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class DeploymentFact:
    source: str
    external_key: str
    service: str
    finished_at: datetime
    outcome: str
    environment: str = "production"
    cluster: str = ""
    namespace: str = ""
    revision: str | None = None
    image: str | None = None
    repo: str | None = None
    commit_sha: str | None = None
    started_at: datetime | None = None
    failure_cause: str | None = None
    planned: bool = True
    peak_weight: int | None = None
    exposure_weight_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class ChangeFact:
    repo: str
    sha: str
    committed_at: datetime
    push_head: str | None = None
    deployment_commit_sha: str | None = None


@dataclass(frozen=True, slots=True)
class IncidentFact:
    service: str
    opened_at: datetime
    resolved_at: datetime | None = None
    deployment_id: int | None = None
