"""`status` of a Canary as Flagger writes it, read once with Flagger's zero values.

A Canary Flagger has not reconciled yet has no status at all; the portal shows it as
`Initializing`, the phase Flagger writes first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from portal.domain.conditions import Condition, build_conditions
from portal.domain.raw_fields import (
    int_at,
    list_at,
    mapping_at,
    optional_str_at,
    str_at,
    time_at,
)


class Phase(StrEnum):
    """Flagger's canary phases (`Terminated` exists in the enum but is never written)."""

    INITIALIZING = "Initializing"
    INITIALIZED = "Initialized"
    WAITING = "Waiting"
    PROGRESSING = "Progressing"
    WAITING_PROMOTION = "WaitingPromotion"
    PROMOTING = "Promoting"
    FINALISING = "Finalising"
    SUCCEEDED = "Succeeded"
    FAILED = "Failed"
    TERMINATING = "Terminating"
    TERMINATED = "Terminated"


IN_FLIGHT_PHASES = frozenset(
    {
        Phase.WAITING,
        Phase.PROGRESSING,
        Phase.WAITING_PROMOTION,
        Phase.PROMOTING,
        Phase.FINALISING,
    }
)
"""Phases of a run in flight: a revision waits for, is under, or has passed analysis."""

PROMOTION_PHASES = frozenset({Phase.PROMOTING, Phase.FINALISING})
FAILED_PROMOTION_WEIGHT = 100


@dataclass(frozen=True, slots=True)
class CanaryStatus:
    """The status fields the portal reads (exact Flagger JSON names, snake-cased)."""

    phase: str
    failed_checks: int
    canary_weight: int
    iterations: int
    last_applied_spec: str | None
    last_promoted_spec: str | None
    last_transition_time: datetime | None
    tracked_configs: tuple[tuple[str, str], ...]
    conditions: tuple[Condition, ...]


def is_failed_promotion(*, phase: str, raw_canary_weight: int) -> bool:
    """A promotion whose primary never became ready ends `Failed` with `canaryWeight: 100`."""
    return phase == Phase.FAILED and raw_canary_weight == FAILED_PROMOTION_WEIGHT


def last_phase_change(status: CanaryStatus) -> datetime | None:
    """When the canary's state last really changed, for "last change".

    Flagger stamps `lastTransitionTime` on every status write (canary/status.go
    `syncCanaryStatus`), and re-syncs a `Failed` canary's status every tick (scheduler.go:861-867
    at v1.44.0), so for `Failed` that field is just the last tick. The `Promoted` condition's
    `lastUpdateTime` moves only when the phase or the condition's status changes
    (`MakeStatusConditions`): it is the moment the canary failed. Other phases are written only
    when something changes (a weight step, a failed check), so their `lastTransitionTime` stands.
    """
    if status.phase != Phase.FAILED:
        return status.last_transition_time
    promoted = next(
        (c for c in status.conditions if c.type == "Promoted" and c.reason == status.phase), None
    )
    if promoted is None or promoted.last_update_time is None:
        return status.last_transition_time
    return promoted.last_update_time


def build_canary_status(status: Mapping[str, Any]) -> CanaryStatus:
    """The status of a Canary (an empty mapping reads as `Initializing`)."""
    tracked = mapping_at(status, "trackedConfigs")
    return CanaryStatus(
        phase=str_at(status, "phase", default=Phase.INITIALIZING),
        failed_checks=int_at(status, "failedChecks"),
        canary_weight=int_at(status, "canaryWeight"),
        iterations=int_at(status, "iterations"),
        last_applied_spec=optional_str_at(status, "lastAppliedSpec"),
        last_promoted_spec=optional_str_at(status, "lastPromotedSpec"),
        last_transition_time=time_at(status, "lastTransitionTime"),
        tracked_configs=tuple(sorted((str(k), str(v)) for k, v in tracked.items())),
        conditions=build_conditions(list_at(status, "conditions")),
    )
