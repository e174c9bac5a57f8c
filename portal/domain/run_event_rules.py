"""Run bookkeeping from Flagger events: starts, steps and ends the status alone cannot date.

Events and status arrive on separate watches in no guaranteed order, and a relist replays the
last hour of events. Every rule is therefore idempotent against the state: an event older than
the open run's start or the last run's end changes nothing, and a step the status already showed
(same weight or iteration) is not recorded twice.

Run identity is the revision, never a clock: events carry no revision and their timestamps are
whole seconds on the watch and milliseconds on the webhook, so a `New revision detected` event
only opens a run when none is open. Whether an open run was superseded is decided by the status
alone, when it names another `lastAppliedSpec` (`portal.domain.run_status_rules`); Flagger writes
that status right after the event (scheduler.go checkCanaryStatus, hasCanaryRevisionChanged).
"""

from __future__ import annotations

from dataclasses import replace

from portal.domain.canary_status import Phase
from portal.domain.flagger_events import EventKind, HaltReason, RollbackCause
from portal.domain.run_records import (
    EventObserved,
    Outcome,
    RunState,
    RunUpdate,
    amended,
    closed,
    opened,
    predates_last_end,
    stepped,
)

_START_TRIGGERS = {
    EventKind.NEW_REVISION: "new revision",
    EventKind.RESTARTING_ANALYSIS: "restarting analysis",
}


def decide_from_event(state: RunState, observed: EventObserved) -> RunUpdate:
    """What one classified Flagger event means for the canary's runs."""
    update = RunUpdate(state=state)
    event = observed.event
    if event.kind in _START_TRIGGERS:
        return _new_revision(update, observed=observed)
    if event.kind is EventKind.HALT and event.halt_reason is HaltReason.ROLLOUT_APPROVAL:
        return _waiting(update, observed=observed)
    if not _inside_open_run(state, observed=observed):
        return _late_rollback_reason(update, observed=observed)
    if event.kind in (EventKind.ADVANCE_WEIGHT, EventKind.ADVANCE_ITERATION):
        return _advanced(update, observed=observed)
    return _ended(update, observed=observed)


def _new_revision(update: RunUpdate, *, observed: EventObserved) -> RunUpdate:
    """Open a run when none is open; with one open, the status' revision decides (see above)."""
    state, at = update.state, observed.at
    if state.open_run is not None or predates_last_end(state, at=at):
        return update
    trigger = _START_TRIGGERS[observed.event.kind]
    update = opened(update, at=at, revision=None, image=observed.image, trigger=trigger)
    return stepped(update, at=at, phase=Phase.PROGRESSING, weight=0, iterations=0)


def _waiting(update: RunUpdate, *, observed: EventObserved) -> RunUpdate:
    state, at = update.state, observed.at
    if state.open_run is not None or predates_last_end(state, at=at):
        return update
    trigger = "waiting for rollout approval"
    update = opened(update, at=at, revision=None, image=observed.image, trigger=trigger)
    return stepped(update, at=at, phase=Phase.WAITING, weight=0, iterations=0)


def _advanced(update: RunUpdate, *, observed: EventObserved) -> RunUpdate:
    state, event = update.state, observed.event
    weight = event.weight if event.weight is not None else state.canary_weight
    iterations = event.iteration if event.iteration is not None else state.iterations
    if (weight, iterations) == (state.canary_weight, state.iterations):
        return update
    return stepped(
        update,
        at=observed.at,
        phase=Phase.PROGRESSING,
        weight=weight,
        iterations=iterations,
        note=event.message,
    )


def _ended(update: RunUpdate, *, observed: EventObserved) -> RunUpdate:
    event, at = observed.event, observed.at
    if event.kind is EventKind.PROMOTION_COMPLETED:
        reason = "analysis skipped" if event.analysis_skipped else None
        update = closed(update, at=at, outcome=Outcome.PROMOTED, reason=reason)
        return _phase(update, Phase.SUCCEEDED)
    if event.kind is EventKind.ROLLING_BACK:
        cause = event.rollback_cause or RollbackCause.UNKNOWN
        reason = event.rollback_reason
        update = closed(update, at=at, outcome=Outcome.ROLLED_BACK, reason=reason, cause=cause)
        return _phase(update, Phase.FAILED)
    if event.kind is EventKind.CANARY_FAILED:
        run = update.state.open_run
        cause = (run.pending_cause if run else None) or RollbackCause.UNKNOWN
        reason = run.pending_reason if run else None
        update = closed(update, at=at, outcome=Outcome.ROLLED_BACK, reason=reason, cause=cause)
        return _phase(update, Phase.FAILED)
    if event.kind is EventKind.NOT_READY and event.rollback_cause is not None:
        return _explained(update, cause=event.rollback_cause, reason=event.rollback_reason)
    return update


def _explained(update: RunUpdate, *, cause: RollbackCause, reason: str | None) -> RunUpdate:
    """Remember why the `Canary failed!` Flagger records next ends the run (v1.44 rolls back a
    canary past its progress deadline without a `Rolling back` message)."""
    run = update.state.open_run
    if run is None:
        return update
    explained = replace(run, pending_cause=cause, pending_reason=reason)
    return replace(update, state=replace(update.state, open_run=explained))


def _late_rollback_reason(update: RunUpdate, *, observed: EventObserved) -> RunUpdate:
    event, last = observed.event, update.state.last_run
    if event.rollback_reason is None or event.rollback_cause is None:
        return update
    if last is None or last.outcome is not Outcome.ROLLED_BACK or last.reason is not None:
        return update
    if observed.at < last.started_at:
        return update
    cause = event.rollback_cause or RollbackCause.UNKNOWN
    return amended(update, reason=event.rollback_reason, cause=cause)


def _inside_open_run(state: RunState, *, observed: EventObserved) -> bool:
    run = state.open_run
    return run is not None and observed.at >= run.started_at


def _phase(update: RunUpdate, phase: str) -> RunUpdate:
    return replace(update, state=replace(update.state, phase=phase, canary_weight=0))
