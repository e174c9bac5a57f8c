"""Nightly-destroy schedules: when an ephemeral cluster is down, how many hours a week that is,
and what it saves at the cluster's burn rate.

A schedule is a list of windows in UTC, each one of
- `Mon-Thu 20:00-08:00`: on each listed day from the first time to the second (the next day
  when the second is not later), days as `Mon`, `Mon-Fri` or `Sat,Sun`;
- `Fri 20:00-Mon 08:00`: one span from a day and time to a later day and time (wrapping the week).
Windows may overlap; the union counts. `Mon-Thu 20:00-08:00` plus `Fri 20:00-Mon 08:00` is down
108 of 168 hours a week (64.3%).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEK_MINUTES = 7 * 24 * 60
HOURS_PER_WEEK = Decimal(168)
WEEKS_PER_MONTH = Decimal(730) / HOURS_PER_WEEK
_TIME = r"(\d{1,2}):(\d{2})"
_DAILY = re.compile(rf"^(?P<days>[A-Za-z,\-]+)\s+{_TIME}\s*-\s*{_TIME}$")
_SPAN = re.compile(rf"^(?P<d1>[A-Za-z]{{3}})\s+{_TIME}\s*-\s*(?P<d2>[A-Za-z]{{3}})\s+{_TIME}$")

Interval = tuple[int, int]
"""Minutes since Monday 00:00 UTC, [start, end), end may pass WEEK_MINUTES (wraps)."""


class BadSchedule(ValueError):
    pass


def _day(name: str) -> int:
    try:
        return DAYS.index(name.strip().lower()[:3])
    except ValueError:
        raise BadSchedule(f"unknown day {name!r}; use Mon..Sun") from None


def _minutes(hours: str, minutes: str) -> int:
    h, m = int(hours), int(minutes)
    if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m):
        raise BadSchedule(f"bad time {hours}:{minutes}")
    return h * 60 + m


def _days(text: str) -> list[int]:
    found: list[int] = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        start = _day(first)
        end = _day(last) if last else start
        found += [(start + i) % 7 for i in range((end - start) % 7 + 1)]
    return found


def parse_window(text: str) -> list[Interval]:
    span = _SPAN.match(text.strip())
    if span:
        start = _day(span["d1"]) * 1440 + _minutes(span[2], span[3])
        end = _day(span["d2"]) * 1440 + _minutes(span[5], span[6])
        return [(start, end if end > start else end + WEEK_MINUTES)]
    daily = _DAILY.match(text.strip())
    if daily is None:
        raise BadSchedule(
            f"window {text!r}: use 'Mon-Fri 20:00-08:00' or 'Fri 20:00-Mon 08:00' (UTC)"
        )
    start, end = _minutes(daily[2], daily[3]), _minutes(daily[4], daily[5])
    length = end - start if end > start else end + 1440 - start
    return [(day * 1440 + start, day * 1440 + start + length) for day in _days(daily["days"])]


def parse_schedule(windows: Sequence[str]) -> list[Interval]:
    """The union of the windows as sorted, disjoint intervals within one week."""
    pieces: list[Interval] = []
    for window in windows:
        for start, end in parse_window(window):
            if end > WEEK_MINUTES:
                pieces += [(start, WEEK_MINUTES), (0, end - WEEK_MINUTES)]
            else:
                pieces.append((start, end))
    merged: list[Interval] = []
    for start, end in sorted(pieces):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def down_hours_per_week(intervals: Sequence[Interval]) -> Decimal:
    return Decimal(sum(end - start for start, end in intervals)) / 60


def is_down(intervals: Sequence[Interval], moment: datetime) -> bool:
    """True when `moment` (UTC) falls in a down window."""
    minute = moment.weekday() * 1440 + moment.hour * 60 + moment.minute
    return any(start <= minute < end for start, end in intervals)


@dataclass(frozen=True, slots=True)
class Savings:
    cluster: str
    windows: tuple[str, ...]
    down_hours_per_week: Decimal
    down_share: Decimal
    usd_per_hour: Decimal | None
    """The burn rate the savings are priced at (None while the cluster has no nodes)."""
    usd_per_week: Decimal | None
    usd_per_month: Decimal | None
    scheduled_down_now: bool
    up_while_scheduled_down: bool


def savings(
    *,
    cluster: str,
    windows: Sequence[str],
    usd_per_hour: Decimal | None,
    nodes: int,
    now: datetime,
) -> Savings:
    intervals = parse_schedule(windows)
    hours = down_hours_per_week(intervals)
    down_now = is_down(intervals, now)
    weekly = None if usd_per_hour is None else hours * usd_per_hour
    return Savings(
        cluster=cluster,
        windows=tuple(windows),
        down_hours_per_week=hours,
        down_share=hours / HOURS_PER_WEEK,
        usd_per_hour=usd_per_hour,
        usd_per_week=weekly,
        usd_per_month=None if weekly is None else weekly * WEEKS_PER_MONTH,
        scheduled_down_now=down_now,
        up_while_scheduled_down=down_now and nodes > 0,
    )
