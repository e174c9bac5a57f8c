"""The `Promoted` condition Flagger keeps on every Canary, with its status and message per phase.

Flagger writes exactly one condition whose `reason` is the phase; its `lastTransitionTime` only
moves when the condition's status (True/False/Unknown) changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_TRUE_PHASES = {"Initialized", "Succeeded"}
_MESSAGES = {
    "Waiting": "Waiting for approval.",
    "WaitingPromotion": "Waiting for approval.",
    "Progressing": "New revision detected, progressing canary analysis.",
    "Promoting": "Canary analysis completed, starting primary rolling update.",
    "Finalising": "Canary analysis completed, routing all traffic to primary.",
    "Succeeded": "Canary analysis completed successfully, promotion finished.",
}


def condition_status(*, phase: str) -> str:
    """`True` once initialised or promoted, `False` when failed, otherwise `Unknown`."""
    if phase in _TRUE_PHASES:
        return "True"
    return "False" if phase == "Failed" else "Unknown"


def condition_message(*, phase: str, target_kind: str) -> str:
    """Flagger's message for the Promoted condition in `phase`."""
    if phase == "Initialized":
        return f"{target_kind} initialization completed."
    if phase == "Failed":
        return f"Canary analysis failed, {target_kind} scaled to zero."
    return _MESSAGES.get(phase, f"New {target_kind} detected, starting initialization.")


def promoted_conditions(
    *, previous: Sequence[dict[str, Any]], phase: str, target_kind: str, now: str
) -> list[dict[str, Any]]:
    """The conditions list after a status write in `phase`, keeping unchanged conditions as is."""
    current = next((c for c in previous if c.get("type") == "Promoted"), None)
    status = condition_status(phase=phase)
    if current is not None and current.get("status") == status and current.get("reason") == phase:
        return [dict(current)]
    same_status = current is not None and current.get("status") == status
    return [
        {
            "type": "Promoted",
            "status": status,
            "reason": phase,
            "message": condition_message(phase=phase, target_kind=target_kind),
            "lastUpdateTime": now,
            "lastTransitionTime": current["lastTransitionTime"] if same_status and current else now,
        }
    ]
