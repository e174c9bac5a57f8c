"""Canary RUNS bookkeeping: one entry point deciding what an observation means for a run.

Kubernetes keeps events about an hour; the portal's timeline must outlive that. The service layer
feeds every new CanaryView and every classified Flagger event of a canary through `decide_run`
with the state it stored last, writes the returned decisions to the database and stores the
returned state. Nothing here performs I/O.
"""

from __future__ import annotations

from portal.domain.run_event_rules import decide_from_event
from portal.domain.run_records import (
    AmendRunEnd,
    CanaryObserved,
    ClosedRun,
    EndRun,
    EventObserved,
    Observation,
    OpenRun,
    Outcome,
    RecordStep,
    RunDecision,
    RunState,
    RunUpdate,
    StartRun,
    UpdateRun,
)
from portal.domain.run_status_rules import decide_from_view

__all__ = [
    "AmendRunEnd",
    "CanaryObserved",
    "ClosedRun",
    "EndRun",
    "EventObserved",
    "Observation",
    "OpenRun",
    "Outcome",
    "RecordStep",
    "RunDecision",
    "RunState",
    "RunUpdate",
    "StartRun",
    "UpdateRun",
    "decide_run",
]


def decide_run(*, state: RunState, observation: Observation) -> RunUpdate:
    """The decisions one observation leads to, and the state to keep for the next one."""
    if isinstance(observation, CanaryObserved):
        return decide_from_view(state, observation)
    return decide_from_event(state, observation)
