"""Why a canary's portal gates hold its run right now, from the gates' last calls.

Flagger drops a hold's 403 body: its `Halt ...` events name only the hook
(scheduler_hooks.go:31, 53, 76, 131 at v1.44.0). The portal answered the call, so it knows the
reason (a change freeze, a closed policy waiting for approval, a stale approval) and shows it
next to the canary. A hold counts only for the run Flagger is on (the call's checksum is the
observed one) while that run is in flight; the rollback gate's "no rollback requested" is no
hold: the run goes on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from portal.domain.canary_gates import Gate
from portal.domain.gate_rules import FreezeFact

HOLDING_GATES = (Gate.CONFIRM_ROLLOUT, Gate.CONFIRM_TRAFFIC_INCREASE, Gate.CONFIRM_PROMOTION)
"""The gates whose 403 stops a run, in the order a run meets them."""


@dataclass(frozen=True, slots=True)
class LastCall:
    """Flagger's last call to one gate, as stored."""

    gate: Gate
    checksum: str
    passed: bool
    answer: str
    seen_at: datetime
    held_since: datetime | None


@dataclass(frozen=True, slots=True)
class GateHold:
    """One gate holding the run: the portal's answer, since when, and the freeze behind it."""

    gate: Gate
    reason: str
    held_since: datetime | None
    last_asked_at: datetime
    frozen_by: str | None = None
    frozen_since: datetime | None = None


def gate_holds(
    calls: Iterable[LastCall],
    *,
    checksum: str | None,
    in_flight: bool,
    freeze: FreezeFact | None,
) -> tuple[GateHold, ...]:
    """The holds on the observed run (`checksum`), in gate order; none once the run ended."""
    if not in_flight or checksum is None:
        return ()
    holds = []
    holding = [c for c in calls if c.gate in HOLDING_GATES and not c.passed]
    for call in sorted(holding, key=lambda c: HOLDING_GATES.index(c.gate)):
        if call.checksum != checksum:
            continue
        frozen = (
            freeze if freeze and call.answer.startswith(f"change freeze #{freeze.id} ") else None
        )
        holds.append(
            GateHold(
                gate=call.gate,
                reason=call.answer,
                held_since=call.held_since,
                last_asked_at=call.seen_at,
                frozen_by=frozen.created_by if frozen else None,
                frozen_since=frozen.created_at if frozen else None,
            )
        )
    return tuple(holds)
