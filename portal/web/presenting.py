"""Small presentation helpers the templates use as filters: ids, tones, durations."""

from __future__ import annotations

import hashlib
import re
from typing import Protocol

from portal.domain.canary_gates import gate_named_by_path

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")

PHASE_TONES = {
    "Succeeded": "ok",
    "Progressing": "info",
    "Promoting": "info",
    "Finalising": "info",
    "Initializing": "muted",
    "Initialized": "muted",
    "Waiting": "warn",
    "WaitingPromotion": "warn",
    "Failed": "bad",
    "Terminating": "muted",
    "Terminated": "muted",
}
OUTCOME_TONES = {"promoted": "ok", "rolled_back": "bad", "superseded": "muted"}


class Located(Protocol):
    @property
    def cluster(self) -> str: ...
    @property
    def namespace(self) -> str: ...
    @property
    def name(self) -> str: ...


def dom_id(obj: Located, prefix: str) -> str:
    """A stable, valid HTML id per object: readable part plus a short hash against collisions."""
    raw = f"{obj.cluster}/{obj.namespace}/{obj.name}"
    readable = _UNSAFE.sub("-", f"{obj.namespace}-{obj.name}")[:60]
    digest = hashlib.sha1(raw.encode(), usedforsecurity=False).hexdigest()[:8]
    return f"{prefix}-{readable}-{digest}"


def phase_tone(phase: str) -> str:
    return PHASE_TONES.get(phase, "muted")


def outcome_tone(outcome: str) -> str:
    return OUTCOME_TONES.get(outcome, "muted")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


def portal_gate(url_path: str) -> str | None:
    gate = gate_named_by_path(url_path)
    return str(gate) if gate is not None else None


def hpa_key(obj: Located) -> tuple[str, str, str]:
    return (obj.cluster, obj.namespace, obj.name)
