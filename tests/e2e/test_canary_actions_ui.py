"""An operator pauses a canary from the browser: the dialog names the canary, the cluster and
the consequence and asks why; the answer arrives as a toast; the page shows the effect live;
devcluster records the patch under the portal's field manager."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.e2e.conftest import LivePortal

pytestmark = pytest.mark.browser


async def test_operator_pauses_a_canary_from_its_page(
    live_portal: LivePortal, artifacts: Path
) -> None:
    page = live_portal.page
    await page.goto(live_portal.base_url + "/canaries/devcluster/shop/web")
    status = page.locator(".status-panel")
    await expect(status.locator(".action-button")).to_have_text(["Promote", "Pause", "Roll back"])
    await status.get_by_role("button", name="Pause").click()
    dialog = page.locator("#action-dialog")
    await expect(dialog).to_be_visible()
    await expect(dialog.locator("h2")).to_have_text("Pause web?")
    await expect(dialog).to_contain_text("Cluster devcluster, namespace shop")
    await expect(dialog).to_contain_text(
        "Flagger stops this canary where it is: 20% of traffic stays on the canary"
    )
    await dialog.locator("textarea").fill("error budget burning, investigating")
    await dialog.get_by_role("button", name="Pause").click()
    await expect(dialog).to_be_hidden()
    await expect(page.locator("#toasts .toast")).to_contain_text(
        "Takes effect at the next analysis tick, within 10s."
    )
    await expect(status.locator(".chip-paused")).to_have_text("paused")
    await expect(status.locator(".action-button")).to_have_text(["Resume", "Roll back"])
    await page.screenshot(path=str(artifacts / "canary-paused.png"), full_page=True)
    canary = live_portal.dc.objects.get(
        "flagger.app/v1beta1", "Canary", name="web", namespace="shop"
    )
    managers = {entry["manager"] for entry in canary["metadata"]["managedFields"]}
    assert canary["spec"]["suspend"] is True
    assert "infra-fleet-portal" in managers
    assert live_portal.problems == []
