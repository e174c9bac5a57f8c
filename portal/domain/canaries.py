"""The portal's typed view of one Flagger Canary, built from the raw object a watch delivers.

Everything the canary list, the canary page and the JSON API show comes from `CanaryView`: the
field names are the JSON contract (ARCHITECTURE.md). The view reports what Flagger really does,
not what its status fields literally say (see `canary_progress` for the weight traps).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from portal.domain.canary_analysis import Analysis, Strategy, build_analysis, step_plan
from portal.domain.canary_attention import AttentionFacts, attention_reasons, is_stuck
from portal.domain.canary_gates import Gate, miswired_hooks, wired_gates
from portal.domain.canary_metrics import MetricView
from portal.domain.canary_progress import (
    current_step,
    progress,
    provider_analysis,
    routed_weight,
)
from portal.domain.canary_status import (
    IN_FLIGHT_PHASES,
    CanaryStatus,
    build_canary_status,
    last_phase_change,
)
from portal.domain.canary_webhooks import WebhookView
from portal.domain.conditions import Condition
from portal.domain.raw_fields import bool_at, int_at, mapping_at, optional_str_at, str_at
from portal.domain.workload_readiness import deployment_ready

DEFAULT_PROGRESS_DEADLINE_SECONDS = 600
DEFAULT_MESH_PROVIDER = "istio"
"""Flagger's `-mesh-provider` flag default (cmd/flagger/main.go at v1.44.0)."""


@dataclass(frozen=True, slots=True)
class TargetRef:
    """The workload a Canary drives; Flagger runs the live copy as `<name>-primary`."""

    kind: str
    name: str

    @property
    def primary_name(self) -> str:
        return f"{self.name}-primary"


@dataclass(frozen=True, slots=True)
class Workloads:
    """The raw target and `-primary` Deployments of a canary, as watched (None: not seen)."""

    target: Mapping[str, Any] | None = None
    primary: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class CanaryView:
    """One Canary as the portal shows it (field names are the JSON API's)."""

    cluster: str
    namespace: str
    name: str
    uid: str
    target: TargetRef
    autoscaler: str | None
    provider: str | None
    strategy: Strategy
    mirror: bool
    phase: str
    progressing: bool
    canary_weight: int
    raw_canary_weight: int
    max_weight: int
    step_weight: int
    step_weights: tuple[int, ...]
    step_weight_promotion: int
    failed_checks: int
    threshold: int
    iterations: int
    max_iterations: int
    suspended: bool
    skip_analysis: bool
    interval_seconds: float
    progress_deadline_seconds: int
    progress: float
    step_plan: tuple[int, ...]
    current_step: int | None
    webhooks: tuple[WebhookView, ...]
    metrics: tuple[MetricView, ...]
    gates: tuple[Gate, ...]
    last_transition_time: datetime | None
    last_change: datetime | None
    """When the canary last really changed (a Failed canary's phase change, not its tick)."""
    last_applied_spec: str | None
    last_promoted_spec: str | None
    tracked_configs: tuple[tuple[str, str], ...]
    conditions: tuple[Condition, ...]
    stuck: bool
    primary_ready: bool | None
    """Whether `<target>-primary` has all its replicas ready (None: not known)."""
    target_ready: bool | None
    """Whether the target (the canary workload) has all its replicas ready (None: not known)."""
    needs_attention: bool
    attention_reasons: tuple[str, ...]

    @property
    def revision(self) -> str | None:
        """The revision under (or last under) analysis: Flagger's `lastAppliedSpec` hash."""
        return self.last_applied_spec

    def is_wired_to(self, gate: Gate) -> bool:
        """Whether the canary calls the portal's `gate`."""
        return gate in self.gates


def build_canary_view(
    obj: Mapping[str, Any],
    *,
    cluster: str,
    now: datetime,
    mesh_provider: str = DEFAULT_MESH_PROVIDER,
    workloads: Workloads | None = None,
) -> CanaryView:
    """The view of a Canary object as the Kubernetes API returns it (JSON-decoded).

    `now` (timezone-aware) is when the view is built; it only decides whether a run is stuck.
    `mesh_provider` is the cluster's Flagger `-mesh-provider` flag, used when spec.provider is
    unset (scheduler.go:176-180 at v1.44.0). `workloads` are the watched target and primary
    Deployments, when known.
    """
    found = workloads or Workloads()
    metadata, spec = mapping_at(obj, "metadata"), mapping_at(obj, "spec")
    namespace = str_at(metadata, "namespace", default="default")
    provider = optional_str_at(spec, "provider")
    effective = provider or mesh_provider
    analysis = provider_analysis(
        build_analysis(mapping_at(spec, "analysis"), namespace=namespace), provider=effective
    )
    status = build_canary_status(mapping_at(obj, "status"))
    plan = step_plan(analysis)
    weight = routed_weight(analysis, status=status, plan=plan, provider=effective)
    facts = _attention_facts(spec, analysis=analysis, status=status)
    reasons = attention_reasons(facts, now=now)
    return CanaryView(
        cluster=cluster,
        namespace=namespace,
        name=str_at(metadata, "name"),
        uid=str_at(metadata, "uid"),
        target=_target_ref(spec),
        autoscaler=optional_str_at(mapping_at(spec, "autoscalerRef"), "name"),
        provider=provider,
        strategy=analysis.strategy,
        mirror=analysis.mirror,
        phase=status.phase,
        progressing=status.phase in IN_FLIGHT_PHASES,
        canary_weight=weight,
        raw_canary_weight=status.canary_weight,
        max_weight=analysis.max_weight,
        step_weight=analysis.step_weight,
        step_weights=analysis.step_weights,
        step_weight_promotion=analysis.step_weight_promotion,
        failed_checks=status.failed_checks,
        threshold=analysis.threshold,
        iterations=max(status.iterations, 0),
        max_iterations=analysis.iterations,
        suspended=facts.suspended,
        skip_analysis=facts.skip_analysis,
        interval_seconds=analysis.interval_seconds,
        progress_deadline_seconds=_progress_deadline_seconds(spec),
        progress=progress(analysis, status=status, weight=weight),
        step_plan=plan,
        current_step=current_step(plan, analysis=analysis, status=status, weight=weight),
        webhooks=analysis.webhooks,
        metrics=analysis.metrics,
        gates=wired_gates(analysis.webhooks),
        last_transition_time=status.last_transition_time,
        last_change=last_phase_change(status),
        last_applied_spec=status.last_applied_spec,
        last_promoted_spec=status.last_promoted_spec,
        tracked_configs=status.tracked_configs,
        conditions=status.conditions,
        stuck=is_stuck(facts, now=now),
        primary_ready=deployment_ready(found.primary),
        target_ready=deployment_ready(found.target),
        needs_attention=bool(reasons),
        attention_reasons=reasons,
    )


def _target_ref(spec: Mapping[str, Any]) -> TargetRef:
    target = mapping_at(spec, "targetRef")
    return TargetRef(kind=str_at(target, "kind", default="Deployment"), name=str_at(target, "name"))


def _progress_deadline_seconds(spec: Mapping[str, Any]) -> int:
    deadline = int_at(spec, "progressDeadlineSeconds")
    return deadline if deadline > 0 else DEFAULT_PROGRESS_DEADLINE_SECONDS


def _attention_facts(
    spec: Mapping[str, Any], *, analysis: Analysis, status: CanaryStatus
) -> AttentionFacts:
    return AttentionFacts(
        phase=status.phase,
        raw_canary_weight=status.canary_weight,
        failed_checks=status.failed_checks,
        threshold=analysis.threshold,
        suspended=bool_at(spec, "suspend"),
        skip_analysis=bool_at(spec, "skipAnalysis"),
        interval_seconds=analysis.interval_seconds,
        last_transition_time=status.last_transition_time,
        miswired_hooks=miswired_hooks(analysis.webhooks),
    )
