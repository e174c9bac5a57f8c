"""Rank buckets for exact percentiles from rollups (pure).

A duration falls in bucket `i` when `BOUNDARIES[i - 1] <= seconds < BOUNDARIES[i]` (bucket 0
below one second). Rollups keep how many values each day has per bucket; the percentile's rank is
found in the summed counts (`locate`), and only that bucket's raw values are read for the exact
value and its interpolation neighbour. Bucketing is monotone, so ordering inside the bucket range
orders the whole set.
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
