"""Typed, read-only views of a Canary object: what the Flagger decision logic reads.

The decision logic must not poke into nested dicts; these views parse a Canary once, apply
Flagger's defaults (interval 60s with a 10s floor, threshold <= 0 means 1, maxWeight 0 means 100)
and name the strategy the spec selects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from devcluster.simulation.durations import parse_duration

TOTAL_WEIGHT = 100
DEFAULT_INTERVAL_SECONDS = 60.0
MIN_INTERVAL_SECONDS = 10.0
DEFAULT_HOOK_TIMEOUT_SECONDS = 10.0
DEFAULT_PROGRESS_DEADLINE_SECONDS = 600.0


class Strategy(StrEnum):
    """The deployment strategy a Canary spec selects."""

    CANARY = "canary"
    BLUE_GREEN = "blue-green"
    AB_TESTING = "ab-testing"


@dataclass(frozen=True)
class Webhook:
    """One `analysis.webhooks[]` entry."""

    name: str
    type: str
    url: str
    timeout_seconds: float = DEFAULT_HOOK_TIMEOUT_SECONDS
    retries: int = 0
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Metric:
    """One `analysis.metrics[]` entry (only what the simulated checks report against)."""

    name: str
    minimum: float | None = None
    maximum: float | None = None
    template: bool = False
    """Whether it reads a MetricTemplate (`templateRef`) rather than a builtin check."""


@dataclass(frozen=True)
class Analysis:
    """`spec.analysis` with Flagger's defaults applied."""

    interval_seconds: float = DEFAULT_INTERVAL_SECONDS
    threshold: int = 1
    max_weight: int = TOTAL_WEIGHT
    step_weight: int = 0
    step_weights: tuple[int, ...] = ()
    step_weight_promotion: int = 0
    iterations: int = 0
    has_match: bool = False
    metrics: tuple[Metric, ...] = ()
    webhooks: tuple[Webhook, ...] = ()

    @property
    def strategy(self) -> Strategy:
        if self.iterations > 0 and self.has_match:
            return Strategy.AB_TESTING
        if self.iterations > 0:
            return Strategy.BLUE_GREEN
        return Strategy.CANARY

    def hooks_of(self, *types: str) -> tuple[Webhook, ...]:
        return tuple(hook for hook in self.webhooks if hook.type in types)


@dataclass(frozen=True)
class CanaryStatus:
    """The status fields the decision logic reads and writes (exact Flagger JSON names)."""

    phase: str = ""
    failed_checks: int = 0
    canary_weight: int = 0
    iterations: int = 0
    last_applied_spec: str = ""
    last_promoted_spec: str = ""
    tracked_configs: dict[str, str] | None = None
    """None while status has no `trackedConfigs` (Go's nil map: it changes the checksum)."""
    conditions: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Canary:
    """A Canary's identity, the parts of its spec the simulation honours, and its status."""

    name: str
    namespace: str
    target_kind: str
    target_name: str
    autoscaler_name: str | None
    analysis: Analysis
    status: CanaryStatus
    suspend: bool = False
    skip_analysis: bool = False
    provider: str = ""
    progress_deadline_seconds: float = DEFAULT_PROGRESS_DEADLINE_SECONDS

    @property
    def key(self) -> str:
        return f"{self.name}.{self.namespace}"

    @property
    def target_key(self) -> str:
        return f"{self.target_name}.{self.namespace}"


def parse_canary(*, obj: dict[str, Any]) -> Canary:
    """Build the view of a Canary object as the API returns it."""
    metadata, spec = obj.get("metadata", {}), obj.get("spec", {})
    target, autoscaler = spec.get("targetRef", {}), spec.get("autoscalerRef")
    return Canary(
        name=metadata["name"],
        namespace=metadata.get("namespace", "default"),
        target_kind=target.get("kind", "Deployment"),
        target_name=target.get("name", ""),
        autoscaler_name=autoscaler.get("name") if isinstance(autoscaler, dict) else None,
        analysis=parse_analysis(spec=spec.get("analysis") or {}),
        status=parse_status(status=obj.get("status") or {}),
        suspend=bool(spec.get("suspend", False)),
        skip_analysis=bool(spec.get("skipAnalysis", False)),
        provider=str(spec.get("provider", "")),
        progress_deadline_seconds=float(
            spec.get("progressDeadlineSeconds", DEFAULT_PROGRESS_DEADLINE_SECONDS)
        ),
    )


def parse_analysis(*, spec: dict[str, Any]) -> Analysis:
    """Apply Flagger's defaults to `spec.analysis`."""
    interval = parse_duration(text=spec["interval"]) if spec.get("interval") else None
    threshold = int(spec.get("threshold", 0))
    return Analysis(
        interval_seconds=max(interval or DEFAULT_INTERVAL_SECONDS, MIN_INTERVAL_SECONDS),
        threshold=threshold if threshold > 0 else 1,
        max_weight=int(spec.get("maxWeight", 0)) or TOTAL_WEIGHT,
        step_weight=int(spec.get("stepWeight", 0)),
        step_weights=tuple(int(step) for step in spec.get("stepWeights") or ()),
        step_weight_promotion=int(spec.get("stepWeightPromotion", 0)),
        iterations=int(spec.get("iterations", 0)),
        has_match=bool(spec.get("match")),
        metrics=tuple(_parse_metric(spec=metric) for metric in spec.get("metrics") or ()),
        webhooks=tuple(_parse_webhook(spec=hook) for hook in spec.get("webhooks") or ()),
    )


def parse_status(*, status: dict[str, Any]) -> CanaryStatus:
    """Read the Flagger status fields, treating absent ones as Flagger's zero values."""
    return CanaryStatus(
        phase=status.get("phase", ""),
        failed_checks=int(status.get("failedChecks", 0)),
        canary_weight=int(status.get("canaryWeight", 0)),
        iterations=int(status.get("iterations", 0)),
        last_applied_spec=status.get("lastAppliedSpec", ""),
        last_promoted_spec=status.get("lastPromotedSpec", ""),
        tracked_configs=(
            dict(status["trackedConfigs"]) if status.get("trackedConfigs") is not None else None
        ),
        conditions=tuple(status.get("conditions") or ()),
    )


def _parse_metric(*, spec: dict[str, Any]) -> Metric:
    bounds = spec.get("thresholdRange") or {}
    legacy = spec.get("threshold")
    minimum, maximum = bounds.get("min"), bounds.get("max")
    if not bounds and legacy is not None:
        # Flagger's pre-thresholdRange `threshold`: a floor for the success rate, a ceiling else.
        if spec["name"] == "request-success-rate":
            minimum = legacy
        else:
            maximum = legacy
    return Metric(
        name=spec["name"],
        minimum=minimum,
        maximum=maximum,
        template=bool(spec.get("templateRef")),
    )


def _parse_webhook(*, spec: dict[str, Any]) -> Webhook:
    timeout = spec.get("timeout", "")
    return Webhook(
        name=spec["name"],
        type=spec.get("type", "") or "rollout",
        url=spec["url"],
        timeout_seconds=parse_duration(text=timeout) if len(timeout) >= 2 else 10.0,
        retries=int(spec.get("retries", 0)),
        metadata={str(k): str(v) for k, v in (spec.get("metadata") or {}).items()},
    )


def max_weight(*, analysis: Analysis) -> int:
    """The weight at which a canary-strategy run asks for promotion (Flagger's maxWeight())."""
    if analysis.step_weights:
        return min(TOTAL_WEIGHT, analysis.step_weights[-1])
    return analysis.max_weight


def next_step_weight(*, analysis: Analysis, canary_weight: int) -> int:
    """How far the next step moves the canary weight (Flagger's nextStepWeight())."""
    if analysis.step_weight > 0 or not analysis.step_weights:
        return analysis.step_weight
    max_step = TOTAL_WEIGHT - canary_weight
    if max_step == 0:
        return 1
    if canary_weight == 0:
        return min(max_step, analysis.step_weights[0])
    for current, following in zip(analysis.step_weights, analysis.step_weights[1:], strict=False):
        if current == canary_weight:
            return min(max_step, following - canary_weight)
    return max_step
