"""What a Flagger event says, read from its message alone.

Flagger records every event on the Canary with reason `Synced`; the message is the only signal
(FLAGGER.md). This module turns the exact v1.44 message formats into a kind plus the facts they
carry (weights, iterations, hook names, measured metric values against thresholds, why a run rolled
back), so timelines, run bookkeeping and "measured vs threshold" displays need no string matching.
"""

from __future__ import annotations

from portal.domain.flagger_event_kinds import EventKind, FlaggerEvent, HaltReason, RollbackCause
from portal.domain.flagger_event_rules import RULES

__all__ = ["EventKind", "FlaggerEvent", "HaltReason", "RollbackCause", "classify_flagger_event"]


def classify_flagger_event(message: str) -> FlaggerEvent:
    """The kind and facts of a Flagger event message; unknown messages are `OTHER`."""
    text = message.strip()
    event = FlaggerEvent(kind=EventKind.OTHER, message=message)
    for pattern, build in RULES:
        match = pattern.match(text)
        if match is not None:
            return build(match, event)
    return event
