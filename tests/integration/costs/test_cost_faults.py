"""Cost Explorer misbehaving (a moto server answering ThrottlingException, AccessDenied, or not
answering at all): the refresh keeps the last good snapshot, marked stale with the reason; the
next attempt backs off (doubling); and the rest of the portal answers meanwhile."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from portal.aws.cost_explorer import open_cost_explorer
from portal.config import Settings
from portal.db import SessionMaker, create_engine, create_sessionmaker
from portal.domain.cost_requests import CostScope
from portal.models.costs import CostSnapshot
from portal.security.roles import Role
from portal.services.cost_refresh import CostRefresher, cost_state
from tests.integration.costs.figures import daily_answer, month_answer
from tests.support.apps import running_app, signed_in
from tests.support.moto_server import MotoServer
from tests.support.waiting import wait_until

FIRST_BACKOFF = 0.25
THROTTLED = "throttled (ThrottlingException): Rate exceeded"


@pytest.fixture
async def sessionmaker(database_url: str) -> AsyncIterator[SessionMaker]:
    engine = create_engine(database_url)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


async def refresher_for(
    stack: Any, sessionmaker: SessionMaker, moto: MotoServer, **extra: Any
) -> CostRefresher:
    explorer = await stack.enter_async_context(
        open_cost_explorer(region="us-east-1", endpoint_url=moto.url, timeout_seconds=5)
    )
    return CostRefresher(
        sessionmaker=sessionmaker,
        explorer=explorer,
        scope=CostScope(),
        interval_seconds=3600,
        manual_interval_seconds=600,
        first_backoff_seconds=FIRST_BACKOFF,
        **extra,
    )


async def test_throttling_backs_off_doubling_keeps_the_last_snapshot_and_recovers(
    sessionmaker: SessionMaker, moto: MotoServer
) -> None:
    moto.queue_cost_and_usage([month_answer(), daily_answer()])
    async with AsyncExitStack() as stack:
        two_hours_ago = datetime.now(UTC) - timedelta(hours=2)
        old = await refresher_for(stack, sessionmaker, moto, clock=lambda: two_hours_ago)
        assert (await old.refresh(trigger="schedule")).ok  # the last good snapshot: now due
        moto.fail(
            "GetCostAndUsage", status=400, code="ThrottlingException", message="Rate exceeded"
        )
        refresher = await refresher_for(stack, sessionmaker, moto)
        loop = asyncio.create_task(refresher.run(), name="cost-refresh")
        try:
            await wait_until(
                lambda: len(moto.logged("GetCostAndUsage")) >= 2 + 4,
                within=20,
                what="four throttled attempts",
            )
            during = await cost_state(sessionmaker, now=datetime.now(UTC))
            moto.heal("GetCostAndUsage")

            async def fresh_again() -> bool:
                state = await cost_state(sessionmaker, now=datetime.now(UTC))
                return not state.stale and state.fetched_at != during.fetched_at

            await wait_until(fresh_again, within=20, what="a good refresh after the throttling")
        finally:
            loop.cancel()
            await asyncio.gather(loop, return_exceptions=True)
    attempts = moto.logged("GetCostAndUsage")[2:]
    assert [entry.outcome for entry in attempts[:4]] == ["fault:ThrottlingException"] * 4
    started = await attempt_times(sessionmaker)  # each attempt's start, as stored
    assert [ok for _, ok in started[:6]] == [True, False, False, False, False, True]
    gaps = [
        (later - earlier).total_seconds()
        for (earlier, _), (later, _) in itertools.pairwise(started[1:6])
    ]
    expected = [FIRST_BACKOFF * 2**n for n in range(4)]  # 0.25, 0.5, 1, 2 s
    assert all(want <= gap < want + 2.0 for gap, want in zip(gaps, expected, strict=True)), gaps
    print(f"throttled attempts {[round(g, 3) for g in gaps]} s apart")
    assert (during.stale, during.error) == (True, THROTTLED)
    assert during.report is not None
    assert str(during.report.month.amount) == "94.50"
    assert during.fetched_at is not None
    assert abs((during.fetched_at - two_hours_ago).total_seconds()) < 1


async def attempt_times(sessionmaker: SessionMaker) -> list[tuple[datetime, bool]]:
    async with sessionmaker() as session:
        rows = await session.exec(select(CostSnapshot).order_by(col(CostSnapshot.fetched_at)))
        return [(row.fetched_at, row.ok) for row in rows]


@pytest.fixture
def cost_settings(database_url: str, moto: MotoServer) -> Settings:
    return Settings(
        database_url=database_url,
        log_format="console",
        aws_region="us-east-1",
        aws_endpoint_url=moto.url,
        cost_timeout_seconds=2,
    )


async def timed_get(client: httpx.AsyncClient, path: str) -> tuple[int, float]:
    started = time.monotonic()
    response = await client.get(path)
    return response.status_code, time.monotonic() - started


async def test_a_stalled_cost_explorer_times_out_while_the_rest_of_the_portal_answers(
    cost_settings: Settings, moto: MotoServer
) -> None:
    moto.stall("GetCostAndUsage")
    async with running_app(cost_settings) as running, signed_in(running, Role.viewer) as viewer:
        await wait_until(
            lambda: [e.outcome for e in moto.logged("GetCostAndUsage")] == ["stalled"],
            what="the refresh's first request stalled",
        )
        meanwhile = [
            await timed_get(viewer, path)
            for path in ("/healthz", "/readyz", "/api/v1/canaries", "/api/v1/costs", "/costs")
        ]

        async def failed() -> bool:
            return (await viewer.get("/api/v1/costs")).json()["error"] is not None

        await wait_until(failed, within=15, what="the stalled refresh to time out")
        body = (await viewer.get("/api/v1/costs")).json()
        page = await viewer.get("/costs")
        moto.release_stalls()
    print(f"answers while Cost Explorer hangs: {[round(t * 1000) for _, t in meanwhile]} ms")
    assert [status for status, _ in meanwhile] == [200, 200, 200, 200, 200]
    assert max(seconds for _, seconds in meanwhile) < 1.0, meanwhile
    assert body["stale"] is True
    assert body["error"].startswith(
        'ReadTimeoutError: Read timeout on endpoint URL: "http://127.0.0.1'
    )
    assert page.status_code == 200
    assert "Read timeout on endpoint URL" in page.text


async def test_access_denied_shows_on_the_page_beside_the_last_figures(
    cost_settings: Settings, moto: MotoServer
) -> None:
    moto.queue_cost_and_usage([month_answer(), daily_answer()])
    async with running_app(cost_settings) as running, signed_in(running, Role.viewer) as viewer:
        refresher = running.app.state.portal.cost_refresher

        async def first() -> bool:
            return (await viewer.get("/api/v1/costs")).json()["fetched_at"] is not None

        await wait_until(first, what="the first refresh")
        moto.fail("GetCostAndUsage", status=400, code="AccessDeniedException", message="no ce:Get*")
        failed = await refresher.refresh(trigger="schedule")
        body = (await viewer.get("/api/v1/costs")).json()
        page = await viewer.get("/costs")
    assert (failed.ok, failed.requests) == (False, 1)
    assert (body["stale"], body["error"]) == (
        True,
        "access denied (AccessDeniedException): no ce:Get*",
    )
    assert body["month_to_date"]["amount"] == 94.5
    assert page.status_code == 200
    assert "access denied (AccessDeniedException): no ce:Get*" in page.text
