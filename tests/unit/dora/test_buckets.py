"""Rank buckets: monotone bucketing and the rank's bucket range found from counts alone give
exactly the percentile of the whole list."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from portal.domain.dora_buckets import (
    BOUNDARIES,
    Bin,
    Located,
    bucket_of,
    known_values,
    locate,
    without,
)
from portal.domain.dora_percentiles import interpolate, percentile, percentile_rank


def test_boundaries_bucket_edges() -> None:
    assert bucket_of(0.0) == 0
    assert bucket_of(0.999) == 0
    assert bucket_of(1.0) == 1
    assert bucket_of(BOUNDARIES[16]) == 17
    assert BOUNDARIES[16] == 2.0
    assert bucket_of(1e12) == len(BOUNDARIES)


def test_locate_walks_to_the_next_non_empty_bucket_for_the_pair() -> None:
    counts = {3: 2, 5: 0, 9: 1}
    assert locate(counts, 0, pair=True) == Located(first=3, last=3, offset=0)
    assert locate(counts, 1, pair=True) == Located(first=3, last=9, offset=1)
    assert locate(counts, 1, pair=False) == Located(first=3, last=3, offset=1)
    assert locate(counts, 2, pair=True) == Located(first=9, last=9, offset=0)
    assert locate(counts, 3, pair=True) is None
    assert locate({}, 0, pair=True) is None


values = st.lists(
    st.floats(min_value=0.001, max_value=5e9, allow_nan=False), min_size=1, max_size=60
)


@given(values, st.sampled_from([0.0, 0.5, 0.9, 1.0]))
def test_percentile_from_the_located_buckets_equals_the_whole_list(
    found: list[float], quantile: float
) -> None:
    counts = Counter(bucket_of(value) for value in found)
    rank = percentile_rank(len(found), quantile)
    assert rank is not None
    where = locate(counts, rank.index, pair=rank.fraction > 0)
    assert where is not None
    inside = sorted(v for v in found if where.first <= bucket_of(v) <= where.last)
    pair = inside[where.offset : where.offset + 2]
    assert interpolate(rank, pair) == percentile(found, quantile)


def _bins(found: list[float], *, counted: bool) -> dict[int, Bin]:
    """Each value a part of its own (counted: a day's exact counts of its bounds), merged."""
    bins: dict[int, Bin] = {}
    for bucket in {bucket_of(value) for value in found}:
        inside = sorted(value for value in found if bucket_of(value) == bucket)
        part = Bin()
        if counted:
            low, high = inside[0], inside[-1]
            part.add(len(inside), low, high, inside.count(low), inside.count(high))
        else:
            for value in inside:
                part.add(1, value, value)
        bins[bucket] = part
    return bins


def test_known_values_from_the_bounds_alone() -> None:
    bins = _bins([10.0, 10.0, 10.0, 20.0, 20.3, 20.3, 20.6, 400.0], counted=True)
    assert known_values(bins, 1, pair=True) == [10.0, 10.0]  # all equal in their bucket
    assert known_values(bins, 2, pair=True) == [10.0, 20.0]  # the next bucket's smallest
    assert known_values(bins, 3, pair=False) == [20.0]  # its bucket's first
    assert known_values(bins, 4, pair=False) is None  # between its bucket's bounds
    assert known_values(bins, 6, pair=True) == [20.6, 400.0]  # its bucket's last, then next
    assert known_values(bins, 7, pair=True) == [400.0]  # the last value has no neighbour
    assert known_values(bins, 8, pair=False) is None
    unknown = Bin()
    unknown.add(2, 5.0, 5.0)
    unknown.add(1, None, None)  # a part without bounds: the bucket must be read
    assert known_values({3: unknown}, 0, pair=False) is None


def test_two_distinct_values_counted_are_known_everywhere() -> None:
    first, second = Bin(), Bin()
    first.add(5, 6307.2, 6307.2000001, 2, 3)
    second.add(4, 6307.2, 6307.2000001, 1, 3)
    first.merge(second)
    assert (first.count, first.low_count, first.high_count) == (9, 3, 6)
    assert [known_values({1: first}, index, pair=False) for index in range(9)] == [[6307.2]] * 3 + [
        [6307.2000001]
    ] * 6
    third = Bin()
    third.add(2, 6307.1, 6307.1)  # a lower smallest value: the others' copies no longer count
    first.merge(third)
    assert (first.low, first.low_count, first.high_count) == (6307.1, 2, 6)
    assert known_values({1: first}, 2, pair=False) is None


@given(
    st.lists(st.sampled_from([1.5, 2.0, 7.0, 7.1, 7.2, 30.0, 31.0, 1e5]), min_size=1, max_size=40),
    st.sampled_from([0.0, 0.25, 0.5, 0.9, 1.0]),
    st.booleans(),
)
def test_known_values_are_the_sorted_values_at_the_rank(
    found: list[float], quantile: float, counted: bool
) -> None:
    rank = percentile_rank(len(found), quantile)
    assert rank is not None
    known = known_values(_bins(found, counted=counted), rank.index, pair=rank.fraction > 0)
    if known is not None:
        ordered = sorted(found)
        assert known == ordered[rank.index : rank.index + (2 if rank.fraction > 0 else 1)]
        assert interpolate(rank, known) == percentile(found, quantile)


def _exact(found: list[float]) -> Bin:
    made = Bin()
    if found:
        low, high = min(found), max(found)
        made.add(len(found), low, high, found.count(low), found.count(high))
    return made


@given(
    st.lists(st.integers(0, 6).map(float), min_size=1, max_size=20),
    st.lists(st.booleans(), min_size=20, max_size=20),
)
def test_a_day_less_some_of_its_hours_keeps_the_bounds_it_can_tell(
    day: list[float], taken: list[bool]
) -> None:
    part = [value for value, out in zip(day, taken, strict=False) if out]
    rest = [value for value, out in zip(day, taken, strict=False) if not out]
    left = without(_exact(day), _exact(part))
    assert left is not None
    assert left.count == len(rest)
    if left.bounded and rest:
        assert (left.low, left.high) == (min(rest), max(rest))
        assert left.low_count == rest.count(min(rest))
        assert left.high_count == rest.count(max(rest))
    tells_low = not part or min(part) > min(day) or part.count(min(day)) < day.count(min(day))
    tells_high = not part or max(part) < max(day) or part.count(max(day)) < day.count(max(day))
    assert left.bounded == (not rest or (tells_low and tells_high))


def test_a_part_outside_the_day_is_refused() -> None:
    day = _exact([3.0, 5.0, 8.0])
    assert without(day, _exact([2.0])) is None  # below the day's smallest
    assert without(day, _exact([9.0])) is None  # above its largest
    assert without(day, _exact([3.0, 4.0, 5.0, 8.0])) is None  # more values than the day
    unbounded = Bin()
    unbounded.add(3, None, None)
    left = without(unbounded, _exact([5.0]))
    assert left is not None
    assert (left.count, left.bounded) == (2, False)
