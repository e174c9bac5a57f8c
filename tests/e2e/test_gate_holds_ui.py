"""The canary page says why a portal gate holds the run, which Flagger's own events never
carry (its `Halt ...` events name only the hook; scheduler_hooks.go at v1.44.0)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from devcluster.harness import serve_devcluster
from devcluster.simulation.hashing import run_checksum
from portal.app import create_app
from portal.config import Settings
from tests.integration.fleet.conftest import PROGRESSING_STATUS, seed
from tests.support.flagger_callers import FLAGGER_TOKEN, flagger_tokens
from tests.support.servers import free_port, serve_app
from tests.support.waiting import wait_until

pytestmark = pytest.mark.browser

WAITING_PROMOTION: dict[str, Any] = PROGRESSING_STATUS | {
    "phase": "WaitingPromotion",
    "canaryWeight": 0,
    "iterations": -1,
}


@pytest.fixture
async def held_page(browser: Browser, database_url: str) -> AsyncIterator[tuple[Page, str]]:
    async with serve_devcluster(scenario="empty", simulate=False) as dc:
        seed(dc)
        canary = dc.objects.get("flagger.app/v1beta1", "Canary", name="web", namespace="shop")
        dc.objects.put({**canary, "status": WAITING_PROMOTION})
        settings = Settings(
            database_url=database_url,
            kubeconfig=dc.kubeconfig,
            auth_mode="local",
            port=free_port(),
            flagger_tokens=flagger_tokens(),
            log_format="console",
        )
        app = create_app(settings)
        async with serve_app(app) as base_url:
            view = app.state.portal.view

            def waiting_promotion() -> bool:
                obj = view.get("canaries", cluster="devcluster", namespace="shop", name="web")
                return (obj or {}).get("status", {}).get("phase") == "WaitingPromotion"

            await wait_until(waiting_promotion, what="the portal's view of the held canary")
            page = await browser.new_page()
            try:
                yield page, base_url
            finally:
                await page.close()


async def test_the_canary_page_says_why_the_promotion_gate_holds(
    held_page: tuple[Page, str], artifacts: Path
) -> None:
    page, base_url = held_page
    checksum = run_checksum(
        last_applied_spec=WAITING_PROMOTION["lastAppliedSpec"], tracked_configs=None
    )
    payload = {
        "name": "web",
        "namespace": "shop",
        "phase": "WaitingPromotion",
        "checksum": checksum,
        "metadata": {"token": FLAGGER_TOKEN, "policy": "closed"},
    }
    async with httpx.AsyncClient(base_url=base_url) as flagger:
        answer = await flagger.post("/flagger/gates/confirm-promotion", json=payload)
    assert answer.status_code == 403
    await page.goto(base_url + "/canaries/devcluster/shop/web")
    holds = page.locator("#canary-gate-holds")
    await expect(holds.locator("h2")).to_have_text("Why the run is held")
    hold = holds.locator("li[data-gate='confirm-promotion']")
    await expect(hold.locator(".hold-reason")).to_have_text(answer.text.strip())
    await expect(hold).to_contain_text("held since 20")
    await expect(hold).to_contain_text("Flagger last asked 20")
    await page.screenshot(path=str(artifacts / "canary-gate-hold.png"), full_page=True)
