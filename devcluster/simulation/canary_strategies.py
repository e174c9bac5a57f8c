"""One strategy step of a Flagger analysis tick: canary weights, Blue/Green or A/B iterations.

Runs after the tick's checks passed. Promotion gates live here because each strategy asks for
promotion at its own point (max weight reached, or all iterations done).
"""

from __future__ import annotations

from dataclasses import replace

from devcluster.simulation.canary_model import TOTAL_WEIGHT, Strategy, max_weight, next_step_weight
from devcluster.simulation.canary_ticks import Action, Tick

KUBERNETES_PROVIDER = "kubernetes"


def step_strategy(tick: Tick) -> None:
    if tick.provider == KUBERNETES_PROVIDER:
        _force_blue_green(tick)
    strategy = tick.canary.analysis.strategy
    if strategy is Strategy.AB_TESTING:
        _step_ab_testing(tick)
    elif strategy is Strategy.BLUE_GREEN:
        _step_blue_green(tick)
    else:
        _step_canary(tick)


def _force_blue_green(tick: Tick) -> None:
    """Flagger's kubernetes provider cannot shift traffic: only Blue/Green, 10 iterations."""
    analysis = tick.canary.analysis
    if analysis.has_match:
        tick.record("A/B testing is not supported when using the kubernetes provider", warning=True)
        analysis = replace(analysis, has_match=False)
    if analysis.iterations < 1:
        message = "Progressive traffic is not supported when using the kubernetes provider"
        tick.record(message, warning=True)
        tick.record("Setting canaryAnalysis.iterations: 10", warning=True)
        analysis = replace(analysis, iterations=10)
    tick.given = replace(tick.given, canary=replace(tick.canary, analysis=analysis))


def _advance_iteration(tick: Tick) -> None:
    done = tick.canary.status.iterations + 1
    tick.set_field(iterations=done)
    total = tick.canary.analysis.iterations
    tick.record(f"Advance {tick.canary.key} canary iteration {done}/{total}")


def _step_ab_testing(tick: Tick) -> None:
    analysis, done = tick.canary.analysis, tick.canary.status.iterations
    if analysis.iterations > done:
        tick.routed = TOTAL_WEIGHT
        _advance_iteration(tick)
        return
    if _promotion_confirmed(tick) and analysis.iterations == done:
        _promote(tick)


def _step_blue_green(tick: Tick) -> None:
    analysis, done = tick.canary.analysis, tick.canary.status.iterations
    if analysis.iterations > done:
        _advance_iteration(tick)
        return
    if not _promotion_confirmed(tick):
        return
    if analysis.iterations == done:
        if tick.provider != KUBERNETES_PROVIDER:
            tick.record("Routing all traffic to canary")
            tick.routed = TOTAL_WEIGHT
        tick.set_field(iterations=done + 1)
        return
    _promote(tick)


def _step_canary(tick: Tick) -> None:
    canary = tick.canary
    if next_step_weight(analysis=canary.analysis, canary_weight=tick.routed) <= 0:
        return
    if canary.status.phase != "WaitingPromotion" and not _traffic_increase_confirmed(tick):
        return
    top = max_weight(analysis=canary.analysis)
    if tick.routed < top:
        step = next_step_weight(analysis=canary.analysis, canary_weight=tick.routed)
        tick.routed = min(TOTAL_WEIGHT, tick.routed + step)
        tick.set_field(canary_weight=tick.routed)
        tick.record(f"Advance {canary.key} canary weight {tick.routed}")
        return
    if _promotion_confirmed(tick):
        _promote(tick)


def _traffic_increase_confirmed(tick: Tick) -> bool:
    for hook in tick.canary.analysis.hooks_of("confirm-traffic-increase"):
        if not tick.ask(hook=hook).passed:
            message = f"Halt {tick.canary.key} advancement waiting for traffic increase approval"
            tick.record(f"{message} {hook.name}", warning=True)
            return False
        tick.record(f"Confirm-traffic-increase check {hook.name} passed")
    return True


def _promotion_confirmed(tick: Tick) -> bool:
    canary = tick.canary
    for hook in canary.analysis.hooks_of("confirm-promotion"):
        if tick.ask(hook=hook).passed:
            tick.record(f"Confirm-promotion check {hook.name} passed")
            continue
        if canary.status.phase != "WaitingPromotion":
            tick.set_phase("WaitingPromotion")
            message = f"Halt {canary.key} advancement waiting for promotion approval {hook.name}"
            tick.record(message, warning=True)
        else:
            tick.set_field(iterations=canary.analysis.iterations - 1)
        return False
    return True


def _promote(tick: Tick) -> None:
    tick.record(copying_message(tick))
    tick.act(Action.PROMOTE_TARGET)
    tick.set_phase("Promoting")


def copying_message(tick: Tick) -> str:
    canary = tick.canary
    primary = f"{canary.target_name}-primary.{canary.namespace}"
    return f"Copying {canary.target_key} template spec to {primary}"
