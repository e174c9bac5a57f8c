"""Response models of the fleet API: the JSON field names ARCHITECTURE.md promises."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from portal.domain.canaries import CanaryView
from portal.domain.conditions import Condition
from portal.domain.hpas import HpaView
from portal.services.fleet import ClusterStatus


class TargetOut(BaseModel):
    kind: str
    name: str


class ClusterOut(BaseModel):
    name: str
    ready: bool = Field(description="first list of every watched kind done")
    stale: bool = Field(description="a watch is disconnected: data may be old")
    last_sync: datetime | None = Field(description="when the copy was last known current")
    errors: list[str]

    @classmethod
    def of(cls, status: ClusterStatus) -> ClusterOut:
        return cls(
            name=status.name,
            ready=status.ready,
            stale=status.stale,
            last_sync=status.last_sync,
            errors=list(status.errors),
        )


class CanaryOut(BaseModel):
    cluster: str
    namespace: str
    name: str
    target: TargetOut
    autoscaler: str | None
    strategy: str = Field(description="canary, blue-green or ab-testing")
    phase: str
    canary_weight: int = Field(description="traffic % really routed to the canary")
    max_weight: int
    step_weight: int
    step_weights: list[int]
    failed_checks: int
    threshold: int
    iterations: int
    max_iterations: int
    suspended: bool
    skip_analysis: bool
    interval_seconds: float
    progress: float = Field(ge=0, le=1)
    step_plan: list[int]
    current_step: int | None
    last_transition_time: datetime | None
    last_change: datetime | None = Field(
        description="when the canary last changed: for Failed, when it failed (Flagger rewrites"
        " a Failed status, so last_transition_time, every tick)"
    )
    revision: str | None
    needs_attention: bool
    attention_reasons: list[str]
    gates: list[str] = Field(description="portal gates the canary's webhooks call")

    @classmethod
    def of(cls, canary: CanaryView) -> CanaryOut:
        return cls(
            cluster=canary.cluster,
            namespace=canary.namespace,
            name=canary.name,
            target=TargetOut(kind=canary.target.kind, name=canary.target.name),
            autoscaler=canary.autoscaler,
            strategy=str(canary.strategy),
            phase=canary.phase,
            canary_weight=canary.canary_weight,
            max_weight=canary.max_weight,
            step_weight=canary.step_weight,
            step_weights=list(canary.step_weights),
            failed_checks=canary.failed_checks,
            threshold=canary.threshold,
            iterations=canary.iterations,
            max_iterations=canary.max_iterations,
            suspended=canary.suspended,
            skip_analysis=canary.skip_analysis,
            interval_seconds=canary.interval_seconds,
            progress=canary.progress,
            step_plan=list(canary.step_plan),
            current_step=canary.current_step,
            last_transition_time=canary.last_transition_time,
            last_change=canary.last_change,
            revision=canary.revision,
            needs_attention=canary.needs_attention,
            attention_reasons=list(canary.attention_reasons),
            gates=[str(gate) for gate in canary.gates],
        )


class CanaryList(BaseModel):
    items: list[CanaryOut]
    clusters: list[ClusterOut]


class WebhookOut(BaseModel):
    name: str
    type: str
    url: str
    timeout_seconds: float
    retries: int
    portal_gate: str | None


class MetricOut(BaseModel):
    name: str
    interval_seconds: float | None
    threshold_min: float | None
    threshold_max: float | None
    template: str | None
    last_value: float | None = Field(description="flagger_canary_metric_analysis, if known")


class ConditionOut(BaseModel):
    type: str
    status: str
    reason: str
    message: str

    @classmethod
    def of(cls, condition: Condition) -> ConditionOut:
        return cls(
            type=condition.type,
            status=condition.status,
            reason=condition.reason,
            message=condition.message,
        )


class TimelineEntryOut(BaseModel):
    at: datetime
    category: str
    event_type: str
    message: str
    source: str


class RunOut(BaseModel):
    id: int
    revision: str | None
    image: str | None
    started_at: datetime
    ended_at: datetime | None
    outcome: str | None
    reason: str | None
    duration_seconds: float | None
    timeline_from_events_only: bool = Field(
        description="no event webhook call was heard for this run: its timeline was rebuilt from"
        " Kubernetes Events, which client-go merges and drops, so entries may be missing"
    )


class GateHoldOut(BaseModel):
    gate: str
    reason: str = Field(description="the portal's 403 answer; Flagger's events never carry it")
    held_since: datetime | None = Field(description="first hold of this run in a row")
    last_asked_at: datetime = Field(description="Flagger's last call to the gate")
    frozen_by: str | None = Field(description="who froze changes, when a freeze holds it")
    frozen_since: datetime | None


class MeasuredMetricOut(BaseModel):
    metric: str
    value: float = Field(description="what Flagger measured (%, ms or raw, as the threshold)")
    threshold: float
    comparison: str = Field(description="'<' below the minimum, '>' above the maximum")
    at: datetime
    message: str


class CanaryDetail(CanaryOut):
    webhooks: list[WebhookOut]
    metrics: list[MetricOut]
    conditions: list[ConditionOut]
    image: str | None
    cluster_status: ClusterOut
    timeline: list[TimelineEntryOut]
    runs: list[RunOut]
    measured_metrics: list[MeasuredMetricOut] = Field(
        description="each metric's last failed measurement in the latest run, from its events"
    )
    gate_holds: list[GateHoldOut] = Field(
        description="why the portal's gates hold the run now (empty when nothing holds)"
    )


class HpaMetricOut(BaseModel):
    name: str
    kind: str
    current: str
    target: str
    current_value: float | None
    target_value: float | None
    unit: str


class HpaOut(BaseModel):
    cluster: str
    namespace: str
    name: str
    target: TargetOut
    min_replicas: int
    max_replicas: int
    current_replicas: int
    desired_replicas: int
    metrics: list[HpaMetricOut]
    conditions: list[ConditionOut]
    last_scale_time: datetime | None
    scaling_limited: bool
    canary: str | None
    is_primary: bool

    @classmethod
    def of(cls, hpa: HpaView) -> HpaOut:
        return cls(
            cluster=hpa.cluster,
            namespace=hpa.namespace,
            name=hpa.name,
            target=TargetOut(kind=hpa.target.kind, name=hpa.target.name),
            min_replicas=hpa.min_replicas,
            max_replicas=hpa.max_replicas,
            current_replicas=hpa.current_replicas,
            desired_replicas=hpa.desired_replicas,
            metrics=[
                HpaMetricOut(
                    name=m.name,
                    kind=m.kind,
                    current=m.current,
                    target=m.target,
                    current_value=m.current_value,
                    target_value=m.target_value,
                    unit=m.unit,
                )
                for m in hpa.metrics
            ],
            conditions=[ConditionOut.of(c) for c in hpa.conditions],
            last_scale_time=hpa.last_scale_time,
            scaling_limited=hpa.scaling_limited,
            canary=hpa.canary,
            is_primary=hpa.is_primary,
        )


class HpaList(BaseModel):
    items: list[HpaOut]
    clusters: list[ClusterOut]


class HpaSampleOut(BaseModel):
    at: datetime
    current_replicas: int
    desired_replicas: int


class HpaDetail(HpaOut):
    cluster_status: ClusterOut
    history: list[HpaSampleOut]
