"""Interpolated percentiles match PostgreSQL's percentile_cont on hand-computed values."""

from __future__ import annotations

import pytest

from portal.domain.dora_percentiles import Rank, interpolate, percentile, percentile_rank


def test_no_values_has_no_percentile() -> None:
    assert percentile_rank(0, 0.5) is None
    assert percentile([], 0.9) is None


def test_median_of_an_even_count_interpolates() -> None:
    assert percentile([36000.0, 86400.0], 0.5) == 61200.0


def test_p90_between_two_values() -> None:
    values = [3600.0, 3600.0, 21600.0, 43200.0, 43200.0, 79200.0, 86400.0, 129600.0, 216000.0]
    assert percentile_rank(9, 0.9) == Rank(index=7, fraction=pytest.approx(0.2))
    assert percentile(values, 0.9) == pytest.approx(146880.0)
    assert percentile(values, 0.5) == 43200.0


def test_one_value_is_every_percentile() -> None:
    assert percentile([5.0], 0.9) == 5.0
    assert interpolate(Rank(index=0, fraction=0.5), [5.0]) == 5.0


def test_quantile_outside_unit_interval_is_refused() -> None:
    with pytest.raises(ValueError, match=r"outside 0\.\.1"):
        percentile_rank(3, 1.5)
