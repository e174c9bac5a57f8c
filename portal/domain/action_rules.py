"""Which operator action applies to a canary in its current state, and how it takes effect.

Pure rules over the `CanaryView` (no I/O). Each action uses Flagger's own mechanism
(FLAGGER.md): pause/resume set `spec.suspend`; rollback opens the portal's rollback gate for the
run in progress; promote opens the confirm-promotion gate when the canary waits there, else sets
`spec.skipAnalysis`; approve opens the confirm gate the canary waits on; retry bumps a
pod-template annotation of a failed canary's target. A plan either says what to do or gives the
one-line reason the action does not apply (409).
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Literal

from portal.domain.canaries import CanaryView
from portal.domain.canary_gates import Gate
from portal.domain.canary_status import is_failed_promotion

Mechanism = Literal["suspend", "resume", "gate", "skip-analysis", "retry", "none"]
ACTIVE_PHASES = frozenset({"Progressing", "WaitingPromotion"})
ENDED_PHASES = frozenset({"Succeeded", "Failed", "Initialized"})


class ActionName(StrEnum):
    pause = "pause"
    resume = "resume"
    rollback = "rollback"
    promote = "promote"
    approve = "approve"
    retry = "retry"


@dataclass(frozen=True, slots=True)
class ActionPlan:
    """What to do: a mechanism (and gate), whether to resume too, or why nothing is needed."""

    mechanism: Mechanism
    gate: Gate | None = None
    resume_too: bool = False
    already: str | None = None
    withdraw_promote: bool = False
    """Set spec.skipAnalysis back to false first: a pending skipAnalysis promotes before Flagger
    ever consults a rollback hook (scheduler.go:354-378 at v1.44.0)."""


@dataclass(frozen=True, slots=True)
class ActionRefusal:
    reason: str


def rollback_hook_hint(base_url: str, *, token_key: bool) -> str:
    """What to add to a Canary so the portal can roll it back."""
    metadata = ", metadata: {token: <this cluster's Flagger token>}" if token_key else ""
    return (
        "add to spec.analysis.webhooks: {name: portal-rollback, type: rollback, "
        f"url: {base_url.rstrip('/')}/flagger/gates/rollback{metadata}}}"
    )


def plan_action(
    action: ActionName, canary: CanaryView, *, held_gates: Collection[Gate], rollback_hint: str
) -> ActionPlan | ActionRefusal:
    """The plan for `action`; `held_gates` are the portal gates whose last answer was a hold."""
    match action:
        case ActionName.pause:
            if canary.suspended:
                return ActionPlan("none", already="already paused (spec.suspend is true)")
            return ActionPlan("suspend")
        case ActionName.resume:
            if not canary.suspended:
                return ActionPlan("none", already="not paused (spec.suspend is false)")
            return ActionPlan("resume")
        case ActionName.rollback:
            return _plan_rollback(canary, rollback_hint=rollback_hint)
        case ActionName.promote:
            return _plan_promote(canary)
        case ActionName.approve:
            return _plan_approve(canary, held_gates=held_gates)
        case ActionName.retry:
            return _plan_retry(canary)


def _plan_rollback(canary: CanaryView, *, rollback_hint: str) -> ActionPlan | ActionRefusal:
    if canary.phase not in ACTIVE_PHASES:
        return ActionRefusal(
            f"{_name(canary)} is {_phase(canary)}: a rollback applies only to a run in "
            "progress (Progressing or WaitingPromotion)"
        )
    if not canary.is_wired_to(Gate.ROLLBACK):
        return ActionRefusal(
            f"{_name(canary)} has no rollback webhook pointing at this portal: {rollback_hint}"
        )
    return ActionPlan(
        "gate",
        gate=Gate.ROLLBACK,
        resume_too=canary.suspended,
        withdraw_promote=canary.skip_analysis,
    )


def _plan_retry(canary: CanaryView) -> ActionPlan | ActionRefusal:
    if canary.phase != "Failed":
        return ActionRefusal(f"{_name(canary)} is {_phase(canary)}: retry needs Failed")
    failed_promotion = is_failed_promotion(
        phase=canary.phase, raw_canary_weight=canary.raw_canary_weight
    )
    if failed_promotion and canary.primary_ready is not True:
        primary = f"{canary.namespace}/{canary.target.primary_name}"
        return ActionRefusal(
            f"{_name(canary)} failed during promotion: its primary {primary} never became ready "
            "and all traffic is on the canary. A retry starts a new revision, and Flagger would "
            "route everything back to the unready primary and scale the canary, the only "
            f"healthy copy, to zero. Fix the primary first (kubectl -n {canary.namespace} "
            f"rollout status deployment/{canary.target.primary_name}); retry once it is ready"
        )
    return ActionPlan("retry")


def _plan_promote(canary: CanaryView) -> ActionPlan | ActionRefusal:
    if canary.phase not in ACTIVE_PHASES:
        return ActionRefusal(
            f"{_name(canary)} is {_phase(canary)}: promote applies to a run in progress "
            "(Progressing or WaitingPromotion); a Waiting release needs approve"
        )
    if canary.suspended:
        return ActionRefusal(f"{_name(canary)} is paused: resume it first")
    if canary.phase == "WaitingPromotion" and canary.is_wired_to(Gate.CONFIRM_PROMOTION):
        return ActionPlan("gate", gate=Gate.CONFIRM_PROMOTION)
    if canary.skip_analysis:
        return ActionPlan("none", already="already promoting (spec.skipAnalysis is true)")
    return ActionPlan("skip-analysis")


_WAITING_GATES = {
    "Waiting": Gate.CONFIRM_ROLLOUT,
    "WaitingPromotion": Gate.CONFIRM_PROMOTION,
    "Progressing": Gate.CONFIRM_TRAFFIC_INCREASE,
}


def _plan_approve(
    canary: CanaryView, *, held_gates: Collection[Gate]
) -> ActionPlan | ActionRefusal:
    gate = _WAITING_GATES.get(canary.phase)
    if gate is None or not canary.is_wired_to(gate):
        return ActionRefusal(
            f"{_name(canary)} is {_phase(canary)} and waits on no portal gate: approve applies "
            "while it waits at the portal's confirm-rollout (Waiting), confirm-promotion "
            "(WaitingPromotion) or confirm-traffic-increase gate"
        )
    if gate is Gate.CONFIRM_TRAFFIC_INCREASE and gate not in held_gates:
        return ActionRefusal(
            f"{_name(canary)} is Progressing and its confirm-traffic-increase gate is open: "
            "nothing to approve"
        )
    if canary.suspended:
        return ActionRefusal(f"{_name(canary)} is paused: resume it first")
    return ActionPlan("gate", gate=gate)


def takes_effect(
    canary: CanaryView, *, action: ActionName | None = None, now: datetime | None = None
) -> str:
    """When Flagger acts on a change: at its next tick, up to one interval later.

    A rollback of a canary whose pods are not ready waits longer: Flagger stops each tick at the
    readiness check, before any rollback hook, and rolls back only at the progress deadline.
    """
    next_tick = f"at the next analysis tick, within {canary.interval_seconds:g}s"
    if action is not ActionName.rollback or canary.target_ready is not False:
        return next_tick
    left = _seconds_to_deadline(canary, now=now)
    if left is None:
        return (
            "at the progress deadline: the canary's pods are not ready, and Flagger consults "
            f"rollback hooks only once they are (progressDeadlineSeconds "
            f"{canary.progress_deadline_seconds})"
        )
    if left <= 0:
        return f"{next_tick}: the canary's pods are not ready and its progress deadline passed"
    return (
        f"at the progress deadline, in {left}s: the canary's pods are not ready, and Flagger "
        "consults rollback hooks only once they are"
    )


def _seconds_to_deadline(canary: CanaryView, *, now: datetime | None) -> int | None:
    """Seconds until the run's progress deadline, counted from when it started Progressing."""
    started = next(
        (c.last_transition_time for c in canary.conditions if c.type == "Promoted"), None
    )
    if started is None or now is None:
        return None
    elapsed = (now - started).total_seconds()
    return math.ceil(canary.progress_deadline_seconds - elapsed)


def _name(canary: CanaryView) -> str:
    return f"{canary.namespace}/{canary.name}"


def _phase(canary: CanaryView) -> str:
    return canary.phase or "without a phase yet"
