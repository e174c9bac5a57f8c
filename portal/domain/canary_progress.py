"""How far a canary run has come: the traffic really routed, progress 0..1 and the current step.

Flagger's status fields are not the routes (FLAGGER.md "Traps"): in WaitingPromotion a canary-
strategy status reads `canaryWeight: 0` while maxWeight% still goes to the canary; Blue/Green and
A/B never write `canaryWeight`; and a failed promotion can end `Failed` with `canaryWeight: 100`
although every rollback routes all traffic to the primary and scales the canary to zero.
What each strategy routes to the canary, phase by phase:

- canary: the status weight while Progressing; the last step's weight (maxWeight, or above it
  when stepWeight overshoots) while WaitingPromotion; while Promoting the status weight
  (stepWeightPromotion lowers it step by step), else the last step's; nothing once `Routing all
  traffic to primary` has moved the run to Finalising, nor outside a run.
- Blue/Green: nothing during the analysis iterations; everything once the promotion gate opened
  and Flagger logged `Routing all traffic to canary` (status iterations exceed analysis
  iterations, which one WaitingPromotion tick already reaches: scheduler.go:533-557 at v1.44.0)
  and while Promoting, where stepWeightPromotion lowers the status weight step by step
  (scheduler.go:711-731).
- A failed promotion (primary never ready) ends `Failed` with `canaryWeight: 100` and Flagger
  really routes everything to the canary (scheduler.go:1000-1035); any other Failed routes
  nothing to it.
- The provider is `spec.provider`, else Flagger's `-mesh-provider` flag (scheduler.go:176-180).
  With `kubernetes` there is no router: the primary service keeps all traffic until the primary
  itself is updated, and a weighted canary runs as Blue/Green with 10 iterations
  (scheduler.go:470-480).
- A/B: only requests matching `match` reach the canary; there is no share of traffic to report,
  so the weight is 0 and progress comes from iterations.
"""

from __future__ import annotations

from dataclasses import replace

from portal.domain.canary_analysis import TOTAL_WEIGHT, Analysis, Strategy
from portal.domain.canary_status import CanaryStatus, Phase, is_failed_promotion

KUBERNETES_PROVIDER = "kubernetes"
KUBERNETES_ITERATIONS = 10
"""Iterations Flagger sets for a weighted canary under the kubernetes provider."""

_DONE_PHASES = frozenset(
    {Phase.WAITING_PROMOTION, Phase.PROMOTING, Phase.FINALISING, Phase.SUCCEEDED}
)
_PAST_ANALYSIS_PHASES = frozenset({Phase.WAITING_PROMOTION, Phase.PROMOTING, Phase.FINALISING})


def provider_analysis(analysis: Analysis, *, provider: str) -> Analysis:
    """The analysis Flagger really runs: the kubernetes provider forces Blue/Green."""
    if provider != KUBERNETES_PROVIDER:
        return analysis
    iterations = analysis.iterations if analysis.iterations >= 1 else KUBERNETES_ITERATIONS
    return replace(analysis, strategy=Strategy.BLUE_GREEN, iterations=iterations)


def routed_weight(
    analysis: Analysis, *, status: CanaryStatus, plan: tuple[int, ...], provider: str
) -> int:
    """The percentage of traffic Flagger's router sends to the canary right now.

    `provider` is the effective one (spec.provider, else the `-mesh-provider` flag)."""
    if provider == KUBERNETES_PROVIDER:
        return 0
    if is_failed_promotion(phase=status.phase, raw_canary_weight=status.canary_weight):
        return TOTAL_WEIGHT
    if analysis.strategy is Strategy.CANARY:
        return _canary_routed_weight(analysis, status=status, plan=plan)
    if analysis.strategy is Strategy.BLUE_GREEN:
        return _blue_green_routed_weight(analysis, status=status)
    return 0


def progress(analysis: Analysis, *, status: CanaryStatus, weight: int) -> float:
    """Progress of the run in 0..1: routed weight over maxWeight, or iterations done over total.

    Analysis is complete (1.0) from WaitingPromotion to Succeeded; a Failed status no longer says
    how far the run got before rolling back, so it reads 0 like every phase outside a run.
    """
    if status.phase in _DONE_PHASES:
        return 1.0
    if status.phase != Phase.PROGRESSING:
        return 0.0
    if analysis.strategy is Strategy.CANARY:
        return _fraction(weight, analysis.max_weight)
    return _fraction(status.iterations, analysis.iterations)


def current_step(
    plan: tuple[int, ...], *, analysis: Analysis, status: CanaryStatus, weight: int
) -> int | None:
    """The index in `plan` the run has reached, or None before its first step or outside a run."""
    if not plan:
        return None
    if status.phase in _PAST_ANALYSIS_PHASES:
        return len(plan) - 1
    if status.phase != Phase.PROGRESSING:
        return None
    if analysis.strategy is Strategy.CANARY:
        return plan.index(weight) if weight in plan else None
    done = min(status.iterations, len(plan))
    return done - 1 if done >= 1 else None


def _canary_routed_weight(
    analysis: Analysis, *, status: CanaryStatus, plan: tuple[int, ...]
) -> int:
    raw = _clamped(status.canary_weight)
    last_step = plan[-1] if plan else analysis.max_weight
    if status.phase == Phase.PROGRESSING:
        return raw
    if status.phase == Phase.WAITING_PROMOTION:
        return last_step
    if status.phase == Phase.PROMOTING:
        return raw or last_step
    return 0


def _blue_green_routed_weight(analysis: Analysis, *, status: CanaryStatus) -> int:
    if status.phase == Phase.PROMOTING:
        return _clamped(status.canary_weight) or TOTAL_WEIGHT
    switched = status.iterations > analysis.iterations
    in_analysis = status.phase in (Phase.PROGRESSING, Phase.WAITING_PROMOTION)
    return TOTAL_WEIGHT if in_analysis and switched else 0


def _fraction(done: int, total: int) -> float:
    if total <= 0:
        return 0.0
    return min(max(done / total, 0.0), 1.0)


def _clamped(weight: int) -> int:
    return min(max(weight, 0), TOTAL_WEIGHT)
