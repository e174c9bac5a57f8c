import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from portal.config import WATCHABLE_KINDS
from portal.kube.kinds import ALL_KINDS
from portal.kube.watch_timing import WatchTiming, backoff_delay
from portal.web.presenting import dom_id, duration, phase_tone
from portal.web.sparklines import sparkline


@dataclass(frozen=True)
class Obj:
    cluster: str
    namespace: str
    name: str


def test_dom_ids_are_valid_and_distinct_per_cluster() -> None:
    first = dom_id(Obj("prod/eu", "shop", "web.v2"), "canary-row")
    second = dom_id(Obj("prod/us", "shop", "web.v2"), "canary-row")
    assert first.startswith("canary-row-shop-web-v2-")
    assert first != second
    assert all(ch.isalnum() or ch in "-_" for ch in first)


@pytest.mark.parametrize(
    ("seconds", "text"), [(None, "-"), (4.4, "4s"), (75, "1m15s"), (3600 + 120, "1h02m")]
)
def test_durations_read_naturally(seconds: float | None, text: str) -> None:
    assert duration(seconds) == text


def test_phase_tones() -> None:
    assert [phase_tone(p) for p in ("Succeeded", "Failed", "WaitingPromotion", "Odd")] == [
        "ok",
        "bad",
        "warn",
        "muted",
    ]


def test_sparkline_draws_a_step_line_scaled_to_the_maximum() -> None:
    start = datetime(2026, 11, 25, tzinfo=UTC)
    svg = sparkline(
        [(start, 2), (start + timedelta(minutes=30), 4), (start + timedelta(hours=1), 3)],
        maximum=4,
        label="replicas of web",
    )
    assert 'aria-label="replicas of web: 3 samples, now 3"' in svg
    assert 'points="2.0,14.0 60.0,14.0 60.0,2.0 118.0,2.0 118.0,8.0 118.0,8.0"' in svg


def test_empty_history_says_so() -> None:
    assert "no history" in sparkline([], maximum=5, label="x")


def test_every_settings_kind_is_a_watchable_kind() -> None:
    assert tuple(kind.key for kind in ALL_KINDS) == WATCHABLE_KINDS


def test_backoff_grows_is_capped_and_jittered() -> None:
    timing = WatchTiming(backoff_initial_seconds=0.5, backoff_cap_seconds=30)
    rng = random.Random(7)
    delays = [backoff_delay(attempt, timing, rng) for attempt in range(10)]
    ceilings = [min(30.0, 0.5 * 2**a) for a in range(10)]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert len(set(delays)) == 10
