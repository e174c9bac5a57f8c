"""A running portal watching a real devcluster, with Cost Explorer and EC2 on a moto server: the
refresh reads the spot price of the watched spot nodes' (type, zone) once, the burn rate uses it
and says so, a pair without a price falls back to the discount, and views call nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from devcluster.harness import DevCluster, serve_devcluster
from devcluster.scenarios import DemoNode, node_object
from portal.config import Settings
from portal.security.roles import Role
from tests.integration.costs.figures import daily_answer, month_answer
from tests.integration.costs.test_costs_api import _store_old_snapshot as store_old_snapshot
from tests.support.apps import RunningApp, running_app, signed_in
from tests.support.moto_server import MotoServer

DEADLINE_SECONDS = 20.0


@pytest.fixture
async def watched(
    database_url: str, moto: MotoServer
) -> AsyncIterator[tuple[DevCluster, RunningApp]]:
    moto.queue_cost_and_usage([month_answer(), daily_answer()])
    async with serve_devcluster(scenario="empty", simulate=False) as dc:
        dc.objects.put(
            node_object(node=DemoNode("a", "m5.xlarge", "ON_DEMAND", "us-east-1a", 4, 16))
        )
        dc.objects.put(node_object(node=DemoNode("b", "t3.large", "SPOT", "us-east-1b", 2, 8)))
        # moto offers no t3.large in us-east-1e: no spot price, the discount stands in
        dc.objects.put(node_object(node=DemoNode("c", "t3.large", "SPOT", "us-east-1e", 2, 8)))
        settings = Settings(
            database_url=database_url,
            kubeconfig=dc.kubeconfig,
            log_format="console",
            aws_region="us-east-1",
            aws_endpoint_url=moto.url,
            cost_spot_discount=0.5,
        )
        async with running_app(settings) as running:
            yield dc, running


async def refreshed(running: RunningApp) -> dict[str, Any]:
    """Poll (bounded) until the first refresh has read spot prices."""
    async with signed_in(running, Role.viewer) as viewer:
        async with asyncio.timeout(DEADLINE_SECONDS):
            while True:
                body: dict[str, Any] = (await viewer.get("/api/v1/costs")).json()
                if body["spot_prices"]["fetched_at"] or body["spot_prices"]["error"]:
                    return body
                await asyncio.sleep(0.05)


async def test_spot_nodes_at_their_history_price_and_views_call_nothing(
    watched: tuple[DevCluster, RunningApp], moto: MotoServer
) -> None:
    _, running = watched
    body = await refreshed(running)
    assert (body["spot_prices"]["error"], body["spot_prices"]["prices"]) == (None, 1)
    [cluster] = body["clusters"]
    assert [(n["name"], n["usd_per_hour"], n["price_source"]) for n in cluster["nodes"]] == [
        ("a", 0.192, "on_demand_table"),
        ("b", 0.0, "spot_price_history"),  # moto's USD 0.00001, rounded to 4 places
        ("c", 0.0416, "spot_discount"),  # t3.large us-east-1 0.0832 x (1 - 0.5)
    ]
    assert cluster["spot_price_source"] == "mixed"
    # 0.192 + 0.00001 + 0.0416 + control plane 0.10
    assert cluster["usd_per_hour"] == 0.3336
    assert moto.calls == {"GetCostAndUsage": 2, "GetCostForecast": 1, "DescribeSpotPriceHistory": 1}

    async with signed_in(running, Role.viewer) as viewer:
        for _ in range(5):
            assert (await viewer.get("/api/v1/costs")).status_code == 200
            page = await viewer.get("/costs")
            assert page.status_code == 200
            assert (await viewer.get("/costs/card")).status_code == 200
    assert "spot price history" in page.text
    assert moto.aws_calls() == 4


async def test_a_restart_reads_spot_prices_without_a_cost_explorer_refresh(
    database_url: str, moto: MotoServer
) -> None:
    """A fresh snapshot in the database: no Cost Explorer request is due, the spot price is
    read once all the same."""
    await store_old_snapshot(database_url, hours_ago=1)
    async with serve_devcluster(scenario="empty", simulate=False) as dc:
        dc.objects.put(node_object(node=DemoNode("b", "t3.large", "SPOT", "us-east-1b", 2, 8)))
        settings = Settings(
            database_url=database_url,
            kubeconfig=dc.kubeconfig,
            log_format="console",
            aws_region="us-east-1",
            aws_endpoint_url=moto.url,
        )
        async with running_app(settings) as running:
            body = await refreshed(running)
    [cluster] = body["clusters"]
    assert [(n["name"], n["price_source"]) for n in cluster["nodes"]] == [
        ("b", "spot_price_history")
    ]
    assert cluster["spot_price_source"] == "spot_price_history"
    assert moto.calls == {"DescribeSpotPriceHistory": 1}


async def test_the_demo_prices_spot_nodes_with_the_discount_and_reads_no_spot_price(
    database_url: str, moto: MotoServer
) -> None:
    """moto's spot prices are a placeholder (USD 0.00001): `portal demo` (PORTAL_COST_DEMO)
    never asks for them."""
    moto.queue_cost_and_usage([month_answer(), daily_answer()])
    async with serve_devcluster(scenario="empty", simulate=False) as dc:
        dc.objects.put(node_object(node=DemoNode("b", "t3.large", "SPOT", "us-east-1b", 2, 8)))
        settings = Settings(
            database_url=database_url,
            kubeconfig=dc.kubeconfig,
            log_format="console",
            aws_region="us-east-1",
            aws_endpoint_url=moto.url,
            cost_spot_discount=0.5,
            cost_demo=True,
        )
        async with running_app(settings) as running, signed_in(running, Role.viewer) as viewer:
            async with asyncio.timeout(DEADLINE_SECONDS):
                while True:
                    body = (await viewer.get("/api/v1/costs")).json()
                    if body["fetched_at"]:
                        break
                    await asyncio.sleep(0.05)
    [cluster] = body["clusters"]
    assert [(n["name"], n["usd_per_hour"], n["price_source"]) for n in cluster["nodes"]] == [
        ("b", 0.0416, "spot_discount")  # t3.large us-east-1 0.0832 x (1 - 0.5)
    ]
    assert (cluster["spot_price_source"], body["spot_prices"]["fetched_at"]) == (
        "spot_discount",
        None,
    )
    assert moto.calls == {"GetCostAndUsage": 2, "GetCostForecast": 1}
