"""Which gate calls are holds on the run Flagger is on (portal.domain.gate_holds)."""

from __future__ import annotations

from datetime import UTC, datetime

from portal.domain.canary_gates import Gate
from portal.domain.gate_holds import GateHold, LastCall, gate_holds
from portal.domain.gate_rules import FreezeFact

T0 = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
T1 = datetime(2026, 12, 2, 10, 5, tzinfo=UTC)
FREEZE = FreezeFact(id=7, scope="cluster c", reason="incident", created_by="ana", created_at=T0)


def call(
    gate: Gate, *, passed: bool = False, checksum: str = "run1", answer: str = "no"
) -> LastCall:
    return LastCall(
        gate=gate, checksum=checksum, passed=passed, answer=answer, seen_at=T1, held_since=T0
    )


def test_holds_of_the_observed_run_in_the_order_a_run_meets_them() -> None:
    calls = [
        call(Gate.CONFIRM_PROMOTION, answer="closed by policy"),
        call(Gate.CONFIRM_TRAFFIC_INCREASE, passed=True),
        call(Gate.ROLLBACK, answer="no rollback requested"),
        call(Gate.CONFIRM_ROLLOUT, checksum="run0", answer="old run"),
    ]
    assert gate_holds(calls, checksum="run1", in_flight=True, freeze=None) == (
        GateHold(
            gate=Gate.CONFIRM_PROMOTION,
            reason="closed by policy",
            held_since=T0,
            last_asked_at=T1,
        ),
    )


def test_a_freeze_hold_names_who_froze_and_since_when() -> None:
    answer = "change freeze #7 on cluster c by ana: incident (lift it to let w.ns start a release)"
    [hold] = gate_holds(
        [call(Gate.CONFIRM_ROLLOUT, answer=answer)], checksum="run1", in_flight=True, freeze=FREEZE
    )
    assert (hold.frozen_by, hold.frozen_since) == ("ana", T0)


def test_a_freeze_that_did_not_cause_the_hold_is_not_named() -> None:
    [hold] = gate_holds(
        [call(Gate.CONFIRM_ROLLOUT, answer="stale approval")],
        checksum="run1",
        in_flight=True,
        freeze=FREEZE,
    )
    assert (hold.frozen_by, hold.frozen_since) == (None, None)


def test_no_holds_once_the_run_ended() -> None:
    calls = [call(Gate.CONFIRM_PROMOTION)]
    assert gate_holds(calls, checksum="run1", in_flight=False, freeze=None) == ()
    assert gate_holds(calls, checksum=None, in_flight=True, freeze=None) == ()
