"""Observations for run bookkeeping tests: CanaryViews at given status times, and events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from portal.domain.canaries import build_canary_view
from portal.domain.flagger_events import classify_flagger_event
from portal.domain.runs import (
    CanaryObserved,
    EventObserved,
    Observation,
    OpenRun,
    RunDecision,
    RunState,
    decide_run,
)
from tests.unit.domain.objects import canary, flagger_status

T0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
IMAGE = "ghcr.io/stefanprodan/podinfo:6.7.1"
NEW = "7c9d5f8b6d"
OLD = "5b6c7d9f8d"


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def stamp(minutes: float) -> str:
    return at(minutes).strftime("%Y-%m-%dT%H:%M:%SZ")


def seen(
    phase: str,
    minute: float,
    *,
    weight: int = 0,
    iterations: int = 0,
    revision: str = NEW,
    image: str | None = None,
    analysis: dict[str, Any] | None = None,
    **spec: Any,
) -> CanaryObserved:
    """A CanaryView whose status Flagger wrote at `minute`, observed a second later."""
    status = flagger_status(
        phase,
        canary_weight=weight,
        iterations=iterations,
        last_applied_spec=revision,
        last_transition_time=stamp(minute),
    )
    obj = canary(status=status, analysis=analysis, **spec)
    view = build_canary_view(obj, cluster="prod", now=at(minute))
    return CanaryObserved(view=view, at=at(minute) + timedelta(seconds=1), image=image)


def heard(message: str, minute: float, *, image: str | None = None) -> EventObserved:
    """A Flagger event stamped at `minute`."""
    return EventObserved(event=classify_flagger_event(message), at=at(minute), image=image)


IDLE = RunState(phase="Succeeded", revision=OLD)
RUNNING = RunState(
    phase="Progressing",
    canary_weight=10,
    revision=NEW,
    open_run=OpenRun(started_at=at(0), revision=NEW, image=IMAGE),
)


def feed(state: RunState, *observations: Observation) -> tuple[RunState, list[RunDecision]]:
    decisions: list[RunDecision] = []
    for observation in observations:
        update = decide_run(state=state, observation=observation)
        state = update.state
        decisions.extend(update.decisions)
    return state, decisions
