"""What a Flagger event says, read from its message alone.

Flagger records every event on the Canary with reason `Synced`; the message is the only signal
(FLAGGER.md). This module turns the exact v1.44 message formats into a kind plus the facts they
carry (weights, iterations, hook names, measured metric values against thresholds, why a run rolled
back), so timelines, run bookkeeping and "measured vs threshold" displays need no string matching.
"""

from __future__ import annotations

from portal.domain.flagger_event_kinds import EventKind, FlaggerEvent, HaltReason, RollbackCause
from portal.domain.flagger_event_rules import RULES

__all__ = [
    "COMBINED_PREFIX",
    "EventKind",
    "FlaggerEvent",
    "HaltReason",
    "RollbackCause",
    "classify_flagger_event",
    "strip_combined_prefix",
]


COMBINED_PREFIX = "(combined from similar events): "
"""What client-go's event correlator puts before a message it merged (events_cache.go)."""


def strip_combined_prefix(message: str) -> tuple[str, bool]:
    """The message without the correlator's prefix, and whether it had one."""
    if message.startswith(COMBINED_PREFIX):
        return message[len(COMBINED_PREFIX) :], True
    return message, False


def classify_flagger_event(message: str) -> FlaggerEvent:
    """The kind and facts of a Flagger event message; unknown messages are `OTHER`.

    A Kubernetes Event the correlator merged is read as the message it carries, marked
    `combined`."""
    text, combined = strip_combined_prefix(message.strip())
    shown = text if combined else message
    event = FlaggerEvent(kind=EventKind.OTHER, message=shown, combined=combined)
    for pattern, build in RULES:
        match = pattern.match(text)
        if match is not None:
            return build(match, event)
    return event
