"""Small presentation helpers the templates use as filters: ids, tones, durations."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Protocol

from portal.domain.action_rules import (
    ActionName,
    ActionPlan,
    ActionRefusal,
    plan_action,
    takes_effect,
)
from portal.domain.canaries import CanaryView
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


ACTION_ORDER = (
    ActionName.approve,
    ActionName.promote,
    ActionName.pause,
    ActionName.resume,
    ActionName.rollback,
    ActionName.retry,
)
ACTION_LABELS = {
    ActionName.approve: "Approve",
    ActionName.promote: "Promote",
    ActionName.pause: "Pause",
    ActionName.resume: "Resume",
    ActionName.rollback: "Roll back",
    ActionName.retry: "Retry",
}


def applicable_actions(canary: CanaryView) -> list[str]:
    """The actions worth offering now; the server checks again when one is requested.

    Gates the portal cannot know to be held here count as held, so approve is offered
    wherever the canary could wait on a portal gate."""
    held = set(canary.gates)
    offered = []
    for action in ACTION_ORDER:
        plan = plan_action(action, canary, held_gates=held, rollback_hint="")
        if isinstance(plan, ActionPlan) and plan.already is None:
            offered.append(action.value)
    return offered


def action_notes(canary: CanaryView) -> list[str]:
    """Refusals an operator must see next to the buttons: retry after a failed promotion."""
    if canary.phase != "Failed":
        return []
    plan = plan_action(ActionName.retry, canary, held_gates=(), rollback_hint="")
    return [f"Retry refused: {plan.reason}."] if isinstance(plan, ActionRefusal) else []


def action_label(action: str) -> str:
    return ACTION_LABELS[ActionName(action)]


def action_consequence(canary: CanaryView, action: str) -> str:
    """What will happen, in the operator's words, for the confirmation dialog."""
    weight = f"{canary.canary_weight}%"
    revision = (canary.revision or "this release")[:12]
    texts = {
        "pause": f"Flagger stops this canary where it is: {weight} of traffic stays on the "
        "canary, no analysis, no promotion and no rollback until it is resumed.",
        "resume": f"Flagger goes on with the analysis from {weight} at its next tick.",
        "rollback": f"All traffic goes back to the primary and release {revision} ends Failed."
        + (
            " The pending promote (spec.skipAnalysis) is withdrawn first."
            if canary.skip_analysis
            else ""
        ),
        "promote": "The canary's revision becomes the primary now; the rest of the analysis "
        "is skipped.",
        "approve": "The gate the release waits on opens and the release proceeds.",
        "retry": "A new run of the failed release starts (an annotation on the target's pod "
        "template changes).",
    }
    when = takes_effect(canary, action=ActionName(action), now=datetime.now(UTC))
    return f"{texts[action]} Takes effect {when}."


def money(value: Decimal | float | None) -> str:
    """An amount in cents with thousands separators: 1,234.50."""
    return "n/a" if value is None else f"{Decimal(str(value)):,.2f}"


def rate(value: Decimal | float | None) -> str:
    """An hourly price to the hundredth of a cent: 0.7716."""
    return "n/a" if value is None else f"{Decimal(str(value)):,.4f}"
