"""Issue 10 (points 2, 4, 8, 9, 12): the simulator's tick against Flagger v1.44.0's scheduler.

Each test names the upstream lines it follows (docs/flagger-fidelity.md lists them).
"""

from __future__ import annotations

from devcluster.simulation.canary_ticks import Action, Readiness
from tests.unit.devcluster_simulation.test_sim_flagger_decisions import (
    HOLD,
    PASS,
    Driver,
    canary_object,
    hook,
    initialised,
)

PRIMARY_WAITING = (
    "primary deployment web-app-primary.shop not ready: waiting for rollout to finish: "
    "0 of 1 (readyThreshold 100%) updated replicas are available"
)
PRIMARY_DEADLINE = (
    'primary deployment web-app-primary.shop not ready: deployment "web-app-primary" '
    "exceeded its progress deadline"
)


def promoting() -> Driver:
    driver = initialised(canary_object())
    driver.ticks(5)
    assert driver.status["phase"] == "Promoting"
    driver.events.clear()
    driver.actions.clear()
    return driver


def failed_by_metrics() -> Driver:
    driver = initialised(canary_object(metrics=[{"name": "request-success-rate"}]))
    driver.failing = True
    driver.ticks(5)
    assert driver.status["phase"] == "Failed"
    driver.failing = False
    driver.events.clear()
    return driver


def test_promotion_waits_while_the_primary_is_not_ready_yet() -> None:
    driver = promoting()
    driver.primary = Readiness(ready=False, message=PRIMARY_WAITING)
    outcome = driver.tick()
    assert driver.messages() == [PRIMARY_WAITING]
    assert outcome.status is None
    assert driver.routed == 30


def test_failed_promotion_routes_everything_to_the_canary_and_keeps_it_up() -> None:
    """scheduler.go:1000-1035: Failed with canaryWeight 100, canary scaled up, no rollback."""
    driver = promoting()
    driver.primary = Readiness(ready=False, message=PRIMARY_DEADLINE, deadline_exceeded=True)
    outcome = driver.tick()
    assert driver.messages() == [
        PRIMARY_DEADLINE,
        f"Promotion of web-app.shop failed, primary not ready: {PRIMARY_DEADLINE}",
    ]
    assert outcome.events[1].warning
    assert (driver.status["phase"], driver.status["canaryWeight"]) == ("Failed", 100)
    assert driver.routed == 100
    assert outcome.actions == ()
    assert outcome.post_rollout_phase is None


def test_next_revision_after_a_failed_promotion_rolls_back_to_the_unready_primary() -> None:
    """scheduler.go:295-310 and 948-998: the only healthy copy is scaled to zero."""
    driver = promoting()
    driver.primary = Readiness(ready=False, message=PRIMARY_DEADLINE, deadline_exceeded=True)
    driver.tick()
    driver.target_hash = "rev3"
    outcome = driver.tick()
    assert driver.messages() == [PRIMARY_DEADLINE, "Canary failed! Scaling down web.shop"]
    assert outcome.actions == (Action.SCALE_DOWN_TARGET,)
    assert driver.routed == 0
    status = driver.status
    assert (status["phase"], status["canaryWeight"], status["lastAppliedSpec"]) == (
        "Failed",
        0,
        "rev3",
    )


def test_a_failed_canary_status_is_written_every_tick() -> None:
    """scheduler.go:861-867: SyncStatus of a Failed canary before the change check."""
    driver = failed_by_metrics()
    outcome = driver.tick()
    assert driver.messages() == []
    assert outcome.status is not None
    assert (outcome.status["phase"], outcome.status["lastAppliedSpec"]) == ("Failed", "rev2")


def test_a_retry_seen_while_the_primary_scales_is_lost() -> None:
    """The sync stores the new hash, the tick returns early, the next tick sees no change."""
    driver = failed_by_metrics()
    driver.target_hash = "rev3"
    driver.primary = Readiness(ready=False, message=PRIMARY_WAITING)
    driver.tick()
    assert driver.messages() == [PRIMARY_WAITING]
    assert (driver.status["phase"], driver.status["lastAppliedSpec"]) == ("Failed", "rev3")
    driver.primary = Readiness()
    driver.ticks(3)
    assert driver.events == [PRIMARY_WAITING]
    assert driver.status["phase"] == "Failed"


def test_a_revert_to_the_last_promoted_spec_starts_no_run() -> None:
    """spec.go:32-49: a target hashing to lastPromotedSpec is not a new revision."""
    driver = failed_by_metrics()
    assert driver.status["lastPromotedSpec"] == "rev1"
    driver.target_hash = "rev1"
    driver.ticks(2)
    assert driver.events == []
    assert (driver.status["phase"], driver.status["lastAppliedSpec"]) == ("Failed", "rev1")


def test_skip_analysis_still_waits_at_a_closed_confirm_rollout_gate() -> None:
    """scheduler.go:323-325: confirm-rollout runs before the skipAnalysis check."""
    driver = initialised(canary_object(webhooks=[hook("go", "confirm-rollout")]))
    driver.obj["spec"]["skipAnalysis"] = True
    driver.answers["go"] = HOLD
    driver.ticks(2)
    assert driver.status["phase"] == "Waiting"
    assert Action.PROMOTE_TARGET not in driver.actions
    driver.answers["go"] = PASS
    driver.tick()
    assert driver.status["phase"] == "Progressing"
    outcome = driver.tick()
    assert driver.status["phase"] == "Succeeded"
    assert outcome.actions == (Action.PROMOTE_TARGET, Action.SCALE_DOWN_TARGET)


def test_skip_analysis_still_runs_post_rollout_hooks() -> None:
    """scheduler.go:843: post-rollout hooks run after a skipped analysis too."""
    driver = initialised(canary_object(webhooks=[hook("after", "post-rollout")]))
    driver.tick()
    driver.obj["spec"]["skipAnalysis"] = True
    outcome = driver.tick()
    assert driver.status["phase"] == "Succeeded"
    assert outcome.post_rollout_phase == "Succeeded"


def test_confirm_rollout_payload_names_the_current_phase() -> None:
    """scheduler_hooks.go:47: the payload's phase is the canary's phase, not Progressing."""
    driver = initialised(canary_object(webhooks=[hook("go", "confirm-rollout")]))
    driver.answers["go"] = HOLD
    driver.ticks(2)
    assert [call.phase for call in driver.calls] == ["Initialized", "Waiting"]
    driver.answers["go"] = PASS
    driver.tick()
    assert driver.calls[-1].phase == "Waiting"


def test_confirm_rollout_payload_of_a_failed_canary_says_failed() -> None:
    driver = failed_by_metrics()
    driver.obj["spec"]["analysis"]["webhooks"] = [hook("go", "confirm-rollout")]
    driver.calls.clear()
    driver.target_hash = "rev3"
    driver.tick()
    assert [call.phase for call in driver.calls] == ["Failed"]


def test_mesh_provider_flag_applies_when_spec_provider_is_unset() -> None:
    """scheduler.go:176-180: the `-mesh-provider` flag, then 470-480: kubernetes never routes."""
    driver = initialised(canary_object())
    driver.mesh_provider = "kubernetes"
    driver.ticks(2)
    assert driver.messages() == [
        "Starting canary analysis for web-app.shop",
        "Progressive traffic is not supported when using the kubernetes provider",
        "Setting canaryAnalysis.iterations: 10",
        "Advance web.shop canary iteration 1/10",
    ]
    assert driver.routed == 0


def test_spec_provider_overrides_the_mesh_provider_flag() -> None:
    obj = canary_object()
    obj["spec"]["provider"] = "nginx"
    driver = initialised(obj)
    driver.mesh_provider = "kubernetes"
    driver.ticks(2)
    assert driver.messages() == [
        "Starting canary analysis for web-app.shop",
        "Advance web.shop canary weight 10",
    ]
    assert driver.routed == 10
