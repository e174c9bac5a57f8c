"""Probes and version: unauthenticated, and readiness follows the lifespan."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from load_harness.app import create_app
from load_harness.config import Settings
from tests.unit.load_harness.conftest import Harness, HarnessFactory


async def test_healthz_answers_ok_without_a_key(harness_factory: HarnessFactory) -> None:
    async with harness_factory(headers={}) as harness:
        response = await harness.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ready_inside_the_lifespan(harness: Harness) -> None:
    response = await harness.client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


async def test_readyz_is_503_before_startup_and_after_shutdown(
    make_settings: Callable[..., Settings],
) -> None:
    app = create_app(make_settings())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://harness.test") as client:
        before = await client.get("/readyz")
        async with app.router.lifespan_context(app):
            during = await client.get("/readyz")
        after = await client.get("/readyz")
    assert [before.status_code, during.status_code, after.status_code] == [503, 200, 503]
    assert after.json() == {"status": "not ready"}


async def test_version_reports_downward_api_values(harness_factory: HarnessFactory) -> None:
    async with harness_factory(
        app_version="2.4.1", pod_name="load-harness-7d9f-abc12", pod_namespace="demo"
    ) as harness:
        response = await harness.client.get("/version", headers={"X-API-Key": ""})
    assert response.status_code == 200
    assert response.json() == {
        "version": "2.4.1",
        "pod": "load-harness-7d9f-abc12",
        "namespace": "demo",
    }
