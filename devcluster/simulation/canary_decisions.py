"""Flagger v1.44's per-tick decision for one canary, as pure functions (no I/O).

`decide_tick` follows the order of Flagger's `advanceCanary`: suspend, initialise, new revision and
the confirm-rollout gate, revision restarts, skipAnalysis, rollback hooks, promotion phases, the
failed-checks threshold, pre-rollout/rollout hooks and metrics, then one strategy step. It returns
either the tick's outcome or the webhook it must have answered first; the caller calls that hook
and decides again with the answer added (a tick is cheap and deterministic, so this is exact).
"""

from __future__ import annotations

from collections.abc import Mapping

from devcluster.simulation.canary_model import (
    TOTAL_WEIGHT,
    Canary,
    Strategy,
    max_weight,
)
from devcluster.simulation.canary_strategies import (
    KUBERNETES_PROVIDER,
    copying_message,
    step_strategy,
)
from devcluster.simulation.canary_ticks import (
    Action,
    HookAnswer,
    HookCall,
    HookKey,
    HookUnanswered,
    Tick,
    TickInput,
    TickOutcome,
)
from devcluster.simulation.metric_checks import halt_message, measured_values

ANALYSIS_PHASES = ("Progressing", "WaitingPromotion")
ACTIVE_PHASES = (*ANALYSIS_PHASES, "Promoting", "Finalising")


def decide_tick(
    *, given: TickInput, answers: Mapping[HookKey, HookAnswer]
) -> TickOutcome | HookCall:
    """The outcome of one tick, or the webhook call whose answer the tick needs first."""
    tick = Tick(given=given, answers=answers)
    try:
        _advance(tick)
    except HookUnanswered as missing:
        return missing.call
    return tick.outcome()


def _advance(tick: Tick) -> None:
    canary, phase = tick.canary, tick.canary.status.phase
    if canary.suspend:
        tick.record("skipping canary run as object is suspended")
        return
    if phase in ("", "Initializing"):
        _initialise(tick)
        return
    if not _should_advance(tick):
        return
    if not canary.skip_analysis and not tick.given.primary.ready:
        _primary_not_ready(tick)
        return
    if phase not in ACTIVE_PHASES:
        _start_revision(tick)
        return
    if phase in ANALYSIS_PHASES and tick.given.target_hash != canary.status.last_applied_spec:
        _restart_revision(tick)
        return
    if not tick.given.readiness.ready and _waits_for_readiness(tick):
        return
    if canary.skip_analysis:
        _skip_analysis(tick)
        return
    _analyse(tick)


def _should_advance(tick: Tick) -> bool:
    """Flagger's shouldAdvance (scheduler.go:861-867) and hasSpecChanged (spec.go:32-49), v1.44.0.

    A Failed canary's status is synced every tick before the change check, so `lastAppliedSpec`
    takes the target's hash even when this tick goes no further: a later tick sees no change.
    A target reverted to `lastPromotedSpec` is never a new revision.
    """
    status, target_hash = tick.canary.status, tick.given.target_hash
    if status.phase in (*ACTIVE_PHASES, "Waiting"):
        return True
    if status.phase == "Failed":
        tick.set_field(last_applied_spec=target_hash)
    return target_hash not in (status.last_applied_spec, status.last_promoted_spec)


def _primary_not_ready(tick: Tick) -> None:
    """IsPrimaryReady failed (scheduler.go:295-310 at v1.44.0): wait, or give up at its deadline.

    Past the deadline a promotion in flight fails keeping the canary serving everything
    (scheduler.go:1000-1035); any other phase rolls back to the primary, even an unready one.
    """
    primary = tick.given.primary
    tick.record(primary.message, warning=True)
    if not primary.deadline_exceeded:
        return
    if tick.canary.status.phase in ("Promoting", "Finalising"):
        _fail_promotion(tick)
        return
    _roll_back(tick)


def _fail_promotion(tick: Tick) -> None:
    canary = tick.canary
    reason = tick.given.primary.message
    message = f"Promotion of {canary.target_key} failed, primary not ready: {reason}"
    tick.routed = TOTAL_WEIGHT
    tick.record(message, warning=True, phase="Failed")
    tick.sync_status(phase="Failed", canary_weight=TOTAL_WEIGHT)


def _initialise(tick: Tick) -> None:
    tick.act(Action.INITIALISE_PRIMARY)
    tick.sync_status(phase="Initialized")
    tick.record(f"Initialization done! {tick.canary.key}", phase="Initialized")


def _start_revision(tick: Tick) -> None:
    canary = tick.canary
    for hook in canary.analysis.hooks_of("confirm-rollout"):
        # The payload names the phase the canary is in (scheduler_hooks.go:47 at v1.44.0).
        if not tick.ask(hook=hook, phase=canary.status.phase).passed:
            if canary.status.phase != "Waiting":
                tick.set_phase("Waiting")
                message = f"Halt {canary.key} advancement waiting for approval {hook.name}"
                tick.record(message, warning=True)
            return
        if canary.status.phase == "Waiting":
            tick.record(f"Confirm-rollout check {hook.name} passed")
    tick.record(f"New revision detected! Scaling up {canary.target_key}", phase="Progressing")
    tick.act(Action.SCALE_UP_TARGET)
    tick.routed = 0
    tick.sync_status(phase="Progressing")


def _restart_revision(tick: Tick) -> None:
    tick.routed = 0
    tick.sync_status(phase="Progressing")
    tick.record(f"New revision detected! Restarting analysis for {tick.canary.target_key}")


def _waits_for_readiness(tick: Tick) -> bool:
    """Canary pods not ready: wait, or roll back once the progress deadline has passed."""
    readiness, canary = tick.given.readiness, tick.canary
    if not readiness.deadline_exceeded:
        tick.record(readiness.message, warning=True)
        return True
    if canary.status.phase not in ANALYSIS_PHASES:
        return False
    # v1.44 records the readiness error and rolls back; its `Rolling back ... progress deadline
    # exceeded` message is never reached (docs/flagger-fidelity.md).
    tick.record(deadline_message(canary=canary), warning=True)
    _roll_back(tick)
    return True


def deadline_message(*, canary: Canary) -> str:
    """Flagger's readiness error once the canary Deployment's progress deadline has passed."""
    return (
        f"canary deployment {canary.target_key} not ready: "
        f'deployment "{canary.target_name}" exceeded its progress deadline'
    )


def _skip_analysis(tick: Tick) -> None:
    """Promote at once; post-rollout hooks still run (scheduler.go:843 at v1.44.0)."""
    canary = tick.canary
    tick.routed = 0
    tick.record(copying_message(tick))
    tick.act(Action.PROMOTE_TARGET)
    tick.act(Action.SCALE_DOWN_TARGET)
    tick.set_phase("Succeeded")
    tick.post_rollout_phase = "Succeeded"
    tick.record(f"Promotion completed! Canary analysis was skipped for {canary.target_key}")


def _analyse(tick: Tick) -> None:
    canary, phase = tick.canary, tick.canary.status.phase
    if phase in ANALYSIS_PHASES and _rollback_requested(tick):
        tick.record(f"Rolling back {canary.key} manual webhook invoked", warning=True)
        _roll_back(tick)
        return
    if phase == "Promoting":
        _shift_traffic_to_primary(tick)
        return
    if phase == "Finalising":
        _finalise(tick)
        return
    if phase in ANALYSIS_PHASES and canary.status.failed_checks >= canary.analysis.threshold:
        _roll_back(tick)
        return
    if not _checks_pass(tick):
        tick.set_field(failed_checks=canary.status.failed_checks + 1)
        return
    step_strategy(tick)


def _rollback_requested(tick: Tick) -> bool:
    for hook in tick.canary.analysis.hooks_of("rollback"):
        if tick.ask(hook=hook, phase=tick.canary.status.phase).passed:
            tick.record(f"Rollback check {hook.name} passed", warning=True)
            return True
        tick.record(f"Rollback hook {hook.name} not signaling a rollback")
    return False


def _roll_back(tick: Tick) -> None:
    canary = tick.canary
    if canary.status.failed_checks >= canary.analysis.threshold:
        message = f"Rolling back {canary.key} failed checks threshold reached"
        tick.record(f"{message} {canary.status.failed_checks}", warning=True)
    tick.routed = 0
    tick.record(f"Canary failed! Scaling down {canary.key}", warning=True, phase="Failed")
    tick.act(Action.SCALE_DOWN_TARGET)
    tick.sync_status(phase="Failed")
    tick.post_rollout_phase = "Failed"


def _shift_traffic_to_primary(tick: Tick) -> None:
    step = tick.canary.analysis.step_weight_promotion
    if tick.provider == KUBERNETES_PROVIDER:
        tick.routed = 0
        tick.set_phase("Finalising")
        return
    if step == 0:
        tick.record("Routing all traffic to primary")
        tick.routed = 0
        tick.set_phase("Finalising")
        return
    primary = min(TOTAL_WEIGHT, TOTAL_WEIGHT - tick.routed + step)
    tick.routed = max(0, tick.routed - step)
    tick.record(f"Advance {tick.canary.key} primary weight {primary}")
    if primary == TOTAL_WEIGHT:
        tick.set_phase("Finalising")
    else:
        tick.set_field(canary_weight=tick.routed)


def _finalise(tick: Tick) -> None:
    tick.act(Action.SCALE_DOWN_TARGET)
    tick.set_phase("Succeeded")
    tick.post_rollout_phase = "Succeeded"
    tick.record(f"Promotion completed! Scaling down {tick.canary.target_key}")


def _checks_pass(tick: Tick) -> bool:
    canary = tick.canary
    tick.analysed = True
    if tick.routed == 0 and canary.status.iterations == 0:
        tick.record(f"Starting canary analysis for {canary.target_key}")
        return _hooks_pass(tick, hook_type="pre-rollout", label="pre-rollout check")
    if not _hooks_pass(tick, hook_type="rollout", label="external check"):
        return False
    tick.measured = measured_values(canary=canary, signal=tick.given.metrics)
    halt = halt_message(canary=canary, signal=tick.given.metrics)
    if halt is not None:
        tick.record(halt, warning=True)
        return False
    return True


def _hooks_pass(tick: Tick, *, hook_type: str, label: str) -> bool:
    for hook in tick.canary.analysis.hooks_of(hook_type):
        answer = tick.ask(hook=hook)
        if not answer.passed:
            message = f"Halt {tick.canary.key} advancement {label} {hook.name} failed"
            tick.record(f"{message} {answer.message}", warning=True)
            return False
        if hook_type == "pre-rollout":
            tick.record(f"Pre-rollout check {hook.name} passed")
    return True


def recovered_routed_weight(*, canary: Canary) -> int:
    """The routed canary weight implied by a status, for a simulator that just (re)started.

    Flagger reads routes from the mesh; the simulator keeps them in memory and rebuilds them
    from the status after a restart, undoing the WaitingPromotion trap (status shows 0 there).
    """
    status, analysis = canary.status, canary.analysis
    if analysis.strategy is Strategy.CANARY:
        if status.phase == "WaitingPromotion":
            return max_weight(analysis=analysis)
        return status.canary_weight if status.phase in ACTIVE_PHASES else 0
    if analysis.strategy is Strategy.AB_TESTING:
        return TOTAL_WEIGHT if status.phase in ACTIVE_PHASES and status.iterations > 0 else 0
    routed_all = status.iterations > analysis.iterations
    return TOTAL_WEIGHT if status.phase in ACTIVE_PHASES and routed_all else 0
