"""Every kind of bad input gets a 4xx naming the problem, and never starts a job."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.unit.load_harness.conftest import Harness, HarnessFactory

VALID_CPU = {"cores": 1, "duration_seconds": 5, "intensity": 5}
VALID_MEMORY = {"megabytes": 8, "duration_seconds": 5}


def with_field(body: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    return body | {field: value}


CPU_CASES = [
    ("cores", 0, "greater_than_equal"),
    ("cores", 17, "less_than_equal"),
    ("cores", "2", "int_type"),
    ("cores", 1.5, "int_type"),
    ("cores", True, "int_type"),
    ("cores", None, "int_type"),
    ("duration_seconds", 0, "greater_than_equal"),
    ("duration_seconds", 901, "less_than_equal"),
    ("duration_seconds", "60", "int_type"),
    ("intensity", 0, "greater_than_equal"),
    ("intensity", 11, "less_than_equal"),
    ("intensity", [5], "int_type"),
]
MEMORY_CASES = [
    ("megabytes", 0, "greater_than_equal"),
    ("megabytes", 65_537, "less_than_equal"),
    ("megabytes", "64", "int_type"),
    ("megabytes", 1.25, "int_type"),
    ("duration_seconds", 0, "greater_than_equal"),
    ("duration_seconds", 901, "less_than_equal"),
    ("duration_seconds", {"s": 1}, "int_type"),
]
WORK_CASES = [
    ("iterations", 0, "greater_than_equal"),
    ("iterations", 10_000_001, "less_than_equal"),
    ("iterations", "100", "int_type"),
    ("iterations", -5, "greater_than_equal"),
]


async def assert_rejected(
    harness: Harness, path: str, body: Any, field: str, error_type: str
) -> None:
    response = await harness.client.post(path, json=body)
    assert response.status_code == 422, response.text
    [error] = response.json()["detail"]
    assert (error["loc"], error["type"]) == (["body", field], error_type)
    jobs = await harness.client.get("/api/v1/jobs")
    assert jobs.json() == []


@pytest.mark.parametrize(("field", "value", "error_type"), CPU_CASES)
async def test_cpu_load_rejects_bad_field(
    harness: Harness, field: str, value: Any, error_type: str
) -> None:
    body = with_field(VALID_CPU, field, value)
    await assert_rejected(harness, "/api/v1/load/cpu", body, field, error_type)


@pytest.mark.parametrize(("field", "value", "error_type"), MEMORY_CASES)
async def test_memory_load_rejects_bad_field(
    harness: Harness, field: str, value: Any, error_type: str
) -> None:
    body = with_field(VALID_MEMORY, field, value)
    await assert_rejected(harness, "/api/v1/load/memory", body, field, error_type)


@pytest.mark.parametrize(("field", "value", "error_type"), WORK_CASES)
async def test_work_rejects_bad_field(
    harness: Harness, field: str, value: Any, error_type: str
) -> None:
    await assert_rejected(harness, "/api/v1/work", {field: value}, field, error_type)


@pytest.mark.parametrize(
    ("path", "body", "missing"),
    [
        ("/api/v1/load/cpu", {"duration_seconds": 5}, "cores"),
        ("/api/v1/load/cpu", {"cores": 1}, "duration_seconds"),
        ("/api/v1/load/memory", {"duration_seconds": 5}, "megabytes"),
        ("/api/v1/load/memory", {"megabytes": 8}, "duration_seconds"),
        ("/api/v1/work", {}, "iterations"),
    ],
)
async def test_missing_field_is_rejected(
    harness: Harness, path: str, body: dict[str, int], missing: str
) -> None:
    await assert_rejected(harness, path, body, missing, "missing")


@pytest.mark.parametrize(
    ("path", "body", "extra"),
    [
        ("/api/v1/load/cpu", VALID_CPU | {"memory": 5}, "memory"),
        ("/api/v1/load/memory", VALID_MEMORY | {"cores": 1}, "cores"),
        ("/api/v1/work", {"iterations": 5, "threads": 2}, "threads"),
    ],
)
async def test_unknown_field_is_rejected(
    harness: Harness, path: str, body: dict[str, int], extra: str
) -> None:
    await assert_rejected(harness, path, body, extra, "extra_forbidden")


@pytest.mark.parametrize("path", ["/api/v1/load/cpu", "/api/v1/load/memory", "/api/v1/work"])
async def test_malformed_json_is_a_400_saying_so(harness: Harness, path: str) -> None:
    response = await harness.client.post(
        path, content=b'{"cores": 1,', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {"detail": "request body is not valid JSON"}


@pytest.mark.parametrize("path", ["/api/v1/load/cpu", "/api/v1/load/memory", "/api/v1/work"])
async def test_form_encoded_body_is_a_400_asking_for_json(harness: Harness, path: str) -> None:
    response = await harness.client.post(path, data={"cores": "1"})
    assert response.status_code == 400
    assert response.json() == {
        "detail": "request body must be a JSON object sent as Content-Type: application/json"
    }


async def test_json_array_body_is_a_400_asking_for_an_object(harness: Harness) -> None:
    response = await harness.client.post("/api/v1/load/cpu", json=[1, 2])
    assert response.status_code == 400
    assert response.json() == {
        "detail": "request body must be a JSON object sent as Content-Type: application/json"
    }


async def test_unknown_job_id_is_404_for_get(harness: Harness) -> None:
    response = await harness.client.get("/api/v1/jobs/0123456789abcdef")
    assert response.status_code == 404
    assert response.json() == {"detail": "job '0123456789abcdef' not found"}


async def test_unknown_job_id_is_404_for_delete(harness: Harness) -> None:
    response = await harness.client.delete("/api/v1/jobs/no-such-job")
    assert response.status_code == 404
    assert response.json() == {"detail": "job 'no-such-job' not found"}


async def test_work_above_the_server_maximum_is_refused_with_the_reason(
    harness_factory: HarnessFactory,
) -> None:
    async with harness_factory(max_work_iterations=1000) as harness:
        response = await harness.client.post("/api/v1/work", json={"iterations": 1001})
    assert response.status_code == 422
    assert response.json() == {"detail": "iterations 1001 exceeds this server's maximum 1000"}


@pytest.mark.parametrize(
    ("body", "field", "error_type"),
    [
        ({"error_rate": 1.01}, "error_rate", "less_than_equal"),
        ({"error_rate": -0.1}, "error_rate", "greater_than_equal"),
        ({"error_rate": "0.5"}, "error_rate", "float_type"),
        ({"latency_ms": 60_001}, "latency_ms", "less_than_equal"),
        ({"latency_ms": -1}, "latency_ms", "greater_than_equal"),
        ({"jitter_ms": 2.5}, "jitter_ms", "int_type"),
        ({"rate": 0.5}, "rate", "extra_forbidden"),
    ],
)
async def test_chaos_settings_reject_bad_field(
    harness: Harness, body: dict[str, Any], field: str, error_type: str
) -> None:
    response = await harness.client.put("/api/v1/admin/chaos", json=body)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["type"]) == (["body", field], error_type)
    current = await harness.client.get("/api/v1/admin/chaos")
    assert current.json() == {"error_rate": 0.0, "latency_ms": 0, "jitter_ms": 0}


@pytest.mark.parametrize("path", ["/api/v1/load/cpu", "/api/v1/work", "/api/v1/admin/chaos"])
async def test_oversized_body_is_a_413_even_without_a_key(
    harness_factory: HarnessFactory, path: str
) -> None:
    body = b'{"iterations": 1, "padding": "' + b"x" * 20_000 + b'"}'
    async with harness_factory(headers={}) as harness:
        response = await harness.client.request(
            "PUT" if "admin" in path else "POST",
            path,
            content=body,
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 413
    assert response.json() == {"detail": "request body exceeds 16384 bytes"}
    assert "content-security-policy" in response.headers


async def test_oversized_streamed_body_without_length_is_a_413(harness: Harness) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"iterations": 1, "padding": "'
        for _ in range(5):
            yield b"x" * 4096
        yield b'"}'

    response = await harness.client.post(
        "/api/v1/work", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "request body exceeds 16384 bytes"}
