"""The vocabulary of Flagger event messages: kinds, halt reasons, rollback causes, facts.

Kept apart from the message patterns so run bookkeeping and views can name kinds without
pulling in the regular expressions.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class EventKind(StrEnum):
    """The kinds of message Flagger records on a Canary."""

    INITIALIZED = "initialized"
    NEW_REVISION = "new-revision"
    RESTARTING_ANALYSIS = "restarting-analysis"
    STARTING_ANALYSIS = "starting-analysis"
    ADVANCE_WEIGHT = "advance-weight"
    ADVANCE_ITERATION = "advance-iteration"
    ADVANCE_PRIMARY_WEIGHT = "advance-primary-weight"
    HALT = "halt"
    GATE_PASSED = "gate-passed"
    PRE_ROLLOUT_PASSED = "pre-rollout-passed"
    ROLLBACK_CHECK_PASSED = "rollback-check-passed"
    ROLLBACK_NOT_SIGNALLED = "rollback-not-signalled"
    ROLLING_BACK = "rolling-back"
    CANARY_FAILED = "canary-failed"
    COPYING_TEMPLATE = "copying-template"
    ROUTING_TO_PRIMARY = "routing-to-primary"
    ROUTING_TO_CANARY = "routing-to-canary"
    PROMOTION_COMPLETED = "promotion-completed"
    SKIPPED_SUSPENDED = "skipped-suspended"
    NOT_READY = "not-ready"
    OTHER = "other"


class HaltReason(StrEnum):
    """Why Flagger held a run where it was."""

    ROLLOUT_APPROVAL = "rollout-approval"
    TRAFFIC_INCREASE_APPROVAL = "traffic-increase-approval"
    PROMOTION_APPROVAL = "promotion-approval"
    METRIC_FAILED = "metric-failed"
    CHECK_FAILED = "check-failed"
    NO_METRIC_VALUES = "no-metric-values"
    METRIC_QUERY_FAILED = "metric-query-failed"
    OTHER = "other"


FAILED_CHECK_REASONS = frozenset(
    {
        HaltReason.METRIC_FAILED,
        HaltReason.CHECK_FAILED,
        HaltReason.NO_METRIC_VALUES,
        HaltReason.METRIC_QUERY_FAILED,
    }
)
"""Halts that add one to `failedChecks` (a failed hook or metric check; scheduler.go)."""


class RollbackCause(StrEnum):
    """Why a run rolled back."""

    MANUAL_WEBHOOK = "manual-webhook"
    FAILED_CHECKS = "failed-checks"
    PROGRESS_DEADLINE = "progress-deadline"
    PROMOTION_FAILED = "promotion-failed"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class FlaggerEvent:
    """One classified message; fields a kind does not carry stay None.

    `metric_value` and `metric_limit` are in the unit of the metric's threshold range: percent for
    request-success-rate, milliseconds for request-duration, the raw number otherwise.
    """

    kind: EventKind
    message: str
    subject: str | None = None
    weight: int | None = None
    iteration: int | None = None
    iterations: int | None = None
    hook: str | None = None
    gate: str | None = None
    halt_reason: HaltReason | None = None
    metric: str | None = None
    metric_value: float | None = None
    metric_limit: float | None = None
    comparison: str | None = None
    rollback_cause: RollbackCause | None = None
    failed_checks: int | None = None
    analysis_skipped: bool = False
    detail: str | None = None
    combined: bool = False
    """Kubernetes' event correlator merged it: `(combined from similar events): ` was stripped,
    and the messages it replaced are lost (only the event webhook has them)."""

    @property
    def rollback_reason(self) -> str | None:
        """Why a run rolled back: what follows the canary name in a `Rolling back` message, or
        the readiness error of a canary past its progress deadline (Flagger v1.44 then fails the
        run with `Canary failed!` alone)."""
        if self.kind is EventKind.ROLLING_BACK:
            return self.detail
        if self.kind is EventKind.NOT_READY and self.rollback_cause is not None:
            return self.detail
        return None

    @property
    def counts_as_failed_check(self) -> bool:
        """Whether Flagger added one to `failedChecks` when it recorded this."""
        return self.kind is EventKind.HALT and self.halt_reason in FAILED_CHECK_REASONS
