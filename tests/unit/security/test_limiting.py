"""The moving-window rate limits, on a clock the test moves."""

from __future__ import annotations

from portal.security.limiting import RateLimits


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_rule_allows_its_amount_per_moving_window_then_says_how_long_to_wait() -> None:
    clock = Clock()
    limits = RateLimits({"actions": "3/minute"}, clock=clock)
    for offset in (0.0, 10.0, 20.0):
        clock.now = 1000.0 + offset
        assert limits.consume([("actions", "alice")]) is None
    clock.now = 1030.0
    assert limits.consume([("actions", "alice")]) == 30  # the first one leaves at 1060
    clock.now = 1059.5
    assert limits.consume([("actions", "alice")]) == 1
    clock.now = 1060.0
    assert limits.consume([("actions", "alice")]) is None  # 1000 left the window
    assert limits.consume([("actions", "alice")]) == 10  # next to leave: 1010


def test_keys_have_windows_of_their_own() -> None:
    limits = RateLimits({"actions": "1/minute"}, clock=Clock())
    assert limits.consume([("actions", "alice")]) is None
    assert limits.consume([("actions", "alice")]) == 60
    assert limits.consume([("actions", "bob")]) is None


def test_nothing_is_spent_when_any_check_is_exhausted() -> None:
    clock = Clock()
    limits = RateLimits({"tokens": "2/minute", "webhooks": "1/minute"}, clock=clock)
    assert limits.consume([("webhooks", "addr"), ("tokens", "t")]) is None
    assert limits.consume([("tokens", "t"), ("webhooks", "addr")]) == 60
    assert limits.consume([("tokens", "t")]) is None  # the refused call spent no token unit
    assert limits.consume([("tokens", "t")]) == 60


def test_windows_idle_for_a_whole_period_are_dropped() -> None:
    clock = Clock()
    limits = RateLimits({"per_caller": "2/second", "overall": "5/minute"}, clock=clock)
    assert limits.consume([("per_caller", "a"), ("overall", "all")]) is None
    assert limits.consume([("per_caller", "b")]) is None
    clock.now = 1061.0  # past the longest period: the next call sweeps every idle window
    assert limits.consume([("per_caller", "c")]) is None
    assert sorted(limits._windows) == [("per_caller", "c")]
