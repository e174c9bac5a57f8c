"""Rank buckets for exact percentiles from rollups (pure).

A duration falls in bucket `i` when `BOUNDARIES[i - 1] <= seconds < BOUNDARIES[i]` (bucket 0
below one second). Rollups keep how many values each day has per bucket; the percentile's rank is
found in the summed counts (`locate`), and only that bucket's raw values are read for the exact
value and its interpolation neighbour. Bucketing is monotone, so ordering inside the bucket range
orders the whole set. Rollups also keep each bucket's smallest and largest value and how many
values equal each (`Bin`): a rank among its bucket's copies of the smallest or of the largest
value (all of them when a bucket holds one or two distinct values), and the neighbour that opens
the next bucket, are known without reading the bucket (`known_values`).
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass

STEPS_PER_DOUBLING = 16
DOUBLINGS = 32
BOUNDARIES: tuple[float, ...] = tuple(
    2.0 ** (step / STEPS_PER_DOUBLING) for step in range(STEPS_PER_DOUBLING * DOUBLINGS + 1)
)
"""1 s to 2^32 s in steps of 2^(1/16) (about 4.4 %): a bucket holds a small share of a window."""


def bucket_of(seconds: float) -> int:
    return bisect.bisect_right(BOUNDARIES, seconds)


@dataclass(frozen=True, slots=True)
class Located:
    """The values ranked `index` (and `index + 1`) lie in buckets `first..last`, at `offset`
    among the values of those buckets in order."""

    first: int
    last: int
    offset: int


def locate(counts: Mapping[int, int], index: int, *, pair: bool) -> Located | None:
    """Where the value of rank `index` (0-based) is among bucket `counts`; with `pair`, the range
    also reaches the next non-empty bucket when that value is its bucket's last. None when the
    counts hold no such rank."""
    before = 0
    buckets = sorted(bucket for bucket, count in counts.items() if count > 0)
    for position, bucket in enumerate(buckets):
        count = counts[bucket]
        if index < before + count:
            last = bucket
            if pair and index + 1 == before + count and position + 1 < len(buckets):
                last = buckets[position + 1]
            return Located(first=bucket, last=last, offset=index - before)
        before += count
    return None


@dataclass(slots=True)
class Bin:
    """How many values a bucket holds in a window, the smallest and largest of them, and how
    many at least are equal to each (None: unknown, then only the bucket's values tell)."""

    count: int = 0
    low: float | None = None
    low_count: int = 0
    high: float | None = None
    high_count: int = 0
    bounded: bool = True

    def add(
        self,
        count: int,
        low: float | None,
        high: float | None,
        low_count: int = 1,
        high_count: int = 1,
    ) -> None:
        """Merge another part's values of the same bucket (a day, a part-day): `low_count`
        of them at least equal `low`, `high_count` equal `high` (one each when not counted)."""
        if count <= 0:
            return
        self.count += count
        if not self.bounded or low is None or high is None:
            self.bounded = False
            self.low = self.high = None
            return
        if low == high:
            low_count = high_count = count
        if self.low is None or low < self.low:
            self.low, self.low_count = low, low_count
        elif low == self.low:
            self.low_count += low_count
        if self.high is None or high > self.high:
            self.high, self.high_count = high, high_count
        elif high == self.high:
            self.high_count += high_count

    def merge(self, other: Bin) -> None:
        if other.bounded:
            self.add(other.count, other.low, other.high, other.low_count, other.high_count)
        else:
            self.add(other.count, None, None)


def without(whole: Bin, part: Bin) -> Bin | None:
    """The values of `whole` (a day's rollup) that are not in `part` (the facts of some of that
    day's hours, counted exactly): their bounds where the subtraction tells them (a bound
    `part` does not reach, or reaches with fewer copies), otherwise unknown (the bucket is then
    read). None when `part` is not within `whole` (more values, or a value below its smallest
    or above its largest): the two were read from different states of the facts."""
    count = whole.count - part.count
    if count < 0:
        return None
    rest = Bin()
    if part.count == 0:
        rest.merge(whole)
        return rest
    low, high, part_low, part_high = whole.low, whole.high, part.low, part.high
    if (
        not (whole.bounded and part.bounded)
        or low is None
        or high is None
        or part_low is None
        or part_high is None
    ):
        rest.add(count, None, None)
        return rest
    if part_low < low or part_high > high:
        return None
    low_count = whole.low_count - (part.low_count if part_low == low else 0)
    high_count = whole.high_count - (part.high_count if part_high == high else 0)
    if count == 0:
        return rest
    if low_count <= 0 or high_count <= 0:
        rest.add(count, None, None)
    elif low == high:
        rest.add(count, low, high, count, count)
    else:
        rest.add(count, low, high, low_count, high_count)
    return rest


def _value_at(found: Bin, offset: int) -> float | None:
    if offset < found.low_count:
        return found.low
    if offset >= found.count - found.high_count:
        return found.high
    return None


def known_values(bins: Mapping[int, Bin], index: int, *, pair: bool) -> list[float] | None:
    """The value of rank `index` (0-based) and, with `pair`, the next one (none after the last),
    when the bins' smallest and largest values and their counts give them; None when the values
    must be read."""
    buckets = sorted(bucket for bucket, found in bins.items() if found.count > 0)
    before = 0
    for position, bucket in enumerate(buckets):
        found = bins[bucket]
        if index < before + found.count:
            offset = index - before
            value = _value_at(found, offset)
            if value is None or not pair:
                return None if value is None else [value]
            if offset + 1 < found.count:
                following = _value_at(found, offset + 1)
            elif position + 1 < len(buckets):
                following = bins[buckets[position + 1]].low
            else:
                return [value]
            return None if following is None else [value, following]
        before += found.count
    return None
