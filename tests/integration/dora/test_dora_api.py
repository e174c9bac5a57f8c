"""`/api/v1/dora`: ingest from any CI (operator), the metrics and the deployments behind them."""

from __future__ import annotations

from typing import Any

import httpx

from portal.config import Settings
from portal.security.roles import Role
from tests.support.apps import RunningApp, running_app, signed_in

UNTIL = "2026-11-30T00:00:00Z"
DEPLOYMENTS = [
    {
        "service": "checkout",
        "environment": "production",
        "cluster": "prod",
        "namespace": "shop",
        "revision": "v1",
        "commit_sha": "aaaa1111",
        "started_at": "2026-11-24T09:50:00Z",
        "finished_at": "2026-11-24T10:00:00Z",
        "outcome": "failed",
        "failure_cause": "smoke tests failed",
    },
    {
        "service": "checkout",
        "environment": "production",
        "cluster": "prod",
        "namespace": "shop",
        "revision": "v2",
        "commit_sha": "bbbb2222",
        "started_at": "2026-11-24T11:50:00Z",
        "finished_at": "2026-11-24T12:00:00Z",
        "outcome": "success",
    },
]
CHANGES = [
    {
        "repo": "org/checkout",
        "sha": "cccc0001",
        "committed_at": "2026-11-24T08:00:00Z",
        "deployment_commit_sha": "bbbb2222",
    },
    {
        "repo": "org/checkout",
        "sha": "bbbb2222",
        "committed_at": "2026-11-24T11:00:00Z",
        "deployment_commit_sha": "bbbb2222",
    },
]


async def ingest(client: httpx.AsyncClient) -> list[int]:
    ids = []
    for kind, bodies in (
        ("changes", CHANGES[:1]),
        ("deployments", DEPLOYMENTS),
        ("changes", CHANGES[1:]),
    ):
        for body in bodies:
            response = await client.post(f"/api/v1/dora/{kind}", json=body)
            assert response.status_code == 200, response.text
            ids.append(response.json()["id"])
    return ids


async def test_ci_ingest_gives_exact_metrics(portal: RunningApp) -> None:
    async with signed_in(portal, Role.operator) as client:
        first = await ingest(client)
        assert await ingest(client) == first  # a CI retry: same rows
        response = await client.get(
            "/api/v1/dora", params={"window_days": 7, "until": UNTIL, "service": "checkout"}
        )
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    assert body["window"] == {
        "start": "2026-11-23T00:00:00Z",
        "end": "2026-11-30T00:00:00Z",
        "days": 7.0,
    }
    assert body["filters"] == {
        "service": "checkout",
        "namespace": None,
        "cluster": None,
        "environment": None,
    }
    assert body["deployment_frequency"] == {
        "per_day": 1 / 7,
        "deployment_days_per_week": 1.0,
        "successful": 1,
        "level": "high",
    }
    # 12:00 - 08:00 and 12:00 - 11:00: median 9000 s, p90 13320 s
    assert body["lead_time"] == {
        "median_seconds": 9000.0,
        "p90_seconds": 13320.0,
        "changes": 2,
        "level": "elite",
    }
    assert body["change_failure_rate"] == {
        "rate": 0.5,
        "failed": 1,
        "total": 2,
        "level": "low",
        "split": {  # an ingested failure has no canary weight: it reached production
            "caught_max_weight": 50,
            "caught": {"count": 0, "max_weight": None, "exposure_weight_seconds": None},
            "reached_production": {"count": 1, "exposure_weight_seconds": None},
        },
    }
    assert body["recovery_time"] == {"median_seconds": 7200.0, "recoveries": 1, "level": "high"}
    assert body["rework_rate"] == {"rate": 0.5, "unplanned": 1, "total": 2}
    assert body["levels_table"] == "2023"
    assert [week["deployments"] for week in body["trend"]] == [2]
    assert body["canary_failures"] == {
        "caught": 0,
        "caught_peak_weight": None,
        "caught_exposure_weight_seconds": None,
        "reached_production": 1,
    }


async def test_the_deployments_behind_a_figure_page_newest_first(portal: RunningApp) -> None:
    async with signed_in(portal, Role.operator) as client:
        await ingest(client)
        params = {"window_days": 7, "until": UNTIL, "limit": 1}
        first = (await client.get("/api/v1/dora/deployments", params=params)).json()
        failed = (
            await client.get("/api/v1/dora/deployments", params=params | {"outcome": "failed"})
        ).json()
    assert (first["total"], [item["revision"] for item in first["items"]]) == (2, ["v2"])
    assert (failed["total"], failed["items"][0]["failure_cause"]) == (1, "smoke tests failed")


async def test_an_empty_window_is_null_not_zero(portal: RunningApp) -> None:
    async with signed_in(portal, Role.viewer) as client:
        body = (await client.get("/api/v1/dora", params={"until": UNTIL})).json()
    assert body["deployment_frequency"] == {
        "per_day": None,
        "deployment_days_per_week": None,
        "successful": 0,
        "level": None,
    }
    assert body["lead_time"]["median_seconds"] is None
    assert body["change_failure_rate"]["rate"] is None
    assert len(body["trend"]) == 5  # 30 days: four full weeks and two days


async def test_ingest_needs_an_operator(portal: RunningApp) -> None:
    anonymous_read = await portal.client.get("/api/v1/dora")
    anonymous = await portal.client.post("/api/v1/dora/deployments", json=DEPLOYMENTS[0])
    async with signed_in(portal, Role.viewer) as client:
        viewer = await client.post("/api/v1/dora/deployments", json=DEPLOYMENTS[0])
    assert anonymous_read.status_code == 401
    assert (anonymous.status_code, viewer.status_code) == (403, 403)  # no CSRF token; no role


async def test_bad_input_is_422_naming_the_field(portal: RunningApp) -> None:
    cases = [
        ("deployments", DEPLOYMENTS[0] | {"finished_at": "2026-11-24T10:00:00"}, "finished_at"),
        ("deployments", DEPLOYMENTS[0] | {"outcome": "maybe"}, "outcome"),
        ("deployments", DEPLOYMENTS[0] | {"started_at": "2026-11-25T00:00:00Z"}, "before"),
        ("changes", CHANGES[0] | {"sha": "x; drop"}, "sha"),
        ("incidents", {"service": "checkout"}, "opened_at"),
        ("deployments", DEPLOYMENTS[0] | {"author": "someone"}, "author"),
    ]
    async with signed_in(portal, Role.operator) as client:
        for kind, body, field in cases:
            response = await client.post(f"/api/v1/dora/{kind}", json=body)
            assert response.status_code == 422, (kind, body)
            assert field in response.text
        assert (await client.get("/api/v1/dora", params={"window_days": 0})).status_code == 422
        listed = await client.get("/api/v1/dora/deployments", params={"until": UNTIL})
    assert listed.json()["total"] == 0  # nothing half-written


async def test_an_incident_names_the_deployment_that_caused_it(portal: RunningApp) -> None:
    async with signed_in(portal, Role.operator) as client:
        await ingest(client)
        incident = {
            "service": "checkout",
            "opened_at": "2026-11-25T00:00:00Z",
            "resolved_at": "2026-11-25T00:30:00Z",
            "deployment_commit_sha": "bbbb2222",
        }
        assert (await client.post("/api/v1/dora/incidents", json=incident)).status_code == 200
        body = (await client.get("/api/v1/dora", params={"window_days": 7, "until": UNTIL})).json()
    assert body["change_failure_rate"] == {
        "rate": 1.0,
        "failed": 2,
        "total": 2,
        "level": "low",
        "split": {  # the failure and the success that caused an incident both reached users
            "caught_max_weight": 50,
            "caught": {"count": 0, "max_weight": None, "exposure_weight_seconds": None},
            "reached_production": {"count": 2, "exposure_weight_seconds": None},
        },
    }
    assert body["recovery_time"] == {"median_seconds": 4500.0, "recoveries": 2, "level": "high"}


async def test_the_caught_weight_comes_from_the_setting(database_url: str) -> None:
    settings = Settings(database_url=database_url, log_format="console", dora_caught_max_weight=5)
    async with running_app(settings) as running, signed_in(running, Role.operator) as client:
        await ingest(client)
        body = (await client.get("/api/v1/dora", params={"window_days": 7, "until": UNTIL})).json()
        page = await client.get("/dora", params={"window_days": 7, "until": UNTIL})
    assert body["change_failure_rate"]["split"]["caught_max_weight"] == 5
    assert "1 failed of 2: 0 caught at ≤5% traffic, 1 reached production" in page.text
