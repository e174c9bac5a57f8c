"""DORA performance levels per metric, from the 2023 report's table (the default) or 2024's.

Boundaries as read here (docs/dora.md states them): a month is 30 days; deployment frequency is
Elite above one successful deployment a day ("on demand, several per day"), High from once a week
to daily, Medium from once a month; the 2024 change failure rate clusters are not ordered
(Elite 5%, Medium 10%, High 20%, Low 40%), so a rate takes the level of the nearest cluster.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

LevelsTable = Literal["2023", "2024"]
LEVELS_TABLES: tuple[LevelsTable, ...] = ("2023", "2024")

HOUR = 3600.0
DAY = 24 * HOUR
WEEK = 7 * DAY
MONTH = 30 * DAY


class Level(StrEnum):
    ELITE = "elite"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


def _below(value: float, bounds: tuple[float, float, float]) -> Level:
    """Elite under the first bound, High under the second, Medium under the third, else Low."""
    for level, bound in zip((Level.ELITE, Level.HIGH, Level.MEDIUM), bounds, strict=True):
        if value < bound:
            return level
    return Level.LOW


def lead_time_level(seconds: float | None, table: LevelsTable = "2023") -> Level | None:
    """Both tables: under a day, a week, a month."""
    return None if seconds is None else _below(seconds, (DAY, WEEK, MONTH))


def recovery_level(seconds: float | None, table: LevelsTable = "2023") -> Level | None:
    """Both tables: under an hour, a day, a week (2024 gives High and Medium the same bound
    and leaves one day to one week unnamed; it is read as Medium)."""
    return None if seconds is None else _below(seconds, (HOUR, DAY, WEEK))


def frequency_level(per_day: float | None, table: LevelsTable = "2023") -> Level | None:
    if per_day is None:
        return None
    if per_day > 1:
        return Level.ELITE
    if per_day >= 1 / 7:
        return Level.HIGH
    if per_day >= 1 / 30:
        return Level.MEDIUM
    return Level.LOW


_CFR_2024 = ((Level.ELITE, 0.05), (Level.MEDIUM, 0.10), (Level.HIGH, 0.20), (Level.LOW, 0.40))


def failure_rate_level(rate: float | None, table: LevelsTable = "2023") -> Level | None:
    if rate is None:
        return None
    if table == "2024":
        return min(_CFR_2024, key=lambda cluster: abs(rate - cluster[1]))[0]
    for level, bound in ((Level.ELITE, 0.05), (Level.HIGH, 0.10), (Level.MEDIUM, 0.15)):
        if rate <= bound:
            return level
    return Level.LOW
