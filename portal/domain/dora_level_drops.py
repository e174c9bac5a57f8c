"""Which DORA levels of one service changed since they were last seen, and which of those are
drops (elite → high → medium → low), for the "DORA level dropped" notification.

A metric without data in the window (no deployments, no recoveries) keeps its last level: "no
data" is not a level, so it neither drops nor resets the comparison. The first level seen for a
metric is recorded without a notice (there is nothing to drop from). Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from portal.domain.dora_levels import Level

BEST_FIRST = tuple(Level)
"""Level's members, which are declared from elite down to low."""

METRIC_TITLES: Mapping[str, str] = {
    "deployment_frequency": "deployment frequency",
    "lead_time": "lead time for changes",
    "change_failure_rate": "change failure rate",
    "recovery_time": "failed deployment recovery time",
}
"""The metrics that have levels (rework rate has none), by their stored name."""


@dataclass(frozen=True, slots=True)
class Stream:
    """One service in one cluster and namespace ("" where its deployments name none)."""

    service: str
    cluster: str
    namespace: str


@dataclass(frozen=True, slots=True)
class Seen:
    """A metric's last level and when it was first seen at that level."""

    level: Level
    since: datetime


@dataclass(frozen=True, slots=True)
class LevelChange:
    metric: str
    before: Seen | None
    after: Level

    @property
    def dropped(self) -> bool:
        if self.before is None:
            return False
        return BEST_FIRST.index(self.after) > BEST_FIRST.index(self.before.level)


def level_changes(
    seen: Mapping[str, Seen], current: Mapping[str, Level | None]
) -> list[LevelChange]:
    """Metrics whose level differs from the one last seen (first sightings included)."""
    changes = []
    for metric, level in current.items():
        before = seen.get(metric)
        if level is None or (before is not None and before.level == level):
            continue
        changes.append(LevelChange(metric=metric, before=before, after=level))
    return changes
