"""The `/dora` page and the overview's DORA card render the figures the API gives."""

from __future__ import annotations

import asyncio

from portal.security.roles import Role
from portal.services.sse_subscribers import CloseReason
from tests.integration.dora.test_dora_api import ingest
from tests.support.apps import RunningApp, signed_in


async def test_page_shows_tiles_levels_services_and_the_deployments_behind_them(
    portal: RunningApp,
) -> None:
    async with signed_in(portal, Role.operator) as client:
        await ingest(client)
        params = {"window_days": 7, "until": "2026-11-30T00:00:00Z", "outcome": "failed"}
        page = await client.get("/dora", params=params)
        card = await client.get("/dora/card")
    assert page.status_code == 200
    html = page.text
    assert "not built yet" not in html
    for title in (
        "Deployment frequency",
        "Change lead time",
        "Change failure rate",
        "Failed deployment recovery",
        "Deployment rework rate",
    ):
        assert title in html
    assert (
        '<a href="/dora?window_days=7&amp;until=2026-11-30T00%3A00%3A00%2B00%3A00'
        '&amp;service=checkout&amp;levels_table=2023">checkout</a>'
    ) in html
    assert "50.0%" in html  # change failure rate and rework rate: 1 of 2
    assert "1 failed of 2: 0 caught at ≤50% traffic, 1 reached production" in html
    assert "2h00m" in html  # recovery: the success two hours after the failure
    assert "smoke tests failed" in html  # the failed deployment behind the figure
    assert "1 of 1" in html
    assert "page=dora" in html  # live: the page subscribes to run endings
    assert card.status_code == 200
    assert 'id="dora-card"' in card.text


async def test_page_rejects_bad_filters_with_the_reason(portal: RunningApp) -> None:
    async with signed_in(portal, Role.viewer) as client:
        response = await client.get("/dora", params={"window_days": "0"})
    assert response.status_code == 422
    assert "window_days" in response.text


async def test_a_run_ending_pushes_a_refresh_to_dora_pages(portal: RunningApp) -> None:
    state = portal.app.state.portal
    selection = state.broadcaster.select(page="dora", cluster=None, namespace=None, name=None)
    subscriber = state.broadcaster.subscribe(selection)
    frames: list[str] = []

    async def write(frame: bytes) -> None:
        frames.append(frame.decode())
        if "dora-refresh" in frames[-1]:
            subscriber.close(CloseReason.DISCONNECTED)

    try:
        state.recorder.on_run_ended("prod", "shop", "web")
        async with asyncio.timeout(5):
            assert await subscriber.pump(write) is CloseReason.DISCONNECTED
    finally:
        state.broadcaster.unsubscribe(subscriber)
    assert 'hx-target="#dora-content"' in frames[-1]
