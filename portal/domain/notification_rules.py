"""Which notification rules select a transition: the transitions the portal tells people about,
the subject they are about, and the rule scope (cluster, namespace, canary, label selector).

A label selector selects canaries only; a subject that is not a canary (a freeze, a stale
cluster, a DORA level) is selected by rules without one. A rule's DORA service selects that
service's DORA notices only. Nothing here performs I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Transition(StrEnum):
    """A change of state someone may want to hear about."""

    ATTENTION_BEGAN = "attention_began"
    ATTENTION_ENDED = "attention_ended"
    FAILED = "failed"
    OPERATOR_ROLLBACK = "operator_rollback"
    WAITING_APPROVAL = "waiting_approval"
    STUCK = "stuck"
    CLUSTER_STALE = "cluster_stale"
    FREEZE_STARTED = "freeze_started"
    FREEZE_LIFTED = "freeze_lifted"
    DORA_LEVEL_DROPPED = "dora_level_dropped"


TRANSITION_TITLES: Mapping[Transition, str] = {
    Transition.ATTENTION_BEGAN: "needs attention",
    Transition.ATTENTION_ENDED: "no longer needs attention",
    Transition.FAILED: "failed",
    Transition.OPERATOR_ROLLBACK: "rolled back by an operator",
    Transition.WAITING_APPROVAL: "waiting for approval",
    Transition.STUCK: "stuck",
    Transition.CLUSTER_STALE: "cluster stale",
    Transition.FREEZE_STARTED: "change freeze started",
    Transition.FREEZE_LIFTED: "change freeze lifted",
    Transition.DORA_LEVEL_DROPPED: "DORA level dropped",
}


@dataclass(frozen=True, slots=True)
class Subject:
    """What a notice is about: a canary (name set), a DORA service (service set), a namespace,
    a cluster, or the fleet."""

    cluster: str | None
    namespace: str | None = None
    name: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    service: str | None = None

    @property
    def is_canary(self) -> bool:
        return self.name is not None

    def describe(self) -> str:
        path = "/".join(part for part in (self.namespace, self.name or self.service) if part)
        if self.cluster and path:
            return f"{path} on {self.cluster}"
        return path or self.cluster or "the fleet"


@dataclass(frozen=True, slots=True)
class Notice:
    """One transition of one subject, as written to the outbox.

    `key` is stable for the same transition observed again (a replay after a restart, a second
    replica): it makes the outbox row's idempotency key. `group` names the burst it belongs to
    (one release of one canary): notices of a group pending together go out as one message.
    """

    transition: Transition
    subject: Subject
    at: datetime
    key: str
    group: str
    cause: str | None = None
    details: Mapping[str, str] = field(default_factory=dict)
    stale_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class Requirement:
    """One term of an equality-based label selector: `k=v`, `k!=v`, `k` or `!k`."""

    key: str
    operator: str
    value: str | None = None

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.operator == "exists":
            return self.key in labels
        if self.operator == "absent":
            return self.key not in labels
        if self.operator == "=":
            return labels.get(self.key) == self.value
        return labels.get(self.key) != self.value


_LABEL_KEY = re.compile(
    r"([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"
)
_LABEL_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?")
MAX_SELECTOR_LENGTH = 500


class SelectorInvalid(ValueError):
    """A label selector the portal cannot read."""


def parse_selector(text: str) -> tuple[Requirement, ...]:
    """Kubernetes' equality-based selector syntax (`app=web,tier!=db,canary,!legacy`)."""
    if len(text) > MAX_SELECTOR_LENGTH:
        raise SelectorInvalid(f"longer than {MAX_SELECTOR_LENGTH} characters")
    terms = [term.strip() for term in text.split(",")] if text.strip() else []
    return tuple(_requirement(term) for term in terms)


def _requirement(term: str) -> Requirement:
    for operator in ("!=", "==", "="):
        if operator in term:
            key, _, value = term.partition(operator)
            key, value = key.strip(), value.strip()
            _check(key, value, term)
            return Requirement(key, "!=" if operator == "!=" else "=", value)
    key = term.removeprefix("!").strip()
    _check(key, "", term)
    return Requirement(key, "absent" if term.startswith("!") else "exists")


def _check(key: str, value: str, term: str) -> None:
    if not _LABEL_KEY.fullmatch(key) or len(key) > 317:
        raise SelectorInvalid(f"{term!r}: {key!r} is not a label key")
    if not _LABEL_VALUE.fullmatch(value) or len(value) > 63:
        raise SelectorInvalid(f"{term!r}: {value!r} is not a label value")


@dataclass(frozen=True, slots=True)
class RuleScope:
    """Where a rule applies; None (or an empty selector) means everywhere."""

    transitions: frozenset[Transition]
    cluster: str | None = None
    namespace: str | None = None
    canary: str | None = None
    selector: tuple[Requirement, ...] = ()
    stale_minutes: int = 5
    service: str | None = None


def selects(scope: RuleScope, notice: Notice) -> bool:
    """Whether a rule with `scope` sends `notice`."""
    subject = notice.subject
    if notice.transition not in scope.transitions:
        return False
    if scope.cluster is not None and subject.cluster != scope.cluster:
        return False
    if scope.namespace is not None and subject.namespace != scope.namespace:
        return False
    if (scope.canary is not None or scope.selector) and not subject.is_canary:
        return False
    if scope.canary is not None and subject.name != scope.canary:
        return False
    if scope.service is not None and subject.service != scope.service:
        return False
    if not all(requirement.matches(subject.labels) for requirement in scope.selector):
        return False
    if notice.transition is Transition.CLUSTER_STALE:
        return (notice.stale_seconds or 0.0) >= scope.stale_minutes * 60
    return True
