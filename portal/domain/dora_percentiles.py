"""Interpolated percentiles (PostgreSQL's `percentile_cont`, numpy's default "linear") computed
from at most two ordered values, so the database never hands every value to Python: the caller
counts the values, fetches the one or two at `percentile_rank(...)` and calls `interpolate`."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rank:
    """Where a percentile falls among `n` ordered values: between `index` and `index + 1`."""

    index: int
    fraction: float


def percentile_rank(count: int, quantile: float) -> Rank | None:
    """None when there are no values; `quantile` in 0..1."""
    if count <= 0:
        return None
    if not 0.0 <= quantile <= 1.0:
        raise ValueError(f"quantile {quantile} is outside 0..1")
    position = quantile * (count - 1)
    index = math.floor(position)
    return Rank(index=index, fraction=position - index)


def interpolate(rank: Rank, values: list[float]) -> float:
    """The percentile from the values at `rank.index` and after it (one or two of them)."""
    low = values[0]
    if rank.fraction == 0.0 or len(values) < 2:
        return low
    return low + (values[1] - low) * rank.fraction


def percentile(values: list[float], quantile: float) -> float | None:
    """The same over a whole list (for tests and small inputs)."""
    rank = percentile_rank(len(values), quantile)
    if rank is None:
        return None
    ordered = sorted(values)
    return interpolate(rank, ordered[rank.index : rank.index + 2])
