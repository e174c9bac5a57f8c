"""`analysis.interval` as Flagger reads it: Go durations, 60s default, 10s floor."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal.domain.canaries import build_canary_view
from portal.domain.durations import parse_go_duration
from tests.unit.domain.objects import canary, canary_analysis

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def interval_of(text: str | None) -> float:
    obj = canary(analysis=canary_analysis(interval=text), status=None)
    return build_canary_view(obj, cluster="c", now=NOW).interval_seconds


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1m", 60.0), ("30s", 30.0), ("1m30s", 90.0), ("2h", 7200.0), ("15s", 15.0), ("10m", 600.0)],
)
def test_interval_is_parsed_as_a_go_duration(text: str, seconds: float) -> None:
    assert interval_of(text) == seconds


def test_absent_interval_defaults_to_sixty_seconds() -> None:
    assert interval_of(None) == 60.0


def test_unparsable_interval_defaults_to_sixty_seconds() -> None:
    assert interval_of("1 minute") == 60.0


@pytest.mark.parametrize("text", ["5s", "500ms", "0s", "-1m"])
def test_interval_below_ten_seconds_is_raised_to_ten(text: str) -> None:
    assert interval_of(text) == 10.0


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1h2m3s", 3723.0),
        ("1.5m", 90.0),
        ("250ms", 0.25),
        ("0", 0.0),
        ("2h45m", 9900.0),
        ("-1m", -60.0),
        ("+30s", 30.0),
    ],
)
def test_go_durations_parse_to_seconds(text: str, seconds: float) -> None:
    assert parse_go_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "60", "1d", "m", "1m 30s", "1.5", "-"])
def test_strings_go_rejects_are_not_durations(text: str) -> None:
    assert parse_go_duration(text) is None
