"""Status conditions as Kubernetes and Flagger write them (`type`, `status`, `reason`, ...).

Canaries carry one `Promoted` condition whose reason is the phase; HPAs carry `AbleToScale`,
`ScalingActive` and `ScalingLimited`. Both read the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from portal.domain.raw_fields import str_at, time_at


@dataclass(frozen=True, slots=True)
class Condition:
    """One status condition."""

    type: str
    status: str
    reason: str
    message: str
    last_transition_time: datetime | None
    last_update_time: datetime | None = None
    """Flagger's `Promoted` condition only: moves when the phase (its reason) changes."""


def build_conditions(raw: Sequence[Any]) -> tuple[Condition, ...]:
    """The conditions of a status `conditions` list, skipping entries that are not objects."""
    return tuple(_build_condition(entry) for entry in raw if isinstance(entry, Mapping))


def condition_is_true(conditions: Sequence[Condition], *, type_: str) -> bool:
    """Whether the condition of `type_` is present with status `True`."""
    return any(c.type == type_ and c.status == "True" for c in conditions)


def _build_condition(entry: Mapping[str, Any]) -> Condition:
    return Condition(
        type=str_at(entry, "type"),
        status=str_at(entry, "status", default="Unknown"),
        reason=str_at(entry, "reason"),
        message=str_at(entry, "message"),
        last_transition_time=time_at(entry, "lastTransitionTime"),
        last_update_time=time_at(entry, "lastUpdateTime"),
    )
