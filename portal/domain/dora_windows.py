"""The time window a DORA query covers and its weekly trend buckets (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

DAY_SECONDS = 86_400
MAX_WINDOW_DAYS = 3650


@dataclass(frozen=True, slots=True)
class Window:
    """Deployments finished in [start, end) belong to it."""

    start: datetime
    end: datetime

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / DAY_SECONDS

    @property
    def start_epoch(self) -> float:
        return self.start.timestamp()

    @property
    def end_epoch(self) -> float:
        return self.end.timestamp()


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive timestamps; every stored time is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def window_ending(*, until: datetime, days: int) -> Window:
    end = as_utc(until)
    return Window(start=end - timedelta(days=days), end=end)


MAX_TREND_WEEKS = 26


def weekly_buckets(window: Window, *, most: int = MAX_TREND_WEEKS) -> list[Window]:
    """Seven-day slices ending at the window's end, oldest first; the oldest is cut at the
    start. A window longer than `most` weeks trends over its last `most` weeks."""
    buckets: list[Window] = []
    end = window.end
    while end > window.start and len(buckets) < most:
        start = max(end - timedelta(days=7), window.start)
        buckets.append(Window(start=start, end=end))
        end = start
    return buckets[::-1]


def day_number(moment: datetime) -> int:
    """Days since the Unix epoch, in UTC (the deployment-days count groups on it)."""
    return int(as_utc(moment).timestamp() // DAY_SECONDS)
