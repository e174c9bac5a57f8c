"""Which of the portal's Flagger gates a Canary is wired to.

The portal serves `/flagger/gates/<gate>` and `/flagger/events`; Flagger's payload does not say
which hook type calls, so the URL path names the gate. A hook counts as wired only when its type
matches the gate its URL names: a `confirm-promotion` hook pointed at the rollback path would read
"roll back" answers as "promote", so it is reported as miswired instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from portal.domain.canary_webhooks import WebhookView

GATES_PATH = "/flagger/gates/"
EVENTS_PATH = "/flagger/events"


class Gate(StrEnum):
    """A portal gate a Canary webhook can point at (the value is the hook type it expects)."""

    CONFIRM_PROMOTION = "confirm-promotion"
    CONFIRM_ROLLOUT = "confirm-rollout"
    CONFIRM_TRAFFIC_INCREASE = "confirm-traffic-increase"
    EVENT = "event"
    ROLLBACK = "rollback"


_GATE_PATH_NAMES = frozenset(gate.value for gate in Gate if gate is not Gate.EVENT)


def gate_named_by_path(path: str) -> Gate | None:
    """The portal gate a URL path names (ignoring an ingress prefix and a trailing slash)."""
    trimmed = path.rstrip("/")
    if trimmed.endswith(EVENTS_PATH):
        return Gate.EVENT
    head, _, last = trimmed.rpartition("/")
    if (head + "/").endswith(GATES_PATH) and last in _GATE_PATH_NAMES:
        return Gate(last)
    return None


def wired_gates(webhooks: Iterable[WebhookView]) -> tuple[Gate, ...]:
    """The portal gates correctly wired (path and hook type agree), sorted, each once."""
    wired = {
        gate
        for hook in webhooks
        if (gate := gate_named_by_path(hook.url_path)) is not None and gate.value == hook.type
    }
    return tuple(sorted(wired))


def miswired_hooks(webhooks: Iterable[WebhookView]) -> tuple[str, ...]:
    """Names of hooks whose URL names a portal gate of another type."""
    return tuple(
        hook.name
        for hook in webhooks
        if (gate := gate_named_by_path(hook.url_path)) is not None and gate.value != hook.type
    )
