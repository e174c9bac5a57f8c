"""The status an HPA controller writes after a sync, and the reason text of its rescale events.

Kept apart from the I/O loop so the exact condition reasons and messages (the part UIs show)
are tested without a cluster.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from devcluster.simulation.hpa_maths import ScaleDecision

CPU_METRIC = "cpu resource utilization (percentage of request)"


@dataclass(frozen=True)
class SyncResult:
    """Facts of one sync the status reports."""

    current: int
    desired: int
    utilisation_percent: int
    average_millicores: int | None
    decision: ScaleDecision
    now: str
    last_scale_time: str | None


def rescale_reason(*, current: int, desired: int) -> str:
    """The `reason:` part of a SuccessfulRescale event, as the upstream controller words it."""
    return f"{CPU_METRIC} above target" if desired > current else "All metrics below target"


def rescale_message(*, current: int, desired: int) -> str:
    """The full SuccessfulRescale event message."""
    return f"New size: {desired}; reason: {rescale_reason(current=current, desired=desired)}"


def able_to_scale(*, result: SyncResult) -> tuple[str, str, str]:
    """(status, reason, message) of the AbleToScale condition."""
    decision = result.decision
    if result.desired != result.current:
        return (
            "True",
            "SucceededRescale",
            (f"the HPA controller was able to update the target scale to {result.desired}"),
        )
    if decision.stabilised > decision.raw and decision.raw < result.current:
        return (
            "True",
            "ScaleDownStabilized",
            (
                "recent recommendations were higher than current one, "
                "applying the highest recent recommendation"
            ),
        )
    if decision.stabilised < decision.raw and decision.raw > result.current:
        return (
            "True",
            "ScaleUpStabilized",
            (
                "recent recommendations were lower than current one, "
                "applying the lowest recent recommendation"
            ),
        )
    return "True", "ReadyForNewScale", "recommended size matches current size"


def active_status(*, previous: dict[str, Any], result: SyncResult) -> dict[str, Any]:
    """The HPA status after a sync that computed a recommendation."""
    limited = result.decision.limit_reason != "DesiredWithinRange"
    conditions = [
        ("AbleToScale", *able_to_scale(result=result)),
        (
            "ScalingActive",
            "True",
            "ValidMetricFound",
            (f"the HPA was able to successfully calculate a replica count from {CPU_METRIC}"),
        ),
        (
            "ScalingLimited",
            "True" if limited else "False",
            result.decision.limit_reason,
            result.decision.limit_message,
        ),
    ]
    current_resource: dict[str, Any] = {"averageUtilization": result.utilisation_percent}
    if result.average_millicores is not None:
        current_resource["averageValue"] = f"{result.average_millicores}m"
    status: dict[str, Any] = {
        "currentReplicas": result.current,
        "desiredReplicas": result.desired,
        "currentMetrics": [
            {"type": "Resource", "resource": {"name": "cpu", "current": current_resource}}
        ],
        "conditions": merge_conditions(
            previous=previous.get("conditions") or (), updates=conditions, now=result.now
        ),
    }
    if result.last_scale_time is not None:
        status["lastScaleTime"] = result.last_scale_time
    return status


def disabled_status(*, previous: dict[str, Any], now: str) -> dict[str, Any]:
    """The HPA status while its target is scaled to zero (as Flagger leaves idle canaries)."""
    conditions = [
        (
            "AbleToScale",
            "True",
            "SucceededGetScale",
            "the HPA controller was able to get the target's current scale",
        ),
        (
            "ScalingActive",
            "False",
            "ScalingDisabled",
            "scaling is disabled since the replica count of the target is zero",
        ),
    ]
    status = {
        "currentReplicas": 0,
        "desiredReplicas": 0,
        "conditions": merge_conditions(
            previous=previous.get("conditions") or (), updates=conditions, now=now
        ),
    }
    if "lastScaleTime" in previous:
        status["lastScaleTime"] = previous["lastScaleTime"]
    return status


def merge_conditions(
    *, previous: Sequence[dict[str, Any]], updates: Sequence[tuple[str, str, str, str]], now: str
) -> list[dict[str, Any]]:
    """New conditions, keeping each one's lastTransitionTime while its status is unchanged."""
    before = {c.get("type"): c for c in previous}
    merged = []
    for kind, status, reason, message in updates:
        old = before.get(kind)
        moved = old is None or old.get("status") != status
        merged.append(
            {
                "type": kind,
                "status": status,
                "lastTransitionTime": now if moved or old is None else old["lastTransitionTime"],
                "reason": reason,
                "message": message,
            }
        )
    return merged
