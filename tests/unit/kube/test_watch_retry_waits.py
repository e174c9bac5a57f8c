"""How long a watch waits before trying again: backoff, or what a 429/5xx asked for."""

from __future__ import annotations

import random

import pytest
from kubernetes_asyncio.client.exceptions import ApiException

from portal.kube.watch_timing import WatchTiming, retry_after_seconds, retry_delay

TIMING = WatchTiming(backoff_initial_seconds=0.5, backoff_cap_seconds=4.0)


def answered(status: int, retry_after: str | None) -> ApiException:
    error = ApiException(status=status, reason="injected")
    error.headers = {} if retry_after is None else {"Retry-After": retry_after}
    return error


@pytest.mark.parametrize(
    ("status", "header", "asked"),
    [(429, "3", 3), (500, "2", 2), (503, "0", 0), (404, "3", None), (429, None, None)],
)
def test_only_429_and_5xx_answers_ask_to_wait(status: int, header: str | None, asked: int) -> None:
    assert retry_after_seconds(answered(status, header)) == asked


@pytest.mark.parametrize("header", ["soon", "-1", "1.5"])
def test_a_retry_after_that_is_not_whole_seconds_is_ignored(header: str) -> None:
    assert retry_after_seconds(answered(429, header)) is None


def test_the_wait_is_the_longer_of_backoff_and_retry_after() -> None:
    rng = random.Random(7)
    assert retry_delay(answered(429, "3"), 0, TIMING, rng) == 3.0
    late = retry_delay(answered(429, "1"), 6, TIMING, random.Random(7))
    assert late == 4.0 * random.Random(7).uniform(0.5, 1.0)
    assert 2.0 <= late <= 4.0


def test_a_retry_after_above_a_minute_waits_a_minute() -> None:
    assert retry_delay(answered(429, "3600"), 0, TIMING, random.Random(1)) == 60.0


def test_a_connection_error_waits_the_backoff_alone() -> None:
    delays = [retry_delay(ConnectionRefusedError(), n, TIMING, random.Random(n)) for n in range(8)]
    ceilings = [min(4.0, 0.5 * 2**n) for n in range(8)]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert max(delays) <= 4.0
