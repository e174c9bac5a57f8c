"""/api/v1/costs and the refresher in a running portal, against a moto server and both databases:
figures stored as snapshots, views that make no AWS call, failures that keep the last snapshot,
and an admin's refresh that is rate-limited and audited."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from portal.config import Settings
from portal.db import create_engine, create_sessionmaker
from portal.models.costs import CostSnapshot
from portal.security.roles import Role
from tests.integration.costs.figures import daily_answer, month_answer
from tests.support.apps import RunningApp, running_app, signed_in
from tests.support.moto_server import MotoServer

DEADLINE_SECONDS = 10.0


@pytest.fixture
def cost_settings(database_url: str, moto: MotoServer) -> Settings:
    return Settings(
        database_url=database_url,
        log_format="console",
        aws_region="us-east-1",
        aws_endpoint_url=moto.url,
    )


async def costs_of(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/api/v1/costs")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def first_snapshot(running: RunningApp) -> dict[str, Any]:
    """Poll (bounded) until the refresher has written its first snapshot."""
    async with signed_in(running, Role.viewer) as viewer:
        async with asyncio.timeout(DEADLINE_SECONDS):
            while True:
                body = await costs_of(viewer)
                if body["fetched_at"] is not None or body["error"] is not None:
                    return body
                await asyncio.sleep(0.05)


@pytest.fixture
async def costs_portal(cost_settings: Settings, moto: MotoServer) -> AsyncIterator[RunningApp]:
    moto.queue_cost_and_usage([month_answer(), daily_answer()])
    async with running_app(cost_settings) as running:
        yield running


async def test_the_first_refresh_is_stored_and_views_make_no_aws_call(
    costs_portal: RunningApp, moto: MotoServer
) -> None:
    body = await first_snapshot(costs_portal)
    assert body["month_to_date"] == {"amount": 94.5, "currency": "USD", "estimated": True}
    assert body["by_service"] == [
        {"service": "Amazon Elastic Compute Cloud - Compute", "amount": 61.25},
        {"service": "Amazon Elastic Container Service for Kubernetes", "amount": 24.0},
        {"service": "Amazon Virtual Private Cloud", "amount": 9.25},
    ]
    assert [d["amount"] for d in body["daily"]] == [8, 12, 10, 10, 10, 10, 10, 10, 10, 4.5]
    assert body["daily"][0] == {"date": "2026-12-01", "amount": 8.0, "estimated": True}
    assert body["forecast"]["method"] == "projection"  # moto has no GetCostForecast
    assert body["ce_requests"]["count"] == 3
    assert body["ce_requests"]["usd"] == 0.03
    assert (body["stale"], body["error"], body["demo"]) == (False, None, False)
    assert moto.calls == {"GetCostAndUsage": 2, "GetCostForecast": 1}

    async with signed_in(costs_portal, Role.viewer) as viewer:
        for _ in range(5):
            await costs_of(viewer)
            assert (await viewer.get("/costs")).status_code == 200
    assert moto.aws_calls() == 3


async def test_a_failed_refresh_keeps_the_last_snapshot_and_says_why(
    costs_portal: RunningApp, moto: MotoServer
) -> None:
    await first_snapshot(costs_portal)
    moto.fail("GetCostAndUsage", status=400, code="AccessDeniedException", message="no ce")
    refresher = costs_portal.app.state.portal.cost_refresher
    failed = await refresher.refresh(trigger="schedule")
    assert (failed.ok, failed.requests) == (False, 1)

    async with signed_in(costs_portal, Role.viewer) as viewer:
        body = await costs_of(viewer)
    assert body["stale"] is True
    assert body["error"] == "access denied (AccessDeniedException): no ce"
    assert body["month_to_date"]["amount"] == 94.5
    assert body["ce_requests"]["count"] == 4


async def test_without_credentials_the_page_says_so(
    cost_settings: Settings, moto: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    async with running_app(cost_settings) as running:
        body = await first_snapshot(running)
        async with signed_in(running, Role.viewer) as viewer:
            page = await viewer.get("/costs")
    assert body["error"] == "no AWS credentials: Unable to locate credentials"
    assert (body["stale"], body["month_to_date"], body["ce_requests"]["count"]) == (True, None, 0)
    assert page.status_code == 200
    assert "Unable to locate credentials" in page.text
    assert moto.aws_calls() == 0


async def _store_old_snapshot(database_url: str, *, hours_ago: float) -> None:
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            session.add(
                CostSnapshot(
                    fetched_at=datetime.now(UTC) - timedelta(hours=hours_ago),
                    trigger="schedule",
                    requests=3,
                    ok=True,
                    report=json.dumps(
                        {
                            "today": "2026-11-30",
                            "metric": "UnblendedCost",
                            "currency": "USD",
                            "month_to_date": "1.5",
                            "estimated": True,
                            "by_service": [["Amazon Elastic Compute Cloud - Compute", "1.5"]],
                            "daily": [["2026-11-30", "1.5", True]],
                            "forecast": None,
                        }
                    ),
                )
            )
            await session.commit()
    finally:
        await engine.dispose()


async def test_an_admin_refresh_is_rate_limited_and_audited(
    cost_settings: Settings, database_url: str, moto: MotoServer
) -> None:
    await _store_old_snapshot(database_url, hours_ago=1)
    moto.queue_cost_and_usage([month_answer(), daily_answer()])
    async with running_app(cost_settings) as running:
        async with signed_in(running, Role.viewer) as viewer:
            before = await costs_of(viewer)
            denied = await viewer.post("/api/v1/costs/refresh")
        assert before["month_to_date"]["amount"] == 1.5  # not due yet: no refresh at start
        assert denied.status_code == 403
        assert moto.aws_calls() == 0
        async with signed_in(running, Role.admin) as admin:
            done = await admin.post("/api/v1/costs/refresh")
            again = await admin.post("/api/v1/costs/refresh")
            after = await costs_of(admin)
            audit = (await admin.get("/api/v1/audit", params={"action": "cost-refresh"})).json()
    assert done.status_code == 200, done.text
    assert (done.json()["ok"], done.json()["requests"], done.json()["error"]) == (True, 3, None)
    assert again.status_code == 429
    retry_after = int(again.headers["Retry-After"])
    assert 595 <= retry_after <= 600
    assert after["month_to_date"]["amount"] == 94.5
    assert after["ce_requests"]["count"] == 6
    assert moto.aws_calls() == 3
    assert [(a["outcome"], a["role"]) for a in audit] == [
        ("rejected", "admin"),
        ("applied", "admin"),
    ]


async def test_without_a_region_there_is_no_cost_explorer(settings: Settings) -> None:
    async with running_app(settings) as running, signed_in(running, Role.admin) as admin:
        body = await costs_of(admin)
        refresh = await admin.post("/api/v1/costs/refresh")
    assert (body["cost_explorer_configured"], body["month_to_date"], body["fetched_at"]) == (
        False,
        None,
        None,
    )
    assert refresh.status_code == 409
    assert refresh.json()["detail"] == "Cost Explorer is not configured: set PORTAL_AWS_REGION"


async def test_the_page_form_refreshes_and_shows_the_figures(
    cost_settings: Settings, database_url: str, moto: MotoServer
) -> None:
    await _store_old_snapshot(database_url, hours_ago=1)
    moto.queue_cost_and_usage([month_answer(), daily_answer()])
    async with running_app(cost_settings) as running, signed_in(running, Role.admin) as admin:
        before = await admin.get("/costs")
        posted = await admin.post("/costs/refresh")
        after = await admin.get("/costs")
    assert 'id="costs-refresh-form"' in before.text
    assert ">1.50 USD<" in before.text
    assert (posted.status_code, posted.headers["location"]) == (303, "/costs")
    assert ">94.50 USD<" in after.text
    assert "Portal projection" in after.text
    assert moto.aws_calls() == 3


async def test_the_overview_card_shows_the_month_and_the_burn_rate(
    costs_portal: RunningApp, moto: MotoServer
) -> None:
    await first_snapshot(costs_portal)
    async with signed_in(costs_portal, Role.viewer) as viewer:
        overview = await viewer.get("/")
        card = await viewer.get("/costs/card")
    assert "/costs/card" in overview.text
    assert card.status_code == 200
    assert "94.50 USD" in card.text
    assert "portal projection" in card.text
    assert "0.0000 USD/hour across 0 cluster(s)" in card.text
    assert moto.aws_calls() == 3


async def test_two_admins_refreshing_at_once_spend_once(
    cost_settings: Settings, database_url: str, moto: MotoServer
) -> None:
    await _store_old_snapshot(database_url, hours_ago=1)
    moto.queue_cost_and_usage([month_answer(), daily_answer()])
    async with (
        running_app(cost_settings) as running,
        signed_in(running, Role.admin) as first,
        signed_in(running, Role.admin) as second,
    ):
        answers = await asyncio.gather(
            first.post("/api/v1/costs/refresh"), second.post("/api/v1/costs/refresh")
        )
    assert sorted(a.status_code for a in answers) == [200, 429]
    assert moto.aws_calls() == 3
