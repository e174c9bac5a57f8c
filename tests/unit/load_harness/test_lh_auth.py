"""The API key guards load, work and admin endpoints; probes and the status page stay open."""

from __future__ import annotations

from typing import Any

import pytest
from structlog.testing import capture_logs

from tests.unit.load_harness.conftest import API_KEY, HarnessFactory

PROTECTED = [
    ("POST", "/api/v1/load/cpu", {"cores": 1, "duration_seconds": 1}),
    ("POST", "/api/v1/load/memory", {"megabytes": 1, "duration_seconds": 1}),
    ("POST", "/api/v1/work", {"iterations": 1}),
    ("GET", "/api/v1/jobs", None),
    ("GET", "/api/v1/jobs/abc", None),
    ("DELETE", "/api/v1/jobs/abc", None),
    ("GET", "/api/v1/admin/chaos", None),
    ("PUT", "/api/v1/admin/chaos", {"error_rate": 1.0}),
]
OPEN = ["/healthz", "/readyz", "/version", "/metrics", "/", "/static/htmx.min.js"]


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED)
async def test_missing_key_is_401(
    harness_factory: HarnessFactory, method: str, path: str, body: Any
) -> None:
    async with harness_factory(headers={}) as harness:
        response = await harness.client.request(method, path, json=body)
        jobs = harness.app.state.harness.jobs.list_jobs()
        chaos = harness.app.state.harness.chaos.config.error_rate
    assert response.status_code == 401
    assert response.json() == {"detail": "missing X-API-Key header"}
    assert (jobs, chaos) == ([], 0.0)


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED)
async def test_wrong_key_is_401(
    harness_factory: HarnessFactory, method: str, path: str, body: Any
) -> None:
    wrong = {"X-API-Key": API_KEY[:-1] + "X"}
    async with harness_factory(headers=wrong) as harness:
        response = await harness.client.request(method, path, json=body)
        jobs = harness.app.state.harness.jobs.list_jobs()
    assert response.status_code == 401
    assert response.json() == {"detail": "invalid API key"}
    assert jobs == []


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/api/v1/work", {"iterations": 1}, 200),
        ("GET", "/api/v1/jobs", None, 200),
        ("GET", "/api/v1/jobs/abc", None, 404),
        ("GET", "/api/v1/admin/chaos", None, 200),
        ("PUT", "/api/v1/admin/chaos", {"latency_ms": 0}, 200),
    ],
)
async def test_right_key_is_let_through(
    harness_factory: HarnessFactory, method: str, path: str, body: Any, status: int
) -> None:
    async with harness_factory() as harness:
        response = await harness.client.request(method, path, json=body)
    assert response.status_code == status


@pytest.mark.parametrize("path", OPEN)
async def test_probes_metrics_and_status_page_need_no_key(
    harness_factory: HarnessFactory, path: str
) -> None:
    async with harness_factory(headers={}) as harness:
        response = await harness.client.get(path)
    assert response.status_code == 200


async def test_auth_disabled_explicitly_opens_the_write_endpoints(
    harness_factory: HarnessFactory,
) -> None:
    async with harness_factory(headers={}, auth="disabled", api_key=None) as harness:
        response = await harness.client.post("/api/v1/work", json={"iterations": 2})
    assert response.status_code == 200


async def test_the_key_is_never_logged(harness_factory: HarnessFactory) -> None:
    with capture_logs() as logs:
        async with harness_factory() as harness:
            await harness.client.post("/api/v1/work", json={"iterations": 1})
            await harness.client.get("/api/v1/jobs", headers={"X-API-Key": "wrong-key-wrong-key"})
    assert [entry["event"] for entry in logs] == [
        "load harness started",
        "load harness stopped; every job stopped",
    ]
    assert API_KEY not in repr(logs)
