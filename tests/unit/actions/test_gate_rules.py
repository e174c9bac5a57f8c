"""How a portal gate answers: policies, run-bound and "always" openings, freezes."""

from __future__ import annotations

from portal.domain.canary_gates import Gate
from portal.domain.gate_rules import (
    ALWAYS,
    FreezeFact,
    GateAnswer,
    GatePolicy,
    decide_gate,
    policy_for,
)

OPEN, CLOSED = GatePolicy.OPEN, GatePolicy.CLOSED
FREEZE = FreezeFact(
    id=7, scope="namespace shop of cluster prod", reason="Black Friday", created_by="ana"
)


def answer(
    gate: Gate, policy: GatePolicy, *openings: str, freeze: FreezeFact | None = None
) -> GateAnswer:
    return decide_gate(
        gate,
        target="web.shop",
        policy=policy,
        checksum="run-b",
        openings=set(openings),
        freeze=freeze,
    )


def test_built_in_defaults_open_confirm_gates_and_close_rollback() -> None:
    assert [policy_for(g, metadata={}, defaults={}) for g in Gate if g is not Gate.EVENT] == [
        OPEN,
        OPEN,
        OPEN,
        CLOSED,
    ]


def test_hook_metadata_beats_settings_which_beat_the_built_in_default() -> None:
    defaults = {"confirm-promotion": "closed"}
    assert policy_for(Gate.CONFIRM_PROMOTION, metadata={}, defaults=defaults) is CLOSED
    assert (
        policy_for(Gate.CONFIRM_PROMOTION, metadata={"policy": "open"}, defaults=defaults) is OPEN
    )
    assert policy_for(Gate.ROLLBACK, metadata={"policy": "sometimes"}, defaults={}) is CLOSED


def test_a_closed_rollback_gate_passes_only_for_the_run_an_operator_named() -> None:
    assert answer(Gate.ROLLBACK, CLOSED) == GateAnswer(
        False, "no rollback requested for web.shop in this run"
    )
    assert answer(Gate.ROLLBACK, CLOSED, "run-a").passed is False
    assert answer(Gate.ROLLBACK, CLOSED, ALWAYS).passed is False
    assert answer(Gate.ROLLBACK, CLOSED, "run-b") == GateAnswer(
        True, "rollback of web.shop requested by an operator for this run"
    )


def test_a_closed_confirm_gate_passes_for_this_run_or_always() -> None:
    held = answer(Gate.CONFIRM_PROMOTION, CLOSED, "run-a")
    assert held == GateAnswer(
        False,
        "confirm-promotion of web.shop is closed by policy: waiting for an operator to approve "
        "(portal canary approve, or POST /api/v1/canaries/<cluster>/shop/web/approve)",
    )
    assert answer(Gate.CONFIRM_PROMOTION, CLOSED, "run-b").reason.endswith("for this run")
    assert answer(Gate.CONFIRM_PROMOTION, CLOSED, ALWAYS).reason.endswith("for every run")
    assert answer(Gate.CONFIRM_TRAFFIC_INCREASE, OPEN) == GateAnswer(
        True, "confirm-traffic-increase of web.shop is open by policy"
    )


def test_a_freeze_closes_confirm_rollout_whatever_else_holds() -> None:
    frozen = answer(Gate.CONFIRM_ROLLOUT, OPEN, "run-b", ALWAYS, freeze=FREEZE)
    assert frozen == GateAnswer(
        False,
        "change freeze #7 on namespace shop of cluster prod by ana: Black Friday "
        "(lift it to let web.shop start a release)",
    )
    assert frozen.status_code == 403
    assert answer(Gate.CONFIRM_PROMOTION, OPEN, freeze=FREEZE).status_code == 200
