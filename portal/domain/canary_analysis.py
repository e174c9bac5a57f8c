"""`spec.analysis` of a Canary with Flagger v1.44's defaults, strategy and step arithmetic.

Flagger derives the strategy from the spec (iterations with `match` is A/B, iterations alone is
Blue/Green, otherwise weighted canary) and applies defaults a UI must repeat to be right:
interval 60s with a 10s floor (an unparsable interval also means 60s), threshold <= 0 means 1,
maxWeight 0 means 100, and with `stepWeights` the last entry is the maximum.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from portal.domain.canary_metrics import MetricView, build_metrics
from portal.domain.canary_webhooks import WebhookView, build_webhooks
from portal.domain.durations import parse_go_duration
from portal.domain.raw_fields import bool_at, int_at, list_at, str_at

TOTAL_WEIGHT = 100
DEFAULT_INTERVAL_SECONDS = 60.0
MIN_INTERVAL_SECONDS = 10.0


class Strategy(StrEnum):
    """The deployment strategy a Canary spec selects."""

    CANARY = "canary"
    BLUE_GREEN = "blue-green"
    AB_TESTING = "ab-testing"


@dataclass(frozen=True, slots=True)
class Analysis:
    """`spec.analysis` with Flagger's defaults applied."""

    strategy: Strategy
    mirror: bool
    interval_seconds: float
    threshold: int
    max_weight: int
    step_weight: int
    step_weights: tuple[int, ...]
    step_weight_promotion: int
    iterations: int
    metrics: tuple[MetricView, ...]
    webhooks: tuple[WebhookView, ...]


def build_analysis(spec: Mapping[str, Any], *, namespace: str) -> Analysis:
    """The analysis settings of `spec.analysis` (an empty mapping gives Flagger's defaults)."""
    iterations = int_at(spec, "iterations")
    step_weights = tuple(int(w) for w in list_at(spec, "stepWeights") if _is_number(w))
    return Analysis(
        strategy=strategy_of(iterations=iterations, has_match=bool(list_at(spec, "match"))),
        mirror=bool_at(spec, "mirror"),
        interval_seconds=interval_seconds_of(str_at(spec, "interval")),
        threshold=max(int_at(spec, "threshold"), 1),
        max_weight=max_weight_of(max_weight=int_at(spec, "maxWeight"), step_weights=step_weights),
        step_weight=int_at(spec, "stepWeight"),
        step_weights=step_weights,
        step_weight_promotion=int_at(spec, "stepWeightPromotion"),
        iterations=iterations,
        metrics=build_metrics(list_at(spec, "metrics"), namespace=namespace),
        webhooks=build_webhooks(list_at(spec, "webhooks")),
    )


def strategy_of(*, iterations: int, has_match: bool) -> Strategy:
    """Flagger's strategy choice: iterations select Blue/Green, or A/B with `match`."""
    if iterations > 0:
        return Strategy.AB_TESTING if has_match else Strategy.BLUE_GREEN
    return Strategy.CANARY


def interval_seconds_of(text: str) -> float:
    """`analysis.interval` in seconds: 60 when absent or unparsable, never below 10."""
    parsed = parse_go_duration(text) if text else None
    if parsed is None:
        return DEFAULT_INTERVAL_SECONDS
    return max(parsed, MIN_INTERVAL_SECONDS)


def max_weight_of(*, max_weight: int, step_weights: tuple[int, ...]) -> int:
    """The weight at which promotion starts: last of `stepWeights`, else maxWeight (0 = 100)."""
    if step_weights:
        return min(TOTAL_WEIGHT, step_weights[-1])
    return max_weight if max_weight > 0 else TOTAL_WEIGHT


def next_step_weight(analysis: Analysis, *, canary_weight: int) -> int:
    """How far Flagger's next step moves the weight (its `GetAnalysisNextStepWeight`)."""
    if analysis.step_weight > 0 or not analysis.step_weights:
        return analysis.step_weight
    headroom = TOTAL_WEIGHT - canary_weight
    if headroom == 0:
        return 1
    if canary_weight == 0:
        return min(headroom, analysis.step_weights[0])
    pairs = zip(analysis.step_weights, analysis.step_weights[1:], strict=False)
    for current, following in pairs:
        if current == canary_weight:
            return min(headroom, following - canary_weight)
    return headroom


def step_plan(analysis: Analysis) -> tuple[int, ...]:
    """The weights (canary) or iteration numbers (Blue/Green, A/B) a run passes through.

    Weights follow Flagger's arithmetic exactly, so a stepWeight that does not divide maxWeight
    overshoots it (stepWeight 30, maxWeight 50 routes 30 then 60), as the routed weight will.
    """
    if analysis.strategy is not Strategy.CANARY:
        return tuple(range(1, analysis.iterations + 1))
    plan: list[int] = []
    weight = 0
    while weight < analysis.max_weight and len(plan) < TOTAL_WEIGHT:
        step = next_step_weight(analysis, canary_weight=weight)
        if step <= 0:
            break
        weight = min(TOTAL_WEIGHT, weight + step)
        plan.append(weight)
    return tuple(plan)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
