"""Rank buckets: monotone bucketing and the rank's bucket range found from counts alone give
exactly the percentile of the whole list."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from portal.domain.dora_buckets import BOUNDARIES, Located, bucket_of, locate
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
