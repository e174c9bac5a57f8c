"""Denials past the audit budget are counted, never dropped: one tally per caller (identity, else
client address), written later as one aggregate audit row each.

Bounded: at most MAX_CALLERS tallies are kept; further callers share one `other` tally, so an
attacker rotating addresses costs memory and rows that do not grow with the flood.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

MAX_CALLERS = 1000
OTHER = "other"


@dataclass
class Tally:
    """Denials of one caller that were not itemised."""

    count: int
    first: datetime
    last: datetime
    action: str
    actor: str
    source: str | None

    def summary(self) -> str:
        return (
            f"{self.count} more denied attempts not itemised (over the denial audit budget) "
            f"between {self.first.isoformat(timespec='seconds')} and "
            f"{self.last.isoformat(timespec='seconds')}; last: {self.action}"
        )


class DenialTallies:
    """Per-caller counts of denials that were only aggregated (per replica, in memory)."""

    def __init__(self) -> None:
        self._tallies: dict[str, Tally] = {}

    def add(self, key: str, *, action: str, actor: str, source: str | None, at: datetime) -> None:
        if key not in self._tallies and len(self._tallies) >= MAX_CALLERS:
            key, actor, source = OTHER, "many callers", None
        tally = self._tallies.get(key)
        if tally is None:
            self._tallies[key] = Tally(1, at, at, action, actor, source)
            return
        tally.count += 1
        tally.last = at
        tally.action = action

    def take(self, key: str) -> Tally | None:
        return self._tallies.pop(key, None)

    def take_all(self) -> list[Tally]:
        taken, self._tallies = list(self._tallies.values()), {}
        return taken

    def __len__(self) -> int:
        return len(self._tallies)
