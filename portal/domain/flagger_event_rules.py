"""The exact Flagger v1.44 message formats, as patterns paired with the facts they carry.

One pattern per message (FLAGGER.md's list plus the few more Flagger and devcluster record);
order matters only where a general pattern would also match a specific one (metric halts, the
catch-all `Halt ... advancement` and `Rolling back` forms come after the precise ones).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from portal.domain.durations import parse_go_duration
from portal.domain.flagger_event_kinds import EventKind, FlaggerEvent, HaltReason, RollbackCause

_Builder = Callable[[re.Match[str], FlaggerEvent], FlaggerEvent]
_KEY = r"(?P<subject>\S+)"


def _kind(kind: EventKind) -> _Builder:
    def build(match: re.Match[str], event: FlaggerEvent) -> FlaggerEvent:
        groups = match.groupdict()
        return replace(
            event,
            kind=kind,
            subject=groups.get("subject"),
            hook=groups.get("hook"),
            detail=groups.get("detail"),
        )

    return build


def _advance_weight(match: re.Match[str], event: FlaggerEvent) -> FlaggerEvent:
    return replace(
        event, kind=EventKind.ADVANCE_WEIGHT, subject=match["subject"], weight=int(match["n"])
    )


def _advance_primary(match: re.Match[str], event: FlaggerEvent) -> FlaggerEvent:
    return replace(
        event,
        kind=EventKind.ADVANCE_PRIMARY_WEIGHT,
        subject=match["subject"],
        weight=int(match["n"]),
    )


def _advance_iteration(match: re.Match[str], event: FlaggerEvent) -> FlaggerEvent:
    return replace(
        event,
        kind=EventKind.ADVANCE_ITERATION,
        subject=match["subject"],
        iteration=int(match["i"]),
        iterations=int(match["n"]),
    )


def _gate_passed(match: re.Match[str], event: FlaggerEvent) -> FlaggerEvent:
    return replace(
        event,
        kind=EventKind.GATE_PASSED,
        gate=f"confirm-{match['gate'].lower()}",
        hook=match["hook"],
    )


def _halt(reason: HaltReason) -> _Builder:
    def build(match: re.Match[str], event: FlaggerEvent) -> FlaggerEvent:
        groups = match.groupdict()
        return replace(
            event,
            kind=EventKind.HALT,
            halt_reason=reason,
            subject=groups.get("subject"),
            hook=groups.get("hook") or None,
            detail=groups.get("detail") or None,
            metric=groups.get("metric"),
        )

    return build


def _metric_halt(metric: str | None, *, unit: str = "") -> _Builder:
    def build(match: re.Match[str], event: FlaggerEvent) -> FlaggerEvent:
        name = metric or match["metric"]
        return replace(
            event,
            kind=EventKind.HALT,
            halt_reason=HaltReason.METRIC_FAILED,
            subject=match["subject"],
            metric=name,
            metric_value=_measure(match["value"], unit=unit),
            metric_limit=_measure(match["limit"], unit=unit),
            comparison=match["cmp"],
        )

    return build


def _rolling_back(cause: RollbackCause) -> _Builder:
    def build(match: re.Match[str], event: FlaggerEvent) -> FlaggerEvent:
        groups = match.groupdict()
        checks = groups.get("n")
        return replace(
            event,
            kind=EventKind.ROLLING_BACK,
            subject=match["subject"],
            rollback_cause=cause,
            failed_checks=int(checks) if checks else None,
            detail=match["reason"],
        )

    return build


def _deadline_exceeded(match: re.Match[str], event: FlaggerEvent) -> FlaggerEvent:
    """`canary deployment <t>.<ns> not ready: deployment "<t>" exceeded its progress deadline`:
    not retriable, so Flagger v1.44 rolls back on this tick (`Canary failed!` follows)."""
    return replace(
        event,
        kind=EventKind.NOT_READY,
        rollback_cause=RollbackCause.PROGRESS_DEADLINE,
        detail=match["detail"],
    )


def _promotion_completed(match: re.Match[str], event: FlaggerEvent) -> FlaggerEvent:
    return replace(
        event,
        kind=EventKind.PROMOTION_COMPLETED,
        subject=match["subject"],
        analysis_skipped=match["how"] == "Canary analysis was skipped for",
    )


_HALT = rf"^Halt {_KEY} advancement "
RULES: tuple[tuple[re.Pattern[str], _Builder], ...] = tuple(
    (re.compile(pattern), builder)
    for pattern, builder in (
        (rf"^Initialization done! {_KEY}$", _kind(EventKind.INITIALIZED)),
        (rf"^New revision detected! Scaling up {_KEY}$", _kind(EventKind.NEW_REVISION)),
        (
            rf"^New revision detected! Restarting analysis for {_KEY}$",
            _kind(EventKind.RESTARTING_ANALYSIS),
        ),
        (rf"^Starting canary analysis for {_KEY}$", _kind(EventKind.STARTING_ANALYSIS)),
        (rf"^Advance {_KEY} canary weight (?P<n>\d+)$", _advance_weight),
        (rf"^Advance {_KEY} canary iteration (?P<i>\d+)/(?P<n>\d+)$", _advance_iteration),
        (rf"^Advance {_KEY} primary weight (?P<n>\d+)$", _advance_primary),
        (
            _HALT + r"waiting for approval (?P<hook>\S+)(?: (?P<detail>.+))?$",
            _halt(HaltReason.ROLLOUT_APPROVAL),
        ),
        (
            _HALT
            + r"waiting for traffic increase approval(?: (?P<hook>\S+))?(?: (?P<detail>.+))?$",
            _halt(HaltReason.TRAFFIC_INCREASE_APPROVAL),
        ),
        (
            _HALT + r"waiting for promotion approval(?: (?P<hook>\S+))?(?: (?P<detail>.+))?$",
            _halt(HaltReason.PROMOTION_APPROVAL),
        ),
        (
            _HALT + r"(?:pre-rollout|external) check (?P<hook>\S+) failed(?: (?P<detail>.+))?$",
            _halt(HaltReason.CHECK_FAILED),
        ),
        (
            _HALT + r"success rate (?P<value>[\d.]+)% (?P<cmp>[<>]) (?P<limit>[\d.e+]+)%$",
            _metric_halt("request-success-rate"),
        ),
        (
            _HALT + r"request duration (?P<value>\S+) (?P<cmp>[<>]) (?P<limit>\S+)$",
            _metric_halt("request-duration", unit="ms"),
        ),
        (
            _HALT + r"(?P<metric>\S+) (?P<value>-?[\d.]+) (?P<cmp>[<>]) (?P<limit>-?[\d.e+]+)$",
            _metric_halt(None),
        ),
        (
            r"^Halt advancement no values found for custom metric: (?P<metric>[^:\s]+)"
            r"(?:: (?P<detail>.+))?$",
            _halt(HaltReason.NO_METRIC_VALUES),
        ),
        (
            r"^Halt advancement no values found for metric: (?P<metric>\S+)$",
            _halt(HaltReason.NO_METRIC_VALUES),
        ),
        (
            r"^Halt advancement no values found for \S+ metric (?P<metric>\S+) (?P<detail>.+)$",
            _halt(HaltReason.NO_METRIC_VALUES),
        ),
        (
            r"^(?:Prometheus|Metric) query failed for (?P<metric>[^:\s]+): (?P<detail>.+)$",
            _halt(HaltReason.METRIC_QUERY_FAILED),
        ),
        (r"^Prometheus query failed: (?P<detail>.+)$", _halt(HaltReason.METRIC_QUERY_FAILED)),
        (
            r"^Metric template (?P<metric>\S+) (?P<detail>(?:secret \S+ |provider \S+ |query "
            r"render )?error: .+)$",
            _halt(HaltReason.METRIC_QUERY_FAILED),
        ),
        (_HALT + r"(?P<detail>.+)$", _halt(HaltReason.OTHER)),
        (
            r"^Confirm-(?P<gate>rollout|traffic-increase|promotion) check (?P<hook>\S+) passed$",
            _gate_passed,
        ),
        (r"^Pre-rollout check (?P<hook>\S+) passed$", _kind(EventKind.PRE_ROLLOUT_PASSED)),
        (r"^Rollback check (?P<hook>\S+) passed$", _kind(EventKind.ROLLBACK_CHECK_PASSED)),
        (
            r"^Rollback hook (?P<hook>\S+) not signaling a rollback$",
            _kind(EventKind.ROLLBACK_NOT_SIGNALLED),
        ),
        (
            rf"^Rolling back {_KEY} (?P<reason>manual webhook invoked)$",
            _rolling_back(RollbackCause.MANUAL_WEBHOOK),
        ),
        (
            rf"^Rolling back {_KEY} (?P<reason>failed checks threshold reached (?P<n>\d+))$",
            _rolling_back(RollbackCause.FAILED_CHECKS),
        ),
        (
            rf"^Rolling back {_KEY} (?P<reason>progress deadline exceeded.*)$",
            _rolling_back(RollbackCause.PROGRESS_DEADLINE),
        ),
        (rf"^Rolling back {_KEY} (?P<reason>.+)$", _rolling_back(RollbackCause.UNKNOWN)),
        (rf"^Canary failed! Scaling down {_KEY}$", _kind(EventKind.CANARY_FAILED)),
        (
            rf"^Copying {_KEY} template spec to (?P<detail>\S+)$",
            _kind(EventKind.COPYING_TEMPLATE),
        ),
        (r"^Routing all traffic to primary$", _kind(EventKind.ROUTING_TO_PRIMARY)),
        (r"^Routing all traffic to canary$", _kind(EventKind.ROUTING_TO_CANARY)),
        (
            rf"^Promotion completed! (?P<how>Scaling down|Canary analysis was skipped for) {_KEY}$",
            _promotion_completed,
        ),
        (r"^skipping canary run as object is suspended$", _kind(EventKind.SKIPPED_SUSPENDED)),
        (
            r"^(?P<detail>canary \S+ \S+ not ready: \S+ \S+ exceeded its progress deadline)$",
            _deadline_exceeded,
        ),
        (r"^(?P<detail>.*\bnot ready\b.*)$", _kind(EventKind.NOT_READY)),
    )
)


def _measure(text: str, *, unit: str) -> float | None:
    if unit == "ms":
        seconds = parse_go_duration(text)
        return None if seconds is None else round(seconds * 1000, 6)
    try:
        return float(text)
    except ValueError:
        return None
