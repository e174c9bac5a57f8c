"""DORA level tables (2023 default, 2024 selectable) at and around every boundary."""

from __future__ import annotations

import pytest

from portal.domain.dora_levels import (
    DAY,
    HOUR,
    MONTH,
    WEEK,
    Level,
    failure_rate_level,
    frequency_level,
    lead_time_level,
    recovery_level,
)


@pytest.mark.parametrize(
    ("seconds", "level"),
    [(DAY - 1, Level.ELITE), (DAY, Level.HIGH), (WEEK, Level.MEDIUM), (MONTH, Level.LOW)],
)
def test_lead_time_levels(seconds: float, level: Level) -> None:
    assert lead_time_level(seconds) is level


@pytest.mark.parametrize(
    ("seconds", "level"),
    [(HOUR - 1, Level.ELITE), (HOUR, Level.HIGH), (DAY, Level.MEDIUM), (WEEK, Level.LOW)],
)
def test_recovery_levels(seconds: float, level: Level) -> None:
    assert recovery_level(seconds) is level


@pytest.mark.parametrize(
    ("per_day", "level"),
    [
        (1.5, Level.ELITE),
        (1.0, Level.HIGH),
        (1 / 7, Level.HIGH),
        (1 / 8, Level.MEDIUM),
        (1 / 30, Level.MEDIUM),
        (1 / 31, Level.LOW),
        (0.0, Level.LOW),
    ],
)
def test_frequency_levels(per_day: float, level: Level) -> None:
    assert frequency_level(per_day) is level


@pytest.mark.parametrize(
    ("rate", "level"),
    [
        (0.05, Level.ELITE),
        (0.0501, Level.HIGH),
        (0.10, Level.HIGH),
        (0.15, Level.MEDIUM),
        (0.1501, Level.LOW),
    ],
)
def test_failure_rate_levels_2023(rate: float, level: Level) -> None:
    assert failure_rate_level(rate) is level


@pytest.mark.parametrize(
    ("rate", "level"),
    [(0.0, Level.ELITE), (0.09, Level.MEDIUM), (0.2, Level.HIGH), (0.31, Level.LOW)],
)
def test_failure_rate_levels_2024_take_the_nearest_cluster(rate: float, level: Level) -> None:
    assert failure_rate_level(rate, "2024") is level


def test_no_data_has_no_level() -> None:
    assert lead_time_level(None) is None
    assert recovery_level(None) is None
    assert frequency_level(None) is None
    assert failure_rate_level(None) is None
