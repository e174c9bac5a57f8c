"""How a portal gate answers Flagger: pass (200) or hold (403 with a one-line reason).

Pure rules, no I/O: the service gathers the facts (policy, operator openings, freezes) from the
database and this module decides. Flagger never shows a hold's body (its `Halt ...` event names
only the hook, scheduler_hooks.go at v1.44.0): the portal stores it as the gate's last call and
shows it; every reason is one readable line that says what would open the gate.

- confirm gates (`confirm-rollout`, `confirm-traffic-increase`, `confirm-promotion`): open by
  default; a closed-by-default gate passes once an operator approved this run (its checksum)
  or approved it for every run. A change freeze closes `confirm-rollout` whatever else holds.
- `rollback`: closed by default (no rollback); it passes only for the run an operator asked to
  roll back. An "always" opening never applies to it: a rollback is about one run.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from portal.domain.canary_gates import Gate

ALWAYS = "*"


class GatePolicy(StrEnum):
    """What a gate answers when no operator said anything."""

    OPEN = "open"
    CLOSED = "closed"


DECISION_GATES: tuple[Gate, ...] = (
    Gate.CONFIRM_ROLLOUT,
    Gate.CONFIRM_TRAFFIC_INCREASE,
    Gate.CONFIRM_PROMOTION,
    Gate.ROLLBACK,
)
DEFAULT_POLICIES: Mapping[Gate, GatePolicy] = {
    Gate.CONFIRM_ROLLOUT: GatePolicy.OPEN,
    Gate.CONFIRM_TRAFFIC_INCREASE: GatePolicy.OPEN,
    Gate.CONFIRM_PROMOTION: GatePolicy.OPEN,
    Gate.ROLLBACK: GatePolicy.CLOSED,
}
POLICY_KEY = "policy"


@dataclass(frozen=True, slots=True)
class FreezeFact:
    """An active change freeze that covers the canary asking."""

    id: int
    scope: str
    reason: str
    created_by: str
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class GateAnswer:
    passed: bool
    reason: str

    @property
    def status_code(self) -> int:
        return 200 if self.passed else 403


def policy_for(
    gate: Gate, *, metadata: Mapping[str, str], defaults: Mapping[Any, str]
) -> GatePolicy:
    """The hook's `metadata.policy`, else the configured default, else the built-in one."""
    for chosen in (metadata.get(POLICY_KEY), defaults.get(gate.value)):
        if chosen in (GatePolicy.OPEN, GatePolicy.CLOSED):
            return GatePolicy(chosen)
    return DEFAULT_POLICIES[gate]


def decide_gate(
    gate: Gate,
    *,
    target: str,
    policy: GatePolicy,
    checksum: str,
    openings: Collection[str],
    freeze: FreezeFact | None,
) -> GateAnswer:
    """The answer for one gate call; `openings` are the checksums operators opened it for."""
    if gate is Gate.ROLLBACK:
        return _rollback_answer(target=target, policy=policy, checksum=checksum, openings=openings)
    if gate is Gate.CONFIRM_ROLLOUT and freeze is not None:
        return GateAnswer(
            False,
            f"change freeze #{freeze.id} on {freeze.scope} by {freeze.created_by}: "
            f"{freeze.reason} (lift it to let {target} start a release)",
        )
    if checksum in openings:
        return GateAnswer(True, f"{gate} of {target} approved by an operator for this run")
    if ALWAYS in openings:
        return GateAnswer(True, f"{gate} of {target} approved by an operator for every run")
    if policy is GatePolicy.OPEN:
        return GateAnswer(True, f"{gate} of {target} is open by policy")
    return GateAnswer(
        False,
        f"{gate} of {target} is closed by policy: waiting for an operator to approve "
        f"(portal canary approve, or POST /api/v1/canaries/<cluster>/{_path(target)}/approve)",
    )


def _rollback_answer(
    *, target: str, policy: GatePolicy, checksum: str, openings: Collection[str]
) -> GateAnswer:
    if checksum and checksum in openings:
        return GateAnswer(True, f"rollback of {target} requested by an operator for this run")
    if policy is GatePolicy.OPEN:
        return GateAnswer(True, f"rollback gate of {target} is open by policy: rolling back")
    return GateAnswer(False, f"no rollback requested for {target} in this run")


def _path(target: str) -> str:
    """`name.namespace` (Flagger's way of naming a canary) as `namespace/name`."""
    name, _, namespace = target.partition(".")
    return f"{namespace}/{name}"
