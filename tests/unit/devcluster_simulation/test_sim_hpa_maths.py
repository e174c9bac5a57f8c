"""The HPA replica calculation, stabilisation windows, rate policies and status wording."""

from __future__ import annotations

from typing import Any

import pytest

from devcluster.simulation.hpa_maths import (
    HpaInputs,
    Recommendation,
    ScaleDecision,
    ScaleEvent,
    decide_scale,
    raw_desired,
)
from devcluster.simulation.hpa_status import (
    SyncResult,
    active_status,
    disabled_status,
    rescale_message,
)


def inputs(**overrides: Any) -> HpaInputs:
    values: dict[str, Any] = {
        "current": 4,
        "utilisation": 50.0,
        "target": 50.0,
        "minimum": 2,
        "maximum": 20,
        "behavior": None,
        "now": 1000.0,
    }
    values.update(overrides)
    return HpaInputs(**values)


@pytest.mark.parametrize(
    ("current", "utilisation", "expected"),
    [(4, 100.0, 8), (4, 54.0, 4), (4, 46.0, 4), (4, 44.0, 4), (4, 25.0, 2), (3, 70.0, 5)],
)
def test_raw_desired_is_ceiling_of_ratio_outside_tolerance(
    current: int, utilisation: float, expected: int
) -> None:
    assert raw_desired(current=current, utilisation=utilisation, target=50.0) == expected


def test_raw_desired_just_outside_tolerance_scales() -> None:
    assert raw_desired(current=10, utilisation=56.0, target=50.0) == 12


def test_scale_up_is_limited_by_default_policies() -> None:
    decision = decide_scale(given=inputs(current=2, utilisation=500.0))
    assert decision.raw == 20
    assert decision.desired == 6
    assert decision.limit_reason == "ScaleUpLimit"
    assert decision.events == (ScaleEvent(at=1000.0, change=4),)


def test_scale_up_policy_counts_replicas_added_within_period() -> None:
    earlier = (ScaleEvent(at=995.0, change=4),)
    decision = decide_scale(given=inputs(current=6, utilisation=500.0, events=earlier))
    assert decision.desired == 6
    assert decision.limit_reason == "ScaleUpLimit"


def test_max_replicas_caps_with_too_many_replicas() -> None:
    decision = decide_scale(given=inputs(current=18, utilisation=200.0))
    assert (decision.desired, decision.limit_reason) == (20, "TooManyReplicas")
    assert (
        decision.limit_message == "the desired replica count is more than the maximum replica count"
    )


def test_min_replicas_floor_with_too_few_replicas() -> None:
    decision = decide_scale(
        given=inputs(
            current=3, utilisation=5.0, behavior={"scaleDown": {"stabilizationWindowSeconds": 0}}
        )
    )
    assert (decision.desired, decision.limit_reason) == (2, "TooFewReplicas")
    assert (
        decision.limit_message == "the desired replica count is less than the minimum replica count"
    )


def test_scale_down_waits_for_the_stabilisation_window() -> None:
    history = (Recommendation(at=900.0, replicas=8),)
    decision = decide_scale(given=inputs(current=8, utilisation=25.0, history=history))
    assert (decision.raw, decision.stabilised, decision.desired) == (4, 8, 8)
    assert decision.limit_reason == "DesiredWithinRange"
    later = decide_scale(
        given=inputs(current=8, utilisation=25.0, now=1199.0, history=decision.recommendations)
    )
    assert later.desired == 8
    after_window = decide_scale(
        given=inputs(current=8, utilisation=25.0, now=1201.0, history=decision.recommendations)
    )
    assert after_window.desired == 4


def test_scale_up_stabilisation_window_takes_the_lowest_recent_recommendation() -> None:
    behavior = {"scaleUp": {"stabilizationWindowSeconds": 60}}
    history = (Recommendation(at=990.0, replicas=5),)
    decision = decide_scale(
        given=inputs(current=4, utilisation=100.0, behavior=behavior, history=history)
    )
    assert (decision.raw, decision.desired) == (8, 5)


def test_pods_policy_with_min_select_policy_picks_the_smaller_step() -> None:
    behavior = {
        "scaleUp": {
            "selectPolicy": "Min",
            "policies": [
                {"type": "Pods", "value": 1, "periodSeconds": 60},
                {"type": "Percent", "value": 100, "periodSeconds": 60},
            ],
        }
    }
    decision = decide_scale(given=inputs(current=4, utilisation=200.0, behavior=behavior))
    assert (decision.desired, decision.limit_reason) == (5, "ScaleUpLimit")


def test_percent_scale_down_policy_limits_the_drop() -> None:
    behavior = {
        "scaleDown": {
            "stabilizationWindowSeconds": 0,
            "policies": [
                {"type": "Percent", "value": 50, "periodSeconds": 60},
            ],
        }
    }
    decision = decide_scale(
        given=inputs(current=10, maximum=20, utilisation=5.0, behavior=behavior)
    )
    assert (decision.desired, decision.limit_reason) == (5, "ScaleDownLimit")
    assert decision.limit_message == (
        "the desired replica count is decreasing faster than the maximum scale rate"
    )


def test_disabled_select_policy_blocks_scale_down() -> None:
    behavior = {"scaleDown": {"stabilizationWindowSeconds": 0, "selectPolicy": "Disabled"}}
    decision = decide_scale(given=inputs(current=10, utilisation=5.0, behavior=behavior))
    assert decision.desired == 10
    assert decision.events == ()


def test_history_keeps_only_the_longest_window() -> None:
    old = (Recommendation(at=600.0, replicas=9), Recommendation(at=800.0, replicas=7))
    decision = decide_scale(given=inputs(history=old))
    assert decision.recommendations == (
        Recommendation(at=800.0, replicas=7),
        Recommendation(at=1000.0, replicas=4),
    )


def test_rescale_messages_match_the_controller() -> None:
    assert rescale_message(current=2, desired=4) == (
        "New size: 4; reason: cpu resource utilization (percentage of request) above target"
    )
    assert rescale_message(current=4, desired=2) == "New size: 2; reason: All metrics below target"


def sync_result(decision: ScaleDecision, *, current: int) -> SyncResult:
    return SyncResult(
        current=current,
        desired=decision.desired,
        utilisation_percent=90,
        average_millicores=225,
        decision=decision,
        now="T2",
        last_scale_time="T2",
    )


def test_active_status_reports_metrics_and_conditions() -> None:
    decision = decide_scale(given=inputs(current=2, utilisation=90.0, target=50.0))
    previous = {
        "conditions": [
            {
                "type": "ScalingActive",
                "status": "True",
                "lastTransitionTime": "T1",
                "reason": "x",
                "message": "y",
            }
        ]
    }
    status = active_status(previous=previous, result=sync_result(decision, current=2))
    assert status["currentReplicas"] == 2
    assert status["desiredReplicas"] == 4
    assert status["lastScaleTime"] == "T2"
    assert status["currentMetrics"] == [
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "current": {"averageUtilization": 90, "averageValue": "225m"},
            },
        }
    ]
    assert status["conditions"] == [
        {
            "type": "AbleToScale",
            "status": "True",
            "lastTransitionTime": "T2",
            "reason": "SucceededRescale",
            "message": "the HPA controller was able to update the target scale to 4",
        },
        {
            "type": "ScalingActive",
            "status": "True",
            "lastTransitionTime": "T1",
            "reason": "ValidMetricFound",
            "message": "the HPA was able to successfully calculate a replica count from cpu "
            "resource utilization (percentage of request)",
        },
        {
            "type": "ScalingLimited",
            "status": "False",
            "lastTransitionTime": "T2",
            "reason": "DesiredWithinRange",
            "message": "the desired count is within the acceptable range",
        },
    ]


def test_steady_state_reports_ready_for_new_scale() -> None:
    decision = decide_scale(given=inputs())
    status = active_status(previous={}, result=sync_result(decision, current=4))
    assert status["conditions"][0]["reason"] == "ReadyForNewScale"
    assert status["conditions"][0]["message"] == "recommended size matches current size"


def test_stabilised_scale_down_reports_scale_down_stabilized() -> None:
    history = (Recommendation(at=900.0, replicas=8),)
    decision = decide_scale(given=inputs(current=8, utilisation=25.0, history=history))
    status = active_status(previous={}, result=sync_result(decision, current=8))
    assert status["conditions"][0]["reason"] == "ScaleDownStabilized"


def test_target_at_zero_disables_scaling() -> None:
    status = disabled_status(previous={"lastScaleTime": "T0"}, now="T3")
    assert status["currentReplicas"] == 0
    assert status["lastScaleTime"] == "T0"
    assert status["conditions"][1] == {
        "type": "ScalingActive",
        "status": "False",
        "lastTransitionTime": "T3",
        "reason": "ScalingDisabled",
        "message": "scaling is disabled since the replica count of the target is zero",
    }
