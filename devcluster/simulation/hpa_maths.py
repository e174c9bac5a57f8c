"""The Kubernetes HPA replica calculation (autoscaling/v2) as pure functions.

Desired replicas follow `ceil(current * utilisation / target)` outside a 10% tolerance; the
result is stabilised over recent recommendations, limited by the scaleUp/scaleDown policies
(Pods/Percent per period, selectPolicy Max/Min/Disabled) and clamped to min/max, exactly in the
order of the upstream controller, reporting the ScalingLimited reason it applied.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

TOLERANCE = 0.1


@dataclass(frozen=True)
class ScalingPolicy:
    """One `behavior.scaleUp|scaleDown.policies[]` entry."""

    type: str
    value: int
    period_seconds: int


@dataclass(frozen=True)
class ScalingRules:
    """One direction of `spec.behavior`, with the upstream defaults."""

    stabilization_window_seconds: int
    select_policy: str
    policies: tuple[ScalingPolicy, ...]


DEFAULT_SCALE_UP = ScalingRules(
    0, "Max", (ScalingPolicy("Percent", 100, 15), ScalingPolicy("Pods", 4, 15))
)
DEFAULT_SCALE_DOWN = ScalingRules(300, "Max", (ScalingPolicy("Percent", 100, 15),))


@dataclass(frozen=True)
class Recommendation:
    """A past raw recommendation and when it was made (seconds on the simulated clock)."""

    at: float
    replicas: int


@dataclass(frozen=True)
class ScaleEvent:
    """A past rescale: `change` replicas added (>0) or removed (<0) at `at`."""

    at: float
    change: int


@dataclass(frozen=True)
class ScaleDecision:
    """The outcome of one HPA sync."""

    desired: int
    raw: int
    stabilised: int
    limit_reason: str
    limit_message: str
    recommendations: tuple[Recommendation, ...]
    events: tuple[ScaleEvent, ...] = field(default=())


def raw_desired(*, current: int, utilisation: float, target: float) -> int:
    """Replicas the metric asks for, ignoring changes inside the tolerance."""
    ratio = utilisation / target
    if abs(ratio - 1.0) <= TOLERANCE:
        return current
    return math.ceil(current * ratio)


def parse_rules(*, spec: dict[str, Any] | None, default: ScalingRules) -> ScalingRules:
    """`behavior.scaleUp` or `behavior.scaleDown`, filling unset fields from the defaults."""
    if not spec:
        return default
    policies = tuple(
        ScalingPolicy(p["type"], int(p["value"]), int(p["periodSeconds"]))
        for p in spec.get("policies") or ()
    )
    return ScalingRules(
        stabilization_window_seconds=int(
            spec.get("stabilizationWindowSeconds", default.stabilization_window_seconds)
        ),
        select_policy=spec.get("selectPolicy", default.select_policy),
        policies=policies or default.policies,
    )


def stabilise(
    *,
    current: int,
    raw: int,
    now: float,
    history: Sequence[Recommendation],
    up: ScalingRules,
    down: ScalingRules,
) -> int:
    """Upstream `stabilizeRecommendationWithBehaviors`: min over the up window, max over down."""
    up_value, down_value = raw, raw
    for rec in history:
        if rec.at > now - up.stabilization_window_seconds:
            up_value = min(up_value, rec.replicas)
        if rec.at > now - down.stabilization_window_seconds:
            down_value = max(down_value, rec.replicas)
    return min(max(current, up_value), down_value)


def _changed_within(*, period: int, now: float, events: Sequence[ScaleEvent], up: bool) -> int:
    return sum(abs(e.change) for e in events if e.at > now - period and (e.change > 0) == up)


def scale_up_limit(
    *, current: int, now: float, events: Sequence[ScaleEvent], rules: ScalingRules
) -> int:
    """The most replicas the scaleUp policies allow now."""
    if rules.select_policy == "Disabled":
        return current
    results = []
    for policy in rules.policies:
        start = current - _changed_within(
            period=policy.period_seconds, now=now, events=events, up=True
        )
        if policy.type == "Pods":
            results.append(start + policy.value)
        else:
            results.append(math.ceil(start * (1 + policy.value / 100)))
    return min(results) if rules.select_policy == "Min" else max(results)


def scale_down_limit(
    *, current: int, now: float, events: Sequence[ScaleEvent], rules: ScalingRules
) -> int:
    """The fewest replicas the scaleDown policies allow now."""
    if rules.select_policy == "Disabled":
        return current
    results = []
    for policy in rules.policies:
        start = current + _changed_within(
            period=policy.period_seconds, now=now, events=events, up=False
        )
        if policy.type == "Pods":
            results.append(start - policy.value)
        else:
            results.append(int(start * (1 - policy.value / 100)))
    return max(results) if rules.select_policy == "Min" else min(results)


def limit_replicas(
    *, current: int, desired: int, minimum: int, maximum: int, up_limit: int, down_limit: int
) -> tuple[int, str, str]:
    """Clamp to the rate limits and to min/max; return (replicas, reason, message)."""
    up_limit = max(up_limit, current)
    down_limit = min(down_limit, current)
    if desired > min(maximum, up_limit):
        if maximum > up_limit:
            return (
                up_limit,
                "ScaleUpLimit",
                ("the desired replica count is increasing faster than the maximum scale rate"),
            )
        return (
            maximum,
            "TooManyReplicas",
            "the desired replica count is more than the maximum replica count",
        )
    if desired < max(minimum, down_limit):
        if minimum < down_limit:
            return (
                down_limit,
                "ScaleDownLimit",
                ("the desired replica count is decreasing faster than the maximum scale rate"),
            )
        return (
            minimum,
            "TooFewReplicas",
            "the desired replica count is less than the minimum replica count",
        )
    return desired, "DesiredWithinRange", "the desired count is within the acceptable range"


@dataclass(frozen=True)
class HpaInputs:
    """What one HPA sync decides from."""

    current: int
    utilisation: float
    target: float
    minimum: int
    maximum: int
    behavior: dict[str, Any] | None
    now: float
    history: tuple[Recommendation, ...] = ()
    events: tuple[ScaleEvent, ...] = ()


def decide_scale(*, given: HpaInputs) -> ScaleDecision:
    """One sync of upstream `normalizeDesiredReplicasWithBehaviors`, history included."""
    behavior = given.behavior or {}
    up = parse_rules(spec=behavior.get("scaleUp"), default=DEFAULT_SCALE_UP)
    down = parse_rules(spec=behavior.get("scaleDown"), default=DEFAULT_SCALE_DOWN)
    raw = raw_desired(current=given.current, utilisation=given.utilisation, target=given.target)
    stabilised = stabilise(
        current=given.current, raw=raw, now=given.now, history=given.history, up=up, down=down
    )
    desired, reason, message = limit_replicas(
        current=given.current,
        desired=stabilised,
        minimum=given.minimum,
        maximum=given.maximum,
        up_limit=scale_up_limit(
            current=given.current, now=given.now, events=given.events, rules=up
        ),
        down_limit=scale_down_limit(
            current=given.current, now=given.now, events=given.events, rules=down
        ),
    )
    return ScaleDecision(
        desired=desired,
        raw=raw,
        stabilised=stabilised,
        limit_reason=reason,
        limit_message=message,
        recommendations=_kept_history(given=given, raw=raw, up=up, down=down),
        events=_kept_events(given=given, desired=desired, up=up, down=down),
    )


def _kept_history(
    *, given: HpaInputs, raw: int, up: ScalingRules, down: ScalingRules
) -> tuple[Recommendation, ...]:
    horizon = max(up.stabilization_window_seconds, down.stabilization_window_seconds)
    kept = tuple(rec for rec in given.history if rec.at > given.now - horizon)
    return (*kept, Recommendation(at=given.now, replicas=raw))


def _kept_events(
    *, given: HpaInputs, desired: int, up: ScalingRules, down: ScalingRules
) -> tuple[ScaleEvent, ...]:
    periods = [p.period_seconds for p in (*up.policies, *down.policies)]
    kept = tuple(e for e in given.events if e.at > given.now - max(periods, default=0))
    if desired == given.current:
        return kept
    return (*kept, ScaleEvent(at=given.now, change=desired - given.current))
