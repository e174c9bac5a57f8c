"""JSON shapes of `/api/v1/dora` (ARCHITECTURE.md and issue 14 point 4): seconds as numbers,
rates as fractions 0..1, null where there is no data. Built from the service's dataclasses with
`from_attributes`, so a field is written once."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from portal.domain.dora_levels import Level, LevelsTable


class Attributes(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class WindowOut(BaseModel):
    start: datetime
    end: datetime
    days: float


class FrequencyOut(Attributes):
    per_day: float | None
    deployment_days_per_week: float | None
    successful: int
    level: Level | None


class LeadTimeOut(Attributes):
    median_seconds: float | None
    p90_seconds: float | None
    changes: int
    level: Level | None


class CaughtFailuresOut(Attributes):
    count: int
    max_weight: int | None
    exposure_weight_seconds: float | None


class ReachedFailuresOut(Attributes):
    count: int
    exposure_weight_seconds: float | None


class FailureSplitOut(Attributes):
    """The failures caught at <= `caught_max_weight`% of traffic and those that reached
    production (PORTAL_DORA_CAUGHT_MAX_WEIGHT; docs/dora.md)."""

    caught_max_weight: int
    caught: CaughtFailuresOut
    reached_production: ReachedFailuresOut


class FailureRateOut(Attributes):
    rate: float | None
    failed: int
    total: int
    level: Level | None
    split: FailureSplitOut | None = None


class RecoveryOut(Attributes):
    median_seconds: float | None
    recoveries: int
    level: Level | None


class ReworkOut(Attributes):
    rate: float | None
    unplanned: int
    total: int


class WeekOut(Attributes):
    week_start: datetime
    week_end: datetime
    deployments: int
    successful: int
    failed: int
    change_failure_rate: float | None
    lead_time_median_seconds: float | None
    recovery_median_seconds: float | None
    rework_rate: float | None


class CanaryCaughtOut(Attributes):
    """Failed Flagger runs the canary stopped before full traffic vs failures that reached it."""

    caught: int
    caught_peak_weight: int | None
    caught_exposure_weight_seconds: float | None
    reached_production: int


class DoraOut(BaseModel):
    window: WindowOut
    filters: dict[str, str | None]
    deployment_frequency: FrequencyOut
    lead_time: LeadTimeOut
    change_failure_rate: FailureRateOut
    recovery_time: RecoveryOut
    rework_rate: ReworkOut
    levels_table: LevelsTable
    trend: list[WeekOut]
    canary_failures: CanaryCaughtOut


class DeploymentOut(Attributes):
    id: int
    source: str
    service: str
    environment: str
    cluster: str
    namespace: str
    revision: str | None
    image: str | None
    repo: str | None
    commit_sha: str | None
    started_at: datetime | None
    finished_at: datetime
    outcome: str
    failure_cause: str | None
    planned: bool
    peak_weight: int | None
    exposure_weight_seconds: float | None


class DeploymentPage(BaseModel):
    items: list[DeploymentOut]
    total: int
    offset: int
    limit: int


ServiceName = Annotated[str, StringConstraints(min_length=1, max_length=253)]
CommitSha = Annotated[
    str, StringConstraints(min_length=4, max_length=64, pattern=r"^[0-9A-Za-z._-]+$")
]


class DeploymentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: ServiceName
    environment: str = Field(default="production", min_length=1, max_length=128)
    cluster: str = Field(default="", max_length=128)
    namespace: str = Field(default="", max_length=253)
    revision: str | None = Field(default=None, max_length=128)
    image: str | None = Field(default=None, max_length=512)
    repo: str | None = Field(default=None, max_length=255)
    commit_sha: CommitSha | None = None
    started_at: AwareDatetime
    finished_at: AwareDatetime
    outcome: Literal["success", "failed"]
    failure_cause: str | None = Field(default=None, max_length=1000)
    hotfix: bool = False

    @model_validator(mode="after")
    def _finishes_after_start(self) -> DeploymentIn:
        if self.finished_at < self.started_at:
            raise ValueError("finished_at is before started_at")
        return self


class ChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    repo: str = Field(min_length=1, max_length=255)
    sha: CommitSha
    committed_at: AwareDatetime
    deployment_commit_sha: CommitSha | None = None


class IncidentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: ServiceName
    opened_at: AwareDatetime
    resolved_at: AwareDatetime | None = None
    deployment_commit_sha: CommitSha | None = None

    @model_validator(mode="after")
    def _resolves_after_opening(self) -> IncidentIn:
        if self.resolved_at is not None and self.resolved_at < self.opened_at:
            raise ValueError("resolved_at is before opened_at")
        return self


class Recorded(BaseModel):
    id: int
    status: Literal["recorded"] = "recorded"
