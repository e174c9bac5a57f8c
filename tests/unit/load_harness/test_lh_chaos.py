"""Chaos: a seeded share of traffic fails with injected 500s, latency is added, probes spared."""

from __future__ import annotations

import math
import random
import time

import pytest

from load_harness.chaos import Chaos, ChaosConfig
from tests.unit.load_harness.conftest import Harness, HarnessFactory

SEED = 20261125
REQUESTS = 1000
RATE = 0.3
FAILURES_FOR_SEED = 305


async def count_failures(harness: Harness, *, path: str, requests: int) -> int:
    failures = 0
    for _ in range(requests):
        response = await harness.client.get(path)
        if response.status_code == 500:
            failures += 1
        else:
            assert response.status_code == 200
    return failures


async def test_error_rate_is_within_a_binomial_four_sigma_band(
    harness_factory: HarnessFactory,
) -> None:
    async with harness_factory(rng=random.Random(SEED), chaos_error_rate=RATE) as harness:
        failures = await count_failures(harness, path="/api/v1/jobs", requests=REQUESTS)
    sigma = math.sqrt(REQUESTS * RATE * (1 - RATE))
    assert abs(failures - REQUESTS * RATE) <= 4 * sigma
    assert failures == FAILURES_FOR_SEED


def test_the_exact_failure_count_follows_from_the_seed() -> None:
    chaos = Chaos(config=ChaosConfig(error_rate=RATE), rng=random.Random(SEED))
    assert sum(chaos.decide().fail for _ in range(REQUESTS)) == FAILURES_FOR_SEED


async def test_injected_error_is_a_500_saying_it_is_injected(
    harness_factory: HarnessFactory,
) -> None:
    async with harness_factory(chaos_error_rate=1.0) as harness:
        response = await harness.client.post("/api/v1/work", json={"iterations": 1})
    assert response.status_code == 500
    assert response.json() == {"detail": "injected failure (chaos error_rate=1)", "injected": True}


@pytest.mark.parametrize(
    "path", ["/healthz", "/readyz", "/metrics", "/version", "/", "/api/v1/admin/chaos"]
)
async def test_probes_metrics_status_and_admin_are_never_failed(
    harness_factory: HarnessFactory, path: str
) -> None:
    async with harness_factory(chaos_error_rate=1.0, chaos_latency_ms=5000) as harness:
        started = time.perf_counter()
        statuses = {(await harness.client.get(path)).status_code for _ in range(20)}
        elapsed = time.perf_counter() - started
    assert statuses == {200}
    assert elapsed < 2.0


async def test_latency_injection_adds_the_configured_delay(harness_factory: HarnessFactory) -> None:
    async with harness_factory(chaos_latency_ms=200) as harness:
        started = time.perf_counter()
        response = await harness.client.get("/api/v1/jobs")
        elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert 0.2 <= elapsed < 0.2 + 0.5


def test_jitter_stays_within_latency_plus_or_minus_jitter_for_a_seed() -> None:
    chaos = Chaos(config=ChaosConfig(latency_ms=100, jitter_ms=40), rng=random.Random(SEED))
    delays = [chaos.decide().delay_seconds for _ in range(500)]
    assert all(0.060 <= delay <= 0.140 for delay in delays)
    assert min(delays) < 0.065
    assert max(delays) > 0.135
    replay = Chaos(config=ChaosConfig(latency_ms=100, jitter_ms=40), rng=random.Random(SEED))
    assert [replay.decide().delay_seconds for _ in range(500)] == delays


def test_jitter_larger_than_latency_never_gives_a_negative_delay() -> None:
    chaos = Chaos(config=ChaosConfig(latency_ms=10, jitter_ms=50), rng=random.Random(SEED))
    delays = [chaos.decide().delay_seconds for _ in range(200)]
    assert min(delays) == 0.0
    assert max(delays) <= 0.060


async def test_admin_put_replaces_chaos_and_it_applies_at_once(harness: Harness) -> None:
    before = await harness.client.post("/api/v1/work", json={"iterations": 1})
    put = await harness.client.put("/api/v1/admin/chaos", json={"error_rate": 1.0})
    after = await harness.client.post("/api/v1/work", json={"iterations": 1})
    current = await harness.client.get("/api/v1/admin/chaos")
    assert (before.status_code, put.status_code, after.status_code) == (200, 200, 500)
    assert put.json() == {"error_rate": 1.0, "latency_ms": 0, "jitter_ms": 0}
    assert current.json() == {"error_rate": 1.0, "latency_ms": 0, "jitter_ms": 0}


async def test_admin_put_can_always_turn_chaos_off(harness_factory: HarnessFactory) -> None:
    async with harness_factory(chaos_error_rate=1.0, chaos_latency_ms=1000) as harness:
        put = await harness.client.put("/api/v1/admin/chaos", json={})
        after = await harness.client.get("/api/v1/jobs")
    assert put.json() == {"error_rate": 0.0, "latency_ms": 0, "jitter_ms": 0}
    assert after.status_code == 200


async def test_chaos_from_settings_is_what_admin_get_reports(
    harness_factory: HarnessFactory,
) -> None:
    async with harness_factory(
        chaos_error_rate=0.05, chaos_latency_ms=250, chaos_jitter_ms=25
    ) as harness:
        response = await harness.client.get("/api/v1/admin/chaos")
    assert response.json() == {"error_rate": 0.05, "latency_ms": 250, "jitter_ms": 25}


async def test_chaos_applies_before_the_key_check_like_a_broken_release(
    harness_factory: HarnessFactory,
) -> None:
    async with harness_factory(chaos_error_rate=1.0, headers={}) as harness:
        response = await harness.client.get("/api/v1/jobs")
    assert response.status_code == 500
    assert response.json()["injected"] is True
