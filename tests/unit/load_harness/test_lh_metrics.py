"""The Prometheus exposition, parsed: exact counts per exact status code, by route template."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from load_harness.metrics import LATENCY_BUCKETS
from tests.unit.load_harness.conftest import Harness, HarnessFactory


async def scrape(harness: Harness) -> dict[str, list[Sample]]:
    response = await harness.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    return {family.name: family.samples for family in text_string_to_metric_families(response.text)}


def request_counts(families: dict[str, list[Sample]]) -> dict[tuple[str, str, str], float]:
    return {
        (sample.labels["method"], sample.labels["route"], sample.labels["status"]): sample.value
        for sample in families["http_requests"]
        if sample.name == "http_requests_total"
    }


async def test_requests_are_counted_per_exact_status_and_route_template(
    harness_factory: HarnessFactory,
) -> None:
    async with harness_factory() as harness:
        for _ in range(3):
            await harness.client.post("/api/v1/work", json={"iterations": 1})
        await harness.client.post("/api/v1/work", json={"iterations": 0})
        await harness.client.post("/api/v1/work", json={"iterations": 1}, headers={"X-API-Key": ""})
        await harness.client.get("/api/v1/jobs/aaaa")
        await harness.client.get("/api/v1/jobs/bbbb")
        await harness.client.get("/no/such/page")
        await harness.client.put("/api/v1/admin/chaos", json={"error_rate": 1.0})
        await harness.client.get("/api/v1/jobs")
        await harness.client.get("/api/v1/jobs")
        await harness.client.delete("/healthz")
        families = await scrape(harness)
    assert request_counts(families) == {
        ("POST", "/api/v1/work", "200"): 3.0,
        ("POST", "/api/v1/work", "422"): 1.0,
        ("POST", "/api/v1/work", "401"): 1.0,
        ("GET", "/api/v1/jobs/{job_id}", "404"): 2.0,
        ("GET", "unmatched", "404"): 1.0,
        ("PUT", "/api/v1/admin/chaos", "200"): 1.0,
        ("GET", "/api/v1/jobs", "500"): 2.0,
        ("DELETE", "/healthz", "405"): 1.0,
    }


async def test_duration_histogram_has_the_p99_buckets_and_counts_every_request(
    harness: Harness,
) -> None:
    for _ in range(4):
        await harness.client.get("/healthz")
    families = await scrape(harness)
    healthz = [
        sample
        for sample in families["http_request_duration_seconds"]
        if sample.labels.get("route") == "/healthz"
    ]
    buckets = [float(s.labels["le"]) for s in healthz if s.name.endswith("_bucket")]
    count = next(s.value for s in healthz if s.name.endswith("_count"))
    assert buckets == [*LATENCY_BUCKETS, float("inf")]
    assert LATENCY_BUCKETS == (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.375, 0.5, 0.75, 1, 2.5, 5)
    assert count == 4.0


async def test_injected_latency_shows_in_the_histogram(harness_factory: HarnessFactory) -> None:
    async with harness_factory(chaos_latency_ms=400) as harness:
        await harness.client.get("/api/v1/jobs")
        families = await scrape(harness)
    buckets = {
        sample.labels["le"]: sample.value
        for sample in families["http_request_duration_seconds"]
        if sample.name.endswith("_bucket") and sample.labels["route"] == "/api/v1/jobs"
    }
    assert (buckets["0.375"], buckets["0.5"]) == (0.0, 1.0)


async def test_job_and_chaos_series_start_at_zero_and_name_the_build(
    harness_factory: HarnessFactory,
) -> None:
    async with harness_factory(app_version="3.1.0", pod_name="p-1", pod_namespace="ns") as harness:
        families = await scrape(harness)
    values = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for name in (
            "load_harness_active_jobs",
            "load_harness_memory_held_bytes",
            "load_harness_cpu_burned_seconds",
            "load_harness_chaos_error_ratio",
            "load_harness_chaos_latency_seconds",
            "load_harness_build_info",
        )
        for sample in families[name]
        if not sample.name.endswith("_created")
    }
    assert values == {
        ("load_harness_active_jobs", (("kind", "cpu"),)): 0.0,
        ("load_harness_active_jobs", (("kind", "memory"),)): 0.0,
        ("load_harness_memory_held_bytes", ()): 0.0,
        ("load_harness_cpu_burned_seconds_total", ()): 0.0,
        ("load_harness_chaos_error_ratio", ()): 0.0,
        ("load_harness_chaos_latency_seconds", ()): 0.0,
        (
            "load_harness_build_info",
            (("namespace", "ns"), ("pod", "p-1"), ("version", "3.1.0")),
        ): 1.0,
    }


async def test_chaos_settings_are_exported_when_changed(harness: Harness) -> None:
    await harness.client.put("/api/v1/admin/chaos", json={"error_rate": 0.2, "latency_ms": 150})
    families = await scrape(harness)
    assert [s.value for s in families["load_harness_chaos_error_ratio"]] == [0.2]
    assert [s.value for s in families["load_harness_chaos_latency_seconds"]] == [0.15]


async def test_two_apps_have_separate_registries(harness_factory: HarnessFactory) -> None:
    async with harness_factory() as first, harness_factory() as second:
        await first.client.get("/healthz")
        first_counts = request_counts(await scrape(first))
        second_counts = request_counts(await scrape(second))
    assert first_counts == {("GET", "/healthz", "200"): 1.0}
    assert second_counts == {}
