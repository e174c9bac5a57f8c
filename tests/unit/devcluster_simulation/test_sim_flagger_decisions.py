"""Flagger's per-tick state machine, driven tick by tick without I/O."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from devcluster.simulation.canary_decisions import decide_tick
from devcluster.simulation.canary_model import parse_canary
from devcluster.simulation.canary_ticks import (
    Action,
    HookAnswer,
    HookCall,
    HookKey,
    Readiness,
    TickInput,
    TickOutcome,
)
from devcluster.simulation.hashing import run_checksum
from devcluster.simulation.metric_checks import (
    QUERY_ERROR,
    FailureMode,
    MetricSignal,
    halt_message,
)

NOW = "2026-01-01T00:00:00Z"
PASS = HookAnswer(passed=True)
HOLD = HookAnswer(passed=False, message="held by operator")


def canary_object(**analysis: Any) -> dict[str, Any]:
    spec_analysis = {"interval": "10s", "threshold": 2, "maxWeight": 30, "stepWeight": 10}
    spec_analysis.update(analysis)
    return {
        "apiVersion": "flagger.app/v1beta1",
        "kind": "Canary",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web-app"},
            "analysis": {k: v for k, v in spec_analysis.items() if v is not None},
        },
    }


def hook(name: str, hook_type: str) -> dict[str, Any]:
    return {"name": name, "type": hook_type, "url": f"http://127.0.0.1:1/{name}"}


class Driver:
    """Runs ticks like the I/O loop does, answering hooks from a table, keeping routes."""

    def __init__(self, obj: dict[str, Any], *, target_hash: str = "rev1") -> None:
        self.obj = obj
        self.target_hash = target_hash
        self.routed = 0
        self.answers: dict[str, HookAnswer] = {}
        self.calls: list[HookCall] = []
        self.failing = False
        self.signal: MetricSignal | None = None
        self.readiness = Readiness()
        self.primary = Readiness()
        self.mesh_provider = ""
        self.events: list[str] = []
        self.actions: list[Action] = []
        self.last: TickOutcome | None = None

    @property
    def status(self) -> dict[str, Any]:
        return dict(self.obj.get("status", {}))

    def tick(self) -> TickOutcome:
        answered: dict[HookKey, HookAnswer] = {}
        signal = self.signal or MetricSignal(draw=0.0, failure_rate=1.0 if self.failing else 0.0)
        given = TickInput(
            canary=parse_canary(obj=self.obj),
            target_hash=self.target_hash,
            routed_weight=self.routed,
            metrics=signal,
            now=NOW,
            readiness=self.readiness,
            primary=self.primary,
            mesh_provider=self.mesh_provider,
        )
        while isinstance(result := decide_tick(given=given, answers=answered), HookCall):
            self.calls.append(result)
            answered[result.key] = self.answers.get(result.hook.name, PASS)
        if result.status is not None:
            self.obj = {**self.obj, "status": copy.deepcopy(result.status)}
        self.routed = result.routed_weight
        self.events.extend(event.message for event in result.events)
        self.actions.extend(result.actions)
        self.last = result
        return result

    def ticks(self, count: int) -> None:
        for _ in range(count):
            self.tick()

    def messages(self) -> list[str]:
        assert self.last is not None
        return [event.message for event in self.last.events]


def initialised(obj: dict[str, Any]) -> Driver:
    driver = Driver(obj)
    driver.tick()
    driver.target_hash = "rev2"
    driver.events.clear()
    driver.actions.clear()
    driver.calls.clear()
    return driver


def test_first_tick_initialises_primary_and_records_hash() -> None:
    driver = Driver(canary_object())
    outcome = driver.tick()
    assert outcome.actions == (Action.INITIALISE_PRIMARY,)
    assert driver.messages() == ["Initialization done! web.shop"]
    assert outcome.events[0].phase == "Initialized"
    status = driver.status
    assert status["phase"] == "Initialized"
    assert status["lastAppliedSpec"] == "rev1"
    assert status["lastPromotedSpec"] == "rev1"
    assert status["lastTransitionTime"] == NOW
    assert status["conditions"] == [
        {
            "type": "Promoted",
            "status": "True",
            "reason": "Initialized",
            "message": "Deployment initialization completed.",
            "lastUpdateTime": NOW,
            "lastTransitionTime": NOW,
        }
    ]


def test_unchanged_target_after_initialisation_writes_nothing() -> None:
    driver = Driver(canary_object())
    driver.tick()
    outcome = driver.tick()
    assert outcome.status is None
    assert outcome.events == ()
    assert outcome.actions == ()


def test_new_revision_scales_up_and_starts_progressing() -> None:
    driver = initialised(canary_object())
    outcome = driver.tick()
    assert driver.messages() == ["New revision detected! Scaling up web-app.shop"]
    assert outcome.events[0].phase == "Progressing"
    assert outcome.actions == (Action.SCALE_UP_TARGET,)
    status = driver.status
    assert (status["phase"], status["canaryWeight"], status["failedChecks"]) == (
        "Progressing",
        0,
        0,
    )
    assert status["lastAppliedSpec"] == "rev2"
    assert status["lastPromotedSpec"] == "rev1"
    assert status["conditions"][0]["status"] == "Unknown"


def test_canary_with_step_weight_progresses_to_succeeded() -> None:
    driver = initialised(canary_object())
    driver.ticks(1)
    weights = []
    for _ in range(3):
        driver.tick()
        weights.append(driver.status["canaryWeight"])
    assert weights == [10, 20, 30]
    assert driver.events[1:5] == [
        "Starting canary analysis for web-app.shop",
        "Advance web.shop canary weight 10",
        "Advance web.shop canary weight 20",
        "Advance web.shop canary weight 30",
    ]
    driver.tick()
    assert driver.messages() == ["Copying web-app.shop template spec to web-app-primary.shop"]
    assert driver.status["phase"] == "Promoting"
    assert driver.status["canaryWeight"] == 30
    driver.tick()
    assert driver.messages() == ["Routing all traffic to primary"]
    assert (driver.status["phase"], driver.status["canaryWeight"]) == ("Finalising", 0)
    outcome = driver.tick()
    assert driver.messages() == ["Promotion completed! Scaling down web-app.shop"]
    assert outcome.actions == (Action.SCALE_DOWN_TARGET,)
    assert outcome.post_rollout_phase == "Succeeded"
    assert driver.status["phase"] == "Succeeded"
    assert driver.status["lastPromotedSpec"] == "rev2"
    assert driver.status["conditions"][0]["status"] == "True"
    assert Action.PROMOTE_TARGET in driver.actions


def test_step_weights_follow_the_listed_steps_up_to_the_last() -> None:
    driver = initialised(canary_object(stepWeight=None, maxWeight=None, stepWeights=[1, 5, 50]))
    driver.ticks(4)
    advances = [m for m in driver.events if m.startswith("Advance")]
    assert advances == [
        "Advance web.shop canary weight 1",
        "Advance web.shop canary weight 5",
        "Advance web.shop canary weight 50",
    ]
    driver.tick()
    assert driver.status["phase"] == "Promoting"


def test_max_weight_zero_means_one_hundred() -> None:
    driver = initialised(canary_object(maxWeight=0, stepWeight=50))
    driver.ticks(3)
    assert driver.status["canaryWeight"] == 100
    driver.tick()
    assert driver.status["phase"] == "Promoting"


def test_step_weight_promotion_shifts_primary_weight_in_steps() -> None:
    driver = initialised(canary_object(stepWeightPromotion=20))
    driver.ticks(5)
    assert driver.status["phase"] == "Promoting"
    driver.tick()
    assert driver.messages() == ["Advance web.shop primary weight 90"]
    assert driver.status["canaryWeight"] == 10
    driver.tick()
    assert driver.messages() == ["Advance web.shop primary weight 100"]
    assert driver.status["phase"] == "Finalising"


def test_closed_confirm_rollout_gate_holds_in_waiting_with_old_checksum() -> None:
    driver = initialised(canary_object(webhooks=[hook("gate", "confirm-rollout")]))
    driver.answers["gate"] = HOLD
    driver.tick()
    assert driver.messages() == ["Halt web.shop advancement waiting for approval gate"]
    assert driver.last is not None
    assert driver.last.events[0].warning
    assert driver.status["phase"] == "Waiting"
    assert driver.status["lastAppliedSpec"] == "rev1"
    assert driver.calls[0].checksum == run_checksum(last_applied_spec="rev1", tracked_configs=None)
    assert driver.status["conditions"][0]["message"] == "Waiting for approval."
    driver.tick()
    assert driver.messages() == []
    assert driver.status["phase"] == "Waiting"
    driver.answers["gate"] = PASS
    driver.tick()
    assert driver.messages() == [
        "Confirm-rollout check gate passed",
        "New revision detected! Scaling up web-app.shop",
    ]
    assert driver.status["phase"] == "Progressing"
    assert driver.status["lastAppliedSpec"] == "rev2"


def test_every_hook_call_sends_the_running_revision_checksum() -> None:
    driver = initialised(canary_object(webhooks=[hook("check", "rollout")]))
    driver.ticks(4)
    rollout_calls = [call for call in driver.calls if call.hook.type == "rollout"]
    expected = run_checksum(last_applied_spec="rev2", tracked_configs=None)
    assert [call.checksum for call in rollout_calls] == [expected, expected]
    assert {call.phase for call in rollout_calls} == {"Progressing"}


def test_closed_traffic_increase_gate_halts_without_phase_change() -> None:
    driver = initialised(canary_object(webhooks=[hook("more", "confirm-traffic-increase")]))
    driver.ticks(2)
    assert driver.status["canaryWeight"] == 10
    driver.answers["more"] = HOLD
    driver.tick()
    assert driver.messages() == [
        "Halt web.shop advancement waiting for traffic increase approval more"
    ]
    assert (driver.status["phase"], driver.status["canaryWeight"]) == ("Progressing", 10)


def test_passing_traffic_increase_gate_is_reported_before_each_step() -> None:
    driver = initialised(canary_object(webhooks=[hook("more", "confirm-traffic-increase")]))
    driver.ticks(3)
    assert driver.messages() == [
        "Confirm-traffic-increase check more passed",
        "Advance web.shop canary weight 20",
    ]


def test_waiting_promotion_trap_zeroes_weight_while_traffic_stays_at_max() -> None:
    driver = initialised(canary_object(webhooks=[hook("promote", "confirm-promotion")]))
    driver.answers["promote"] = HOLD
    driver.ticks(4)
    assert driver.status["canaryWeight"] == 30
    driver.tick()
    assert driver.messages() == ["Halt web.shop advancement waiting for promotion approval promote"]
    status = driver.status
    assert (status["phase"], status["canaryWeight"], status["iterations"]) == (
        "WaitingPromotion",
        0,
        -1,
    )
    assert driver.routed == 30
    driver.tick()
    assert driver.messages() == []
    assert (driver.status["phase"], driver.routed) == ("WaitingPromotion", 30)
    driver.answers["promote"] = PASS
    driver.tick()
    assert driver.messages() == [
        "Confirm-promotion check promote passed",
        "Copying web-app.shop template spec to web-app-primary.shop",
    ]
    assert driver.status["phase"] == "Promoting"


def test_blue_green_counts_iterations_then_routes_all_traffic_to_canary() -> None:
    driver = initialised(canary_object(iterations=2, stepWeight=None, maxWeight=None))
    driver.ticks(4)
    assert driver.events[1:] == [
        "Starting canary analysis for web-app.shop",
        "Advance web.shop canary iteration 1/2",
        "Advance web.shop canary iteration 2/2",
        "Routing all traffic to canary",
    ]
    assert "canaryWeight" in driver.status
    assert driver.status["canaryWeight"] == 0
    assert driver.status["iterations"] == 3
    driver.tick()
    assert driver.status["phase"] == "Promoting"


def test_ab_testing_routes_matched_traffic_and_counts_iterations() -> None:
    match = [{"headers": {"x-canary": {"exact": "insider"}}}]
    driver = initialised(canary_object(iterations=2, match=match, stepWeight=None))
    driver.ticks(3)
    assert driver.events[1:] == [
        "Starting canary analysis for web-app.shop",
        "Advance web.shop canary iteration 1/2",
        "Advance web.shop canary iteration 2/2",
    ]
    assert driver.status["canaryWeight"] == 0
    assert driver.routed == 100
    driver.tick()
    assert driver.messages() == ["Copying web-app.shop template spec to web-app-primary.shop"]
    assert driver.status["phase"] == "Promoting"


def test_failed_checks_reaching_threshold_roll_back_to_failed() -> None:
    driver = initialised(canary_object(metrics=[{"name": "request-success-rate"}]))
    driver.ticks(2)
    driver.failing = True
    driver.tick()
    assert driver.messages() == ["Halt web.shop advancement success rate 89.10% < 99%"]
    assert driver.status["failedChecks"] == 1
    driver.tick()
    assert driver.status["failedChecks"] == 2
    outcome = driver.tick()
    assert driver.messages() == [
        "Rolling back web.shop failed checks threshold reached 2",
        "Canary failed! Scaling down web.shop",
    ]
    assert [event.warning for event in outcome.events] == [True, True]
    assert outcome.events[1].phase == "Failed"
    assert outcome.actions == (Action.SCALE_DOWN_TARGET,)
    assert outcome.post_rollout_phase == "Failed"
    status = driver.status
    assert (status["phase"], status["canaryWeight"], status["failedChecks"]) == ("Failed", 0, 0)
    assert status["conditions"][0]["status"] == "False"
    assert (
        status["conditions"][0]["message"] == "Canary analysis failed, Deployment scaled to zero."
    )
    assert driver.routed == 0


def test_failed_metric_reports_configured_success_rate_and_thresholds() -> None:
    obj = canary_object(metrics=[{"name": "request-success-rate", "thresholdRange": {"min": 99.5}}])
    canary = parse_canary(obj=obj)
    signal = MetricSignal(draw=0.1, failure_rate=0.5, success_rate=72.25)
    assert halt_message(canary=canary, signal=signal) == (
        "Halt web.shop advancement success rate 72.25% < 99.5%"
    )
    assert halt_message(canary=canary, signal=MetricSignal(draw=0.6, failure_rate=0.5)) is None


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        (
            {"name": "request-duration", "thresholdRange": {"max": 500}},
            "request duration 750ms > 500ms",
        ),
        ({"name": "error-ratio", "thresholdRange": {"max": 2}}, "error-ratio 3.00 > 2"),
        ({"name": "saturation", "thresholdRange": {"min": 10}}, "saturation 9.00 < 10"),
        (
            {"name": "request-success-rate", "thresholdRange": {"max": 99}},
            "success rate 99.50% > 99%",
        ),
        (
            {"name": "request-duration", "thresholdRange": {"min": 100}},
            "request duration 50ms < 100ms",
        ),
        ({"name": "request-success-rate", "threshold": 95}, "success rate 85.50% < 95%"),
    ],
)
def test_failed_metric_messages_match_flagger(metric: dict[str, Any], expected: str) -> None:
    canary = parse_canary(obj=canary_object(metrics=[metric]))
    signal = MetricSignal(draw=0.0, failure_rate=1.0)
    assert halt_message(canary=canary, signal=signal) == f"Halt web.shop advancement {expected}"


CUSTOM = {
    "name": "error-ratio",
    "templateRef": {"name": "error-ratio"},
    "thresholdRange": {"max": 2},
}


@pytest.mark.parametrize(
    ("metric", "mode", "expected"),
    [
        (
            {"name": "request-success-rate", "thresholdRange": {"min": 99}},
            FailureMode.NO_VALUES,
            "Halt advancement no values found for kubernetes metric request-success-rate probably"
            " web-app.shop is not receiving traffic: no values found",
        ),
        (
            {"name": "request-duration", "thresholdRange": {"max": 500}},
            FailureMode.NO_VALUES,
            "Halt advancement no values found for kubernetes metric request-duration probably"
            " web-app.shop is not receiving traffic",
        ),
        (
            CUSTOM,
            FailureMode.NO_VALUES,
            "Halt advancement no values found for custom metric: error-ratio: no values found",
        ),
        (
            {"name": "request-success-rate", "thresholdRange": {"min": 99}},
            FailureMode.QUERY_ERROR,
            f"Prometheus query failed: {QUERY_ERROR}",
        ),
        (CUSTOM, FailureMode.QUERY_ERROR, f"Metric query failed for error-ratio: {QUERY_ERROR}"),
    ],
)
def test_metric_errors_are_failed_checks_with_flaggers_messages(
    metric: dict[str, Any], mode: FailureMode, expected: str
) -> None:
    driver = initialised(canary_object(metrics=[metric]))
    driver.ticks(2)
    driver.signal = MetricSignal(draw=0.0, failure_rate=1.0, mode=mode)
    driver.tick()
    assert driver.messages() == [expected]
    assert driver.status["failedChecks"] == 1


def test_metric_checks_pass_when_canary_declares_no_metrics() -> None:
    driver = initialised(canary_object())
    driver.failing = True
    driver.ticks(3)
    assert driver.status["canaryWeight"] == 20
    assert driver.status["failedChecks"] == 0


def test_failing_rollout_hook_adds_a_failed_check_with_its_body() -> None:
    driver = initialised(canary_object(webhooks=[hook("smoke", "rollout")]))
    driver.ticks(2)
    driver.answers["smoke"] = HookAnswer(passed=False, message="smoke test failed")
    driver.tick()
    assert driver.messages() == [
        "Halt web.shop advancement external check smoke failed smoke test failed"
    ]
    assert driver.status["failedChecks"] == 1


def test_failing_pre_rollout_hook_blocks_the_first_step() -> None:
    driver = initialised(canary_object(webhooks=[hook("db", "pre-rollout")]))
    driver.answers["db"] = HookAnswer(passed=False, message="migration pending")
    driver.ticks(2)
    assert driver.messages() == [
        "Starting canary analysis for web-app.shop",
        "Halt web.shop advancement pre-rollout check db failed migration pending",
    ]
    assert (driver.status["failedChecks"], driver.status["canaryWeight"]) == (1, 0)
    driver.answers["db"] = PASS
    driver.tick()
    assert driver.messages() == [
        "Starting canary analysis for web-app.shop",
        "Pre-rollout check db passed",
        "Advance web.shop canary weight 10",
    ]


def test_passing_rollback_hook_rolls_back_during_progressing() -> None:
    driver = initialised(canary_object(webhooks=[hook("undo", "rollback")]))
    driver.answers["undo"] = HOLD
    driver.ticks(2)
    assert driver.messages() == [
        "Rollback hook undo not signaling a rollback",
        "Starting canary analysis for web-app.shop",
        "Advance web.shop canary weight 10",
    ]
    driver.answers["undo"] = PASS
    driver.tick()
    assert driver.messages() == [
        "Rollback check undo passed",
        "Rolling back web.shop manual webhook invoked",
        "Canary failed! Scaling down web.shop",
    ]
    assert driver.status["phase"] == "Failed"
    rollback_calls = [call for call in driver.calls if call.hook.name == "undo"]
    assert [call.phase for call in rollback_calls] == ["Progressing", "Progressing"]


def test_rollback_hook_in_waiting_promotion_sends_that_phase() -> None:
    hooks = [hook("promote", "confirm-promotion"), hook("undo", "rollback")]
    driver = initialised(canary_object(webhooks=hooks))
    driver.answers |= {"promote": HOLD, "undo": HOLD}
    driver.ticks(5)
    assert driver.status["phase"] == "WaitingPromotion"
    driver.answers["undo"] = PASS
    driver.tick()
    assert driver.calls[-1].phase == "WaitingPromotion"
    assert driver.status["phase"] == "Failed"


def test_rollback_hook_is_not_called_outside_analysis() -> None:
    driver = initialised(canary_object(webhooks=[hook("undo", "rollback")]))
    driver.answers["undo"] = PASS
    driver.tick()
    assert driver.calls == []
    assert driver.status["phase"] == "Progressing"


def test_skip_analysis_promotes_at_once_bypassing_gates() -> None:
    hooks = [hook("undo", "rollback"), hook("promote", "confirm-promotion")]
    obj = canary_object(webhooks=hooks)
    driver = initialised(obj)
    driver.tick()
    driver.obj["spec"]["skipAnalysis"] = True
    driver.calls.clear()
    outcome = driver.tick()
    assert driver.messages() == [
        "Copying web-app.shop template spec to web-app-primary.shop",
        "Promotion completed! Canary analysis was skipped for web-app.shop",
    ]
    assert outcome.actions == (Action.PROMOTE_TARGET, Action.SCALE_DOWN_TARGET)
    assert driver.calls == []
    assert driver.status["phase"] == "Succeeded"
    assert driver.status["lastPromotedSpec"] == "rev2"


def test_suspend_freezes_phase_weights_and_hooks() -> None:
    driver = initialised(canary_object(webhooks=[hook("undo", "rollback")]))
    driver.answers["undo"] = HOLD
    driver.ticks(3)
    frozen = driver.status
    driver.obj["spec"]["suspend"] = True
    driver.answers["undo"] = PASS
    driver.failing = True
    driver.calls.clear()
    for _ in range(3):
        outcome = driver.tick()
        assert driver.messages() == ["skipping canary run as object is suspended"]
        assert outcome.status is None
        assert outcome.actions == ()
    assert driver.status == frozen
    assert driver.calls == []


def test_revision_change_during_analysis_restarts_it() -> None:
    driver = initialised(canary_object())
    driver.ticks(3)
    assert driver.status["canaryWeight"] == 20
    driver.target_hash = "rev3"
    driver.tick()
    assert driver.messages() == ["New revision detected! Restarting analysis for web-app.shop"]
    status = driver.status
    assert (status["phase"], status["canaryWeight"], status["lastAppliedSpec"]) == (
        "Progressing",
        0,
        "rev3",
    )
    assert driver.routed == 0


def test_new_revision_after_failure_starts_a_new_run() -> None:
    driver = initialised(canary_object(metrics=[{"name": "request-success-rate"}]))
    driver.failing = True
    driver.ticks(5)
    assert driver.status["phase"] == "Failed"
    driver.failing = False
    driver.target_hash = "rev3"
    driver.tick()
    assert driver.messages() == ["New revision detected! Scaling up web-app.shop"]
    assert driver.status["phase"] == "Progressing"


def test_threshold_zero_means_one_failed_check() -> None:
    driver = initialised(canary_object(threshold=0, metrics=[{"name": "request-success-rate"}]))
    driver.ticks(2)
    driver.failing = True
    driver.ticks(2)
    assert driver.status["phase"] == "Failed"


def test_interval_is_clamped_to_ten_seconds_and_defaults_to_sixty() -> None:
    assert parse_canary(obj=canary_object(interval="2s")).analysis.interval_seconds == 10.0
    assert parse_canary(obj=canary_object(interval=None)).analysis.interval_seconds == 60.0
    assert parse_canary(obj=canary_object(interval="1m30s")).analysis.interval_seconds == 90.0


def test_condition_keeps_transition_time_while_status_is_unchanged() -> None:
    driver = initialised(canary_object(webhooks=[hook("gate", "confirm-rollout")]))
    driver.answers["gate"] = HOLD
    driver.tick()
    first = driver.status["conditions"][0]
    assert (first["status"], first["reason"]) == ("Unknown", "Waiting")
    driver.obj["status"]["conditions"][0]["lastTransitionTime"] = "2025-12-31T00:00:00Z"
    driver.answers["gate"] = PASS
    driver.tick()
    condition = driver.status["conditions"][0]
    assert (condition["reason"], condition["lastTransitionTime"]) == (
        "Progressing",
        "2025-12-31T00:00:00Z",
    )


def test_kubernetes_provider_forces_blue_green_with_ten_iterations() -> None:
    obj = canary_object()
    obj["spec"]["provider"] = "kubernetes"
    driver = initialised(obj)
    driver.ticks(2)
    assert driver.messages() == [
        "Starting canary analysis for web-app.shop",
        "Progressive traffic is not supported when using the kubernetes provider",
        "Setting canaryAnalysis.iterations: 10",
        "Advance web.shop canary iteration 1/10",
    ]
    assert (driver.status["canaryWeight"], driver.status["iterations"]) == (0, 1)
    driver.ticks(10)
    assert "Routing all traffic to canary" not in driver.events
    assert driver.status["iterations"] == 11
    driver.tick()
    assert driver.status["phase"] == "Promoting"
    driver.tick()
    assert driver.messages() == []
    assert driver.status["phase"] == "Finalising"


def test_kubernetes_provider_drops_ab_matching() -> None:
    obj = canary_object(iterations=2, match=[{"headers": {"x": {"exact": "y"}}}])
    obj["spec"]["provider"] = "kubernetes"
    driver = initialised(obj)
    driver.ticks(2)
    assert driver.messages()[1:] == [
        "A/B testing is not supported when using the kubernetes provider",
        "Advance web.shop canary iteration 1/2",
    ]
    assert driver.routed == 0


NOT_READY = "canary deployment web-app.shop not ready: waiting for rollout to finish"


def test_unready_canary_waits_with_a_warning_and_no_progress() -> None:
    driver = initialised(canary_object(webhooks=[hook("undo", "rollback")]))
    driver.answers["undo"] = HOLD
    driver.ticks(2)
    driver.answers["undo"] = PASS
    driver.readiness = Readiness(ready=False, message=NOT_READY)
    driver.calls.clear()
    before = driver.status
    outcome = driver.tick()
    assert driver.messages() == [NOT_READY]
    assert outcome.events[0].warning
    assert outcome.status is None
    assert driver.status == before
    assert driver.calls == []


def test_unready_canary_past_its_deadline_rolls_back() -> None:
    driver = initialised(canary_object())
    driver.ticks(2)
    driver.readiness = Readiness(ready=False, message=NOT_READY, deadline_exceeded=True)
    driver.tick()
    # Flagger v1.44 never reaches `Rolling back ... progress deadline exceeded`: it records the
    # non-retriable readiness error and rolls back.
    assert driver.messages() == [
        'canary deployment web-app.shop not ready: deployment "web-app" exceeded its progress'
        " deadline",
        "Canary failed! Scaling down web.shop",
    ]
    assert driver.status["phase"] == "Failed"


def test_deadline_does_not_roll_back_a_finalising_canary() -> None:
    driver = initialised(canary_object(maxWeight=10))
    driver.ticks(4)
    assert driver.status["phase"] == "Finalising"
    driver.readiness = Readiness(ready=False, message=NOT_READY, deadline_exceeded=True)
    driver.tick()
    assert driver.status["phase"] == "Succeeded"


def test_suspend_comes_before_the_readiness_check() -> None:
    obj = canary_object()
    driver = initialised(obj)
    driver.ticks(2)
    driver.obj["spec"]["suspend"] = True
    driver.readiness = Readiness(ready=False, message=NOT_READY, deadline_exceeded=True)
    driver.tick()
    assert driver.messages() == ["skipping canary run as object is suspended"]
    assert driver.status["phase"] == "Progressing"


def test_blue_green_waiting_promotion_keeps_iterations_one_short() -> None:
    hooks = [hook("promote", "confirm-promotion")]
    driver = initialised(canary_object(iterations=2, stepWeight=None, webhooks=hooks))
    driver.answers["promote"] = HOLD
    driver.ticks(4)
    assert driver.messages() == ["Halt web.shop advancement waiting for promotion approval promote"]
    assert (driver.status["phase"], driver.status["iterations"]) == ("WaitingPromotion", 1)
    driver.tick()
    assert driver.messages() == ["Advance web.shop canary iteration 2/2"]
    driver.tick()
    assert driver.messages() == []
    assert (driver.status["phase"], driver.status["iterations"]) == ("WaitingPromotion", 1)
    driver.answers["promote"] = PASS
    driver.ticks(2)
    assert driver.messages() == [
        "Confirm-promotion check promote passed",
        "Routing all traffic to canary",
    ]
    driver.tick()
    assert driver.status["phase"] == "Promoting"
