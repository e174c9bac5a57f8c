"""The records of canary RUNS the portal keeps beyond Kubernetes' one-hour event TTL.

A run is one revision's trip through analysis: it starts when a new revision is detected (or
waits at the rollout gate), records its steps, and ends promoted, rolled back or superseded. This
module holds the state carried between observations, the decisions a service turns into database
writes, and the pure transitions that emit a decision and move the state together.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from portal.domain.canaries import CanaryView
from portal.domain.flagger_events import FlaggerEvent, RollbackCause

TIMESTAMP_RESOLUTION = timedelta(seconds=1)
"""Kubernetes times (lastTransitionTime, event timestamps) are whole seconds; the event webhook
carries milliseconds, so a status dated up to a second before a run's webhook-dated start is of
that run."""


class Outcome(StrEnum):
    """How a run ended."""

    PROMOTED = "promoted"
    ROLLED_BACK = "rolled_back"
    SUPERSEDED = "superseded"


@dataclass(frozen=True, slots=True)
class OpenRun:
    """The run in progress; `revision` is None while it waits at the rollout gate."""

    started_at: datetime
    revision: str | None
    image: str | None
    pending_cause: RollbackCause | None = None
    pending_reason: str | None = None
    """Why a `Canary failed!` that follows would end the run (a progress deadline error seen)."""


@dataclass(frozen=True, slots=True)
class ClosedRun:
    """The last run that ended: lets late or replayed observations be recognised."""

    started_at: datetime
    ended_at: datetime
    outcome: Outcome
    reason: str | None


@dataclass(frozen=True, slots=True)
class RunState:
    """What the bookkeeping remembers of one canary between observations."""

    phase: str | None = None
    canary_weight: int = 0
    iterations: int = 0
    revision: str | None = None
    open_run: OpenRun | None = None
    last_run: ClosedRun | None = None


@dataclass(frozen=True, slots=True)
class CanaryObserved:
    """A new CanaryView from the watch; `image` is the target's first container image if known."""

    view: CanaryView
    at: datetime
    image: str | None = None


@dataclass(frozen=True, slots=True)
class EventObserved:
    """A classified Flagger event and the time Kubernetes (or the event webhook) stamped on it."""

    event: FlaggerEvent
    at: datetime
    image: str | None = None


Observation = CanaryObserved | EventObserved


@dataclass(frozen=True, slots=True)
class StartRun:
    """Open a run; `joined_late` when the portal first saw it already under way."""

    started_at: datetime
    revision: str | None
    image: str | None
    trigger: str
    joined_late: bool


@dataclass(frozen=True, slots=True)
class UpdateRun:
    """Fill in the open run's revision or image once they become known."""

    revision: str | None
    image: str | None


@dataclass(frozen=True, slots=True)
class RecordStep:
    """Add a step to the open run's timeline (a phase, weight or iteration change)."""

    at: datetime
    phase: str
    canary_weight: int
    iterations: int
    note: str | None


@dataclass(frozen=True, slots=True)
class EndRun:
    """Close the open run with its outcome (everything a run row needs)."""

    started_at: datetime
    ended_at: datetime
    duration_seconds: float
    outcome: Outcome
    reason: str | None
    cause: RollbackCause | None
    revision: str | None
    image: str | None


@dataclass(frozen=True, slots=True)
class AmendRunEnd:
    """Give the last (rolled back) run the reason a late `Rolling back` event explained."""

    reason: str
    cause: RollbackCause


RunDecision = StartRun | UpdateRun | RecordStep | EndRun | AmendRunEnd


@dataclass(frozen=True, slots=True)
class RunUpdate:
    """The state after an observation and the decisions it led to, in order."""

    state: RunState
    decisions: tuple[RunDecision, ...] = ()


def opened(
    update: RunUpdate,
    *,
    at: datetime,
    revision: str | None,
    image: str | None,
    trigger: str,
    joined_late: bool = False,
) -> RunUpdate:
    """Open a run at `at`."""
    run = OpenRun(started_at=at, revision=revision, image=image)
    decision = StartRun(at, revision, image, trigger, joined_late)
    return _with(update, decision, replace(update.state, open_run=run))


def described(update: RunUpdate, *, revision: str | None, image: str | None) -> RunUpdate:
    """Fill in what the open run lacked (no-op when nothing new is known)."""
    run = update.state.open_run
    if run is None:
        return update
    new = replace(run, revision=run.revision or revision, image=run.image or image)
    if new == run:
        return update
    decision = UpdateRun(revision=new.revision, image=new.image)
    return _with(update, decision, replace(update.state, open_run=new))


def stepped(
    update: RunUpdate,
    *,
    at: datetime,
    phase: str,
    weight: int,
    iterations: int,
    note: str | None = None,
) -> RunUpdate:
    """Record a step and remember the phase, weight and iterations it reached."""
    state = replace(update.state, phase=phase, canary_weight=weight, iterations=iterations)
    return _with(update, RecordStep(at, phase, weight, iterations, note), state)


def closed(
    update: RunUpdate,
    *,
    at: datetime,
    outcome: Outcome,
    reason: str | None = None,
    cause: RollbackCause | None = None,
) -> RunUpdate:
    """End the open run (no-op when none is open)."""
    run = update.state.open_run
    if run is None:
        return update
    duration = max((at - run.started_at).total_seconds(), 0.0)
    decision = EndRun(run.started_at, at, duration, outcome, reason, cause, run.revision, run.image)
    last = ClosedRun(started_at=run.started_at, ended_at=at, outcome=outcome, reason=reason)
    return _with(update, decision, replace(update.state, open_run=None, last_run=last))


def amended(update: RunUpdate, *, reason: str, cause: RollbackCause) -> RunUpdate:
    """Give the last run the rollback reason it ended without."""
    last = update.state.last_run
    if last is None:
        return update
    state = replace(update.state, last_run=replace(last, reason=reason))
    return _with(update, AmendRunEnd(reason=reason, cause=cause), state)


def predates_last_end(state: RunState, *, at: datetime) -> bool:
    """Whether an observation stamped `at` belongs to a run that has already ended."""
    return state.last_run is not None and at <= state.last_run.ended_at


def _with(update: RunUpdate, decision: RunDecision, state: RunState) -> RunUpdate:
    return RunUpdate(state=state, decisions=(*update.decisions, decision))
