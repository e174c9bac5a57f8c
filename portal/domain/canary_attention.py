"""Why a canary needs an operator: closed gates, failures, suspension and stalled runs.

Flagger moves `lastTransitionTime` on every status write, and a healthy Progressing run writes at
least once per interval (a weight step, an iteration or a failed check). Three intervals without a
write therefore mean the run is held by something that writes nothing: a closed traffic gate,
canary pods that never become ready, or a Flagger that is down.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from portal.domain.canary_status import IN_FLIGHT_PHASES, Phase, is_failed_promotion

STUCK_INTERVALS = 3


@dataclass(frozen=True, slots=True)
class AttentionFacts:
    """What the attention rules read from one canary."""

    phase: str
    raw_canary_weight: int
    failed_checks: int
    threshold: int
    suspended: bool
    skip_analysis: bool
    interval_seconds: float
    last_transition_time: datetime | None
    miswired_hooks: tuple[str, ...]


def attention_reasons(facts: AttentionFacts, *, now: datetime) -> tuple[str, ...]:
    """Short human reasons, most urgent first; empty when the canary needs nobody."""
    reasons = [
        _phase_reason(facts),
        "suspended" if facts.suspended else None,
        _failed_checks_reason(facts),
        _stuck_reason(facts, now=now),
        _skip_analysis_reason(facts),
        *(f"webhook {name} points at another portal gate" for name in facts.miswired_hooks),
    ]
    return tuple(reason for reason in reasons if reason)


def is_stuck(facts: AttentionFacts, *, now: datetime) -> bool:
    """Progressing without a status write for three intervals (not explained by suspension)."""
    if facts.phase != Phase.PROGRESSING or facts.suspended or facts.last_transition_time is None:
        return False
    quiet = (now - facts.last_transition_time).total_seconds()
    return quiet >= STUCK_INTERVALS * facts.interval_seconds


def _phase_reason(facts: AttentionFacts) -> str | None:
    if facts.phase == Phase.WAITING:
        return "waiting for rollout approval"
    if facts.phase == Phase.WAITING_PROMOTION:
        return "waiting for promotion approval"
    if facts.phase != Phase.FAILED:
        return None
    if is_failed_promotion(phase=facts.phase, raw_canary_weight=facts.raw_canary_weight):
        return (
            "failed during promotion: primary not ready, all traffic on the canary; "
            "fix the primary before any new revision"
        )
    return "failed: rolled back to primary"


def _failed_checks_reason(facts: AttentionFacts) -> str | None:
    if facts.failed_checks <= 0:
        return None
    return f"{facts.failed_checks} of {facts.threshold} failed checks"


def _stuck_reason(facts: AttentionFacts, *, now: datetime) -> str | None:
    if not is_stuck(facts, now=now) or facts.last_transition_time is None:
        return None
    quiet = int((now - facts.last_transition_time).total_seconds())
    return f"no status change for {format_seconds(quiet)}"


def _skip_analysis_reason(facts: AttentionFacts) -> str | None:
    if not facts.skip_analysis or facts.phase in IN_FLIGHT_PHASES:
        return None
    return "skipAnalysis still set: the next revision skips analysis"


def format_seconds(seconds: int) -> str:
    """`seconds` as a compact duration: `45s`, `3m`, `4m30s`, `2h5m`."""
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(hours, "h"), (minutes, "m"), (secs, "s")]
    text = "".join(f"{value}{unit}" for value, unit in parts if value)
    return text or "0s"
