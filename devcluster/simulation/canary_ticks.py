"""The working state of one Flagger tick: status writes, events, actions and webhook answers.

Flagger's tick writes status and records events as it goes. The pure decision code in
`canary_decisions` drives this builder; it stops the tick with `HookUnanswered` when it needs a
webhook answer it was not given, so the I/O loop can call the hook and decide again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from devcluster.simulation.canary_conditions import promoted_conditions
from devcluster.simulation.canary_model import Canary, CanaryStatus, Webhook
from devcluster.simulation.hashing import run_checksum
from devcluster.simulation.metric_checks import MetricSignal

HookKey = tuple[str, str, str]
"""(hook type, hook name, payload phase): one webhook call within a tick."""


class Action(StrEnum):
    """Changes to workloads a tick asks the I/O layer to make, in order."""

    INITIALISE_PRIMARY = "initialise-primary"
    SCALE_UP_TARGET = "scale-up-target"
    SCALE_DOWN_TARGET = "scale-down-target"
    PROMOTE_TARGET = "promote-target"


@dataclass(frozen=True)
class HookAnswer:
    """A webhook's verdict: passed on HTTP 200-202; `message` is the body or the error."""

    passed: bool
    message: str = ""


@dataclass(frozen=True)
class HookCall:
    """A webhook the tick needs answered before it can decide."""

    hook: Webhook
    phase: str
    checksum: str

    @property
    def key(self) -> HookKey:
        return (self.hook.type, self.hook.name, self.phase)


@dataclass(frozen=True)
class CanaryEvent:
    """A Kubernetes Event (reason `Synced`) Flagger records on the Canary."""

    message: str
    warning: bool
    phase: str
    checksum: str


@dataclass(frozen=True)
class Readiness:
    """Whether the canary workload is ready; `message` says why not, as Flagger words it."""

    ready: bool = True
    message: str = ""
    deadline_exceeded: bool = False


@dataclass(frozen=True)
class TickInput:
    """Everything one tick decides from."""

    canary: Canary
    target_hash: str
    routed_weight: int
    metrics: MetricSignal
    now: str
    readiness: Readiness = Readiness()
    primary: Readiness = Readiness()
    mesh_provider: str = ""
    """Flagger's `-mesh-provider` flag: the provider of canaries whose spec.provider is unset."""


@dataclass(frozen=True)
class TickOutcome:
    """What one tick did: the status to write (None = no write) and the rest, in order."""

    status: dict[str, Any] | None
    events: tuple[CanaryEvent, ...]
    actions: tuple[Action, ...]
    routed_weight: int
    post_rollout_phase: str | None = None
    analysed: bool = False
    """Whether the tick reached the analysis (Flagger's SetDuration then records its time)."""
    measured: Mapping[str, float] = field(default_factory=dict)
    """What the metric checks measured this tick, by metric name (SetAnalysis)."""


class HookUnanswered(Exception):
    """Raised inside a tick that needs a webhook answer it was not given."""

    def __init__(self, call: HookCall) -> None:
        super().__init__(call.key)
        self.call = call


@dataclass
class Tick:
    """Mutable working state of one tick; `outcome()` freezes it."""

    given: TickInput
    answers: Mapping[HookKey, HookAnswer]
    status: CanaryStatus = field(init=False)
    routed: int = field(init=False)
    written: bool = False
    events: list[CanaryEvent] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    post_rollout_phase: str | None = None
    analysed: bool = False
    measured: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.status = self.given.canary.status
        self.routed = self.given.routed_weight

    @property
    def canary(self) -> Canary:
        return self.given.canary

    @property
    def provider(self) -> str:
        """spec.provider, else the `-mesh-provider` flag (scheduler.go:176-180 at v1.44.0)."""
        return self.canary.provider or self.given.mesh_provider

    @property
    def checksum(self) -> str:
        return run_checksum(
            last_applied_spec=self.status.last_applied_spec,
            tracked_configs=self.status.tracked_configs,
        )

    def ask(self, *, hook: Webhook, phase: str = "Progressing") -> HookAnswer:
        """A hook's answer; its payload names the canary as read when the tick began."""
        status = self.canary.status
        checksum = run_checksum(
            last_applied_spec=status.last_applied_spec, tracked_configs=status.tracked_configs
        )
        call = HookCall(hook=hook, phase=phase, checksum=checksum)
        if call.key not in self.answers:
            raise HookUnanswered(call)
        return self.answers[call.key]

    def record(self, message: str, *, warning: bool = False, phase: str | None = None) -> None:
        shown = phase if phase is not None else self.canary.status.phase
        self.events.append(CanaryEvent(message, warning, shown, self.checksum))

    def act(self, action: Action) -> None:
        self.actions.append(action)

    def set_phase(self, phase: str) -> None:
        """Flagger's SetStatusPhase: weight and iterations reset outside active phases."""
        changes: dict[str, Any] = {"phase": phase}
        if phase not in ("Progressing", "Waiting", "Promoting"):
            iterations = self.canary.analysis.iterations - 1 if phase == "WaitingPromotion" else 0
            changes |= {"canary_weight": 0, "iterations": iterations}
        if phase in ("Initialized", "Succeeded"):
            changes["last_promoted_spec"] = self.status.last_applied_spec
        self._write(conditions=True, **changes)

    def sync_status(self, *, phase: str, canary_weight: int = 0) -> None:
        """Flagger's SyncStatus: a fresh run state bound to the target's current hash."""
        changes: dict[str, Any] = {
            "phase": phase,
            "canary_weight": canary_weight,
            "failed_checks": 0,
            "iterations": 0,
            "last_applied_spec": self.given.target_hash,
        }
        if phase == "Initialized":
            changes["last_promoted_spec"] = self.given.target_hash
        self._write(conditions=True, **changes)

    def set_field(self, **changes: Any) -> None:
        """Flagger's SetStatusWeight / SetStatusIterations / SetStatusFailedChecks."""
        self._write(conditions=False, **changes)

    def _write(self, *, conditions: bool, **changes: Any) -> None:
        if conditions:
            changes["conditions"] = tuple(
                promoted_conditions(
                    previous=self.status.conditions,
                    phase=changes["phase"],
                    target_kind=self.canary.target_kind,
                    now=self.given.now,
                )
            )
        self.status = replace(self.status, **changes)
        self.written = True

    def outcome(self) -> TickOutcome:
        document = status_document(status=self.status, now=self.given.now)
        return TickOutcome(
            status=document if self.written else None,
            events=tuple(self.events),
            actions=tuple(self.actions),
            routed_weight=self.routed,
            post_rollout_phase=self.post_rollout_phase,
            analysed=self.analysed,
            measured=dict(self.measured),
        )


def status_document(*, status: CanaryStatus, now: str) -> dict[str, Any]:
    """The `status` JSON Flagger writes (every write moves lastTransitionTime).

    Fields Flagger's Go struct marks `omitempty` are left out while empty.
    """
    document: dict[str, Any] = {
        "phase": status.phase,
        "failedChecks": status.failed_checks,
        "canaryWeight": status.canary_weight,
        "iterations": status.iterations,
        "lastTransitionTime": now,
    }
    optional = {
        "lastAppliedSpec": status.last_applied_spec,
        "lastPromotedSpec": status.last_promoted_spec,
        "conditions": [dict(condition) for condition in status.conditions],
    }
    tracked = (
        {} if status.tracked_configs is None else {"trackedConfigs": dict(status.tracked_configs)}
    )
    return document | tracked | {key: value for key, value in optional.items() if value}
