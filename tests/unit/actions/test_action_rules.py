"""Which action applies to a canary in which state (pure rules over the CanaryView)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from portal.domain.action_rules import (
    ActionName,
    ActionPlan,
    ActionRefusal,
    plan_action,
    rollback_hook_hint,
    takes_effect,
)
from portal.domain.canaries import CanaryView, Workloads, build_canary_view
from portal.domain.canary_gates import Gate

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)
HINT = rollback_hook_hint("http://portal:8000/", token_key=True)


def canary(phase: str, *gates: str, suspend: bool = False, skip: bool = False) -> CanaryView:
    hooks = [
        {"name": f"p-{g}", "type": g, "url": f"http://portal:8000/flagger/gates/{g}"} for g in gates
    ]
    obj: dict[str, Any] = {
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "targetRef": {"kind": "Deployment", "name": "web"},
            "suspend": suspend,
            "skipAnalysis": skip,
            "analysis": {"interval": "30s", "webhooks": hooks},
        },
        "status": {"phase": phase},
    }
    return build_canary_view(obj, cluster="prod", now=NOW)


def plan(action: ActionName, view: CanaryView, *held: Gate) -> ActionPlan | ActionRefusal:
    return plan_action(action, view, held_gates=set(held), rollback_hint=HINT)


def test_pause_and_resume_follow_spec_suspend() -> None:
    assert plan(ActionName.pause, canary("Progressing")) == ActionPlan("suspend")
    assert plan(ActionName.pause, canary("Progressing", suspend=True)) == ActionPlan(
        "none", already="already paused (spec.suspend is true)"
    )
    assert plan(ActionName.resume, canary("Succeeded", suspend=True)) == ActionPlan("resume")
    assert plan(ActionName.resume, canary("Succeeded")).already == (  # type: ignore[union-attr]
        "not paused (spec.suspend is false)"
    )


def test_rollback_needs_a_run_in_progress_and_a_portal_rollback_hook() -> None:
    assert plan(ActionName.rollback, canary("Succeeded", "rollback")) == ActionRefusal(
        "shop/web is Succeeded: a rollback applies only to a run in progress "
        "(Progressing or WaitingPromotion)"
    )
    assert plan(ActionName.rollback, canary("Progressing")) == ActionRefusal(
        "shop/web has no rollback webhook pointing at this portal: add to "
        "spec.analysis.webhooks: {name: portal-rollback, type: rollback, "
        "url: http://portal:8000/flagger/gates/rollback, "
        "metadata: {token: <this cluster's Flagger token>}}"
    )
    assert plan(ActionName.rollback, canary("WaitingPromotion", "rollback", suspend=True)) == (
        ActionPlan("gate", gate=Gate.ROLLBACK, resume_too=True)
    )


def test_promote_opens_the_promotion_gate_or_skips_the_analysis() -> None:
    waiting = canary("WaitingPromotion", "confirm-promotion")
    assert plan(ActionName.promote, waiting) == ActionPlan("gate", gate=Gate.CONFIRM_PROMOTION)
    assert plan(ActionName.promote, canary("Progressing")) == ActionPlan("skip-analysis")
    assert plan(ActionName.promote, canary("Progressing", skip=True)).already == (  # type: ignore[union-attr]
        "already promoting (spec.skipAnalysis is true)"
    )
    assert isinstance(plan(ActionName.promote, canary("Waiting")), ActionRefusal)
    assert plan(ActionName.promote, canary("Progressing", suspend=True)) == ActionRefusal(
        "shop/web is paused: resume it first"
    )


def test_approve_opens_the_confirm_gate_the_canary_waits_on() -> None:
    assert plan(ActionName.approve, canary("Waiting", "confirm-rollout")) == ActionPlan(
        "gate", gate=Gate.CONFIRM_ROLLOUT
    )
    traffic = canary("Progressing", "confirm-traffic-increase")
    assert isinstance(plan(ActionName.approve, traffic), ActionRefusal)
    assert plan(ActionName.approve, traffic, Gate.CONFIRM_TRAFFIC_INCREASE) == ActionPlan(
        "gate", gate=Gate.CONFIRM_TRAFFIC_INCREASE
    )
    assert isinstance(plan(ActionName.approve, canary("Waiting")), ActionRefusal)


def test_retry_needs_a_failed_canary_and_effects_come_at_the_next_tick() -> None:
    assert plan(ActionName.retry, canary("Failed")) == ActionPlan("retry")
    assert plan(ActionName.retry, canary("")) == ActionRefusal(
        "shop/web is Initializing: retry needs Failed"
    )
    assert takes_effect(canary("Failed")) == "at the next analysis tick, within 30s"


def workload(*, ready: bool) -> dict[str, Any]:
    return {"spec": {"replicas": 2}, "status": {"readyReplicas": 2 if ready else 0}}


def with_workloads(
    phase: str,
    *gates: str,
    status: dict[str, Any] | None = None,
    skip: bool = False,
    target_ready: bool = True,
    primary_ready: bool = True,
) -> CanaryView:
    hooks = [
        {"name": f"p-{g}", "type": g, "url": f"http://portal:8000/flagger/gates/{g}"} for g in gates
    ]
    obj: dict[str, Any] = {
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "targetRef": {"kind": "Deployment", "name": "web"},
            "skipAnalysis": skip,
            "progressDeadlineSeconds": 300,
            "analysis": {"interval": "30s", "webhooks": hooks},
        },
        "status": {"phase": phase, **(status or {})},
    }
    found = Workloads(target=workload(ready=target_ready), primary=workload(ready=primary_ready))
    return build_canary_view(obj, cluster="prod", now=NOW, workloads=found)


FAILED_PROMOTION = {"canaryWeight": 100}


def test_retry_after_a_failed_promotion_is_refused_while_the_primary_is_unready() -> None:
    """Issue 10.2: the next revision would roll back onto the unready primary."""
    unready = with_workloads("Failed", status=FAILED_PROMOTION, primary_ready=False)
    refusal = plan(ActionName.retry, unready)
    assert isinstance(refusal, ActionRefusal)
    assert refusal.reason.startswith(
        "shop/web failed during promotion: its primary shop/web-primary never became ready"
    )
    assert refusal.reason.endswith(
        "Fix the primary first (kubectl -n shop rollout status deployment/web-primary); "
        "retry once it is ready"
    )
    fixed = with_workloads("Failed", status=FAILED_PROMOTION, primary_ready=True)
    assert plan(ActionName.retry, fixed) == ActionPlan("retry")
    rolled_back = with_workloads("Failed", primary_ready=False)
    assert plan(ActionName.retry, rolled_back) == ActionPlan("retry")


def test_rollback_of_an_unready_canary_takes_effect_at_the_progress_deadline() -> None:
    """Issue 10.3: rollback hooks run only once the canary is ready (scheduler.go:354-378)."""
    started = {
        "conditions": [
            {
                "type": "Promoted",
                "status": "Unknown",
                "reason": "Progressing",
                "lastTransitionTime": "2026-11-25T11:58:00Z",
            }
        ]
    }
    unready = with_workloads("Progressing", "rollback", status=started, target_ready=False)
    assert takes_effect(unready, action=ActionName.rollback, now=NOW) == (
        "at the progress deadline, in 180s: the canary's pods are not ready, and Flagger "
        "consults rollback hooks only once they are"
    )
    assert takes_effect(unready, action=ActionName.pause, now=NOW) == (
        "at the next analysis tick, within 30s"
    )
    ready = with_workloads("Progressing", "rollback", status=started)
    assert takes_effect(ready, action=ActionName.rollback, now=NOW) == (
        "at the next analysis tick, within 30s"
    )


def test_rollback_withdraws_a_pending_promote_first() -> None:
    """Issue 10.3: a pending skipAnalysis promotes before any rollback hook is consulted."""
    promoting = with_workloads("Progressing", "rollback", skip=True)
    assert plan(ActionName.rollback, promoting) == ActionPlan(
        "gate", gate=Gate.ROLLBACK, withdraw_promote=True
    )
    assert plan(ActionName.rollback, with_workloads("Progressing", "rollback")) == ActionPlan(
        "gate", gate=Gate.ROLLBACK
    )
