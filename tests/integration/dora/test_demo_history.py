"""The demo's GitHub history, replayed over HTTP to a real server as `make run` does, gives the
figures it was built to give."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func, select

from portal.demo_github import demo_deliveries, post_deliveries
from portal.models import GithubDelivery
from portal.security.roles import Role
from tests.integration.dora.conftest import SECRET
from tests.support.apps import RunningApp, signed_in
from tests.support.servers import serve_app
from tests.support.waiting import wait_until

NOW = datetime(2026, 11, 30, 12, 34, tzinfo=UTC)


async def processed(running: RunningApp) -> int:
    async with running.app.state.portal.sessionmaker() as session:
        statement = select(func.count()).where(GithubDelivery.processed_at.is_not(None))  # type: ignore[union-attr]
        return int(await session.scalar(statement) or 0)


async def test_the_demo_history_gives_its_figures(github: RunningApp) -> None:
    deliveries = demo_deliveries(now=NOW)
    assert len(deliveries) == 96  # 3 services x (14 releases + 2 fixes) x (push + deployment)
    async with serve_app(github.app, lifespan="off") as url:

        def replay() -> int:
            with httpx.Client(base_url=url, timeout=10) as client:
                return post_deliveries(client, deliveries, secret=SECRET)

        assert await asyncio.to_thread(replay) == 96
        assert await asyncio.to_thread(replay) == 96  # a restart within the hour: duplicates

    async def all_processed() -> bool:
        return await processed(github) == 96

    await wait_until(all_processed, within=30, what="every delivery processed")
    until = NOW.replace(minute=0) + timedelta(seconds=1)
    async with signed_in(github, Role.viewer) as client:
        params = {"window_days": 28, "until": until.isoformat()}
        body = (await client.get("/api/v1/dora", params=params)).json()
    assert body["deployment_frequency"]["successful"] == 42
    assert body["change_failure_rate"] == {
        "rate": 0.125,
        "failed": 6,
        "total": 48,
        "level": "medium",
        "split": {  # GitHub deployments have no canary: every failure reached production
            "caught_max_weight": 50,
            "caught": {"count": 0, "max_weight": None, "exposure_weight_seconds": None},
            "reached_production": {"count": 6, "exposure_weight_seconds": None},
        },
    }
    assert body["recovery_time"] == {"median_seconds": 7200.0, "recoveries": 6, "level": "high"}
    assert body["rework_rate"] == {"rate": 0.125, "unplanned": 6, "total": 48}
    assert body["lead_time"]["changes"] == 87
