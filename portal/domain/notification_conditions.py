"""The conditions of a canary that notifications follow (needs attention, waits for approval,
stuck) and the transitions between two observations of them.

The portal stores the last conditions it notified about per canary, so a restart or a relist
compares against what was already told, not against an empty memory. Nothing here does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portal.domain.canaries import CanaryView
from portal.domain.canary_status import Phase
from portal.domain.notification_rules import Notice, Subject, Transition

ATTENTION = "attention"
WAITING = "waiting"
STUCK = "stuck"


@dataclass(frozen=True, slots=True)
class Conditions:
    """What notifications remember of one canary: active condition names and the revision."""

    active: frozenset[str] = frozenset()
    revision: str | None = None

    def encode(self) -> str:
        return ",".join(sorted(self.active))

    @classmethod
    def decode(cls, text: str, *, revision: str | None) -> Conditions:
        return cls(active=frozenset(part for part in text.split(",") if part), revision=revision)


def conditions_of(canary: CanaryView) -> Conditions:
    active = set()
    if canary.needs_attention:
        active.add(ATTENTION)
    if canary.phase in (Phase.WAITING, Phase.WAITING_PROMOTION):
        active.add(WAITING)
    if canary.stuck:
        active.add(STUCK)
    return Conditions(active=frozenset(active), revision=canary.revision)


def canary_group(cluster: str, namespace: str, name: str, revision: str | None) -> str:
    """The burst a canary's notices belong to: one release (revision) of one canary."""
    return f"canary:{cluster}/{namespace}/{name}@{revision or '-'}"


def condition_notices(
    canary: CanaryView,
    *,
    labels: dict[str, str],
    before: Conditions,
    after: Conditions,
    at: datetime,
) -> list[Notice]:
    """Notices for the conditions that began (and attention that ended) between two looks."""
    subject = Subject(canary.cluster, canary.namespace, canary.name, labels)
    group = canary_group(canary.cluster, canary.namespace, canary.name, canary.revision)
    reasons = "; ".join(canary.attention_reasons)
    began = after.active - before.active
    notices: list[Transition] = []
    for condition, transition in (
        (ATTENTION, Transition.ATTENTION_BEGAN),
        (WAITING, Transition.WAITING_APPROVAL),
        (STUCK, Transition.STUCK),
    ):
        if condition in began:
            notices.append(transition)
    if ATTENTION in before.active and ATTENTION not in after.active:
        notices.append(Transition.ATTENTION_ENDED)
    details = canary_details(canary)
    return [
        Notice(
            transition=transition,
            subject=subject,
            at=at,
            key=f"{transition}:{subject.cluster}/{subject.namespace}/{subject.name}:{at.isoformat()}",
            group=group,
            cause=None if transition is Transition.ATTENTION_ENDED else reasons or None,
            details=details,
        )
        for transition in notices
    ]


def canary_details(canary: CanaryView) -> dict[str, str]:
    """Measured values shown with a canary's notice."""
    details = {
        "phase": canary.phase or "-",
        "canary weight": f"{canary.canary_weight}%",
        "failed checks": f"{canary.failed_checks} of {canary.threshold}",
    }
    if canary.revision:
        details["revision"] = canary.revision
    return details
