"""The fleet pages in a real browser: rows render, and a change in the cluster updates the
open page by itself (SSE + htmx out-of-band swap), under the strict CSP, without console errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.e2e.conftest import LivePortal
from tests.integration.fleet.conftest import PROGRESSING_STATUS
from tests.support import objects
from tests.support.waiting import wait_until

pytestmark = pytest.mark.browser


async def test_canary_table_updates_live_when_the_cluster_changes(
    live_portal: LivePortal, artifacts: Path
) -> None:
    page, dc = live_portal.page, live_portal.dc
    await page.goto(live_portal.base_url + "/canaries")
    rows = page.locator("#canary-rows tr")
    await expect(rows).to_have_count(2)
    web = rows.filter(has_text="web")
    await expect(web.locator(".chip").first).to_have_text("Progressing")
    await expect(web.locator("progress")).to_have_attribute("value", "40")
    await page.wait_for_function("window.htmx !== undefined")
    await expect(page.locator(".live-stream")).to_have_count(1)
    broadcaster = live_portal.app.state.portal.broadcaster
    await wait_until(lambda: broadcaster.clients == 1, what="stream")

    canary = objects.canary("web", "shop", gate_base_url="http://portal.test")
    status = {**PROGRESSING_STATUS, "canaryWeight": 40, "failedChecks": 0}
    dc.objects.put({**canary, "status": status})
    await expect(web.locator("progress")).to_have_attribute("value", "80")
    await expect(web.locator(".progress-label")).to_have_text("40% / 50%")

    dc.objects.put(objects.deployment("search", "shop"))
    dc.objects.put(objects.canary("search", "shop"))
    await expect(rows).to_have_count(3)
    await page.screenshot(path=str(artifacts / "canaries-live.png"), full_page=True)
    assert live_portal.problems == []
