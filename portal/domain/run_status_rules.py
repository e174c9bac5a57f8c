"""Run bookkeeping from Canary status: what each new CanaryView means for the open run.

Times come from the status' `lastTransitionTime` (Flagger's own write time) when present, so a
view the portal reads late still dates its step correctly. A view dated at or before the end of
the last run is a stale echo of that run (an event may have closed it first) and starts nothing.
"""

from __future__ import annotations

from datetime import datetime

from portal.domain.canaries import CanaryView
from portal.domain.canary_status import Phase, is_failed_promotion
from portal.domain.flagger_events import RollbackCause
from portal.domain.run_records import (
    TIMESTAMP_RESOLUTION,
    CanaryObserved,
    OpenRun,
    Outcome,
    RunState,
    RunUpdate,
    closed,
    described,
    opened,
    predates_last_end,
    stepped,
)

RUN_PHASES = frozenset(
    {Phase.WAITING, Phase.PROGRESSING, Phase.WAITING_PROMOTION, Phase.PROMOTING, Phase.FINALISING}
)
REVISION_PHASES = RUN_PHASES - {Phase.WAITING}
"""In Waiting, `lastAppliedSpec` still names the previous revision."""
IDLE_PHASES = frozenset({Phase.INITIALIZING, Phase.INITIALIZED, Phase.SUCCEEDED, Phase.FAILED})
FRESH_START_PHASES = frozenset({Phase.WAITING, Phase.PROGRESSING})


def decide_from_view(state: RunState, observed: CanaryObserved) -> RunUpdate:
    """Start, step, supersede or end the run as the new status says, then remember it."""
    view = observed.view
    at = view.last_transition_time or observed.at
    update = RunUpdate(state=state)
    run = state.open_run
    if run is None:
        update = _maybe_start(update, observed=observed, at=at)
    else:
        update = _follow(update, run=run, observed=observed, at=at)
    return _remembered(update, view=view)


def _maybe_start(update: RunUpdate, *, observed: CanaryObserved, at: datetime) -> RunUpdate:
    view, state = observed.view, update.state
    if view.phase not in RUN_PHASES or predates_last_end(state, at=at):
        return update
    fresh = state.phase in IDLE_PHASES and view.phase in FRESH_START_PHASES
    update = opened(
        update,
        at=at,
        revision=_revision(view),
        image=observed.image,
        trigger=_trigger(view, fresh=fresh),
        joined_late=not fresh,
    )
    return _step(update, view=view, at=at)


def _follow(
    update: RunUpdate, *, run: OpenRun, observed: CanaryObserved, at: datetime
) -> RunUpdate:
    view = observed.view
    if predates_last_end(update.state, at=at) or at < run.started_at - TIMESTAMP_RESOLUTION:
        return update  # written before this run began (to the second): an echo of the last one
    revision = _revision(view)
    if run.revision is not None and revision is not None and revision != run.revision:
        update = closed(
            update, at=at, outcome=Outcome.SUPERSEDED, reason=f"new revision {revision}"
        )
        update = opened(
            update, at=at, revision=revision, image=observed.image, trigger="new revision"
        )
        return _step(update, view=view, at=at)
    update = described(update, revision=revision, image=observed.image)
    if _moved(update.state, view=view):
        update = _step(update, view=view, at=at)
    return _ended(update, view=view, at=at)


def _ended(update: RunUpdate, *, view: CanaryView, at: datetime) -> RunUpdate:
    if view.phase == Phase.SUCCEEDED:
        reason = "analysis skipped" if view.skip_analysis else None
        return closed(update, at=at, outcome=Outcome.PROMOTED, reason=reason)
    if view.phase != Phase.FAILED:
        return update
    if is_failed_promotion(phase=view.phase, raw_canary_weight=view.raw_canary_weight):
        reason, cause = "promotion failed: primary not ready", RollbackCause.PROMOTION_FAILED
        return closed(update, at=at, outcome=Outcome.ROLLED_BACK, reason=reason, cause=cause)
    return closed(update, at=at, outcome=Outcome.ROLLED_BACK, cause=RollbackCause.UNKNOWN)


def _step(update: RunUpdate, *, view: CanaryView, at: datetime) -> RunUpdate:
    return stepped(
        update, at=at, phase=view.phase, weight=view.canary_weight, iterations=view.iterations
    )


def _moved(state: RunState, *, view: CanaryView) -> bool:
    before = (state.phase, state.canary_weight, state.iterations)
    return before != (view.phase, view.canary_weight, view.iterations)


def _revision(view: CanaryView) -> str | None:
    return view.last_applied_spec if view.phase in REVISION_PHASES else None


def _trigger(view: CanaryView, *, fresh: bool) -> str:
    if not fresh:
        return f"observed in {view.phase}"
    if view.phase == Phase.WAITING:
        return "waiting for rollout approval"
    return "new revision"


def _remembered(update: RunUpdate, *, view: CanaryView) -> RunUpdate:
    state = update.state
    remembered = RunState(
        phase=view.phase,
        canary_weight=view.canary_weight,
        iterations=view.iterations,
        revision=view.last_applied_spec,
        open_run=state.open_run,
        last_run=state.last_run,
    )
    return RunUpdate(state=remembered, decisions=update.decisions)
