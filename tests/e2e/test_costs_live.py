"""The /costs page in a real browser: a node joining the cluster updates the burn rate on the
open page by itself (SSE + htmx refetch of the live part), under the strict CSP, without
console errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import expect

from devcluster.scenarios import DemoNode, node_object
from tests.e2e.conftest import LivePortal
from tests.support.waiting import wait_until

pytestmark = pytest.mark.browser


async def test_burn_rate_updates_live_when_a_node_joins(
    live_portal: LivePortal, artifacts: Path
) -> None:
    page, dc = live_portal.page, live_portal.dc
    await page.goto(live_portal.base_url + "/costs")
    burn = page.locator('#costs-burn tr[data-cluster="devcluster"]')
    # no node yet: the EKS control plane alone
    await expect(burn.locator(".usd-per-hour")).to_have_text("0.1000")
    await page.wait_for_function("window.htmx !== undefined")
    broadcaster = live_portal.app.state.portal.broadcaster
    await wait_until(lambda: broadcaster.clients == 1, what="stream")

    # us-east-1 is the price region without PORTAL_AWS_REGION or a region label: 0.192 an hour
    node = node_object(node=DemoNode("n1", "m5.xlarge", "ON_DEMAND", "us-east-1a", 4, 16))
    del node["metadata"]["labels"]["topology.kubernetes.io/region"]
    dc.objects.put(node)
    await expect(burn.locator(".usd-per-hour")).to_have_text("0.2920")
    await expect(
        page.locator('#costs-namespaces tr[data-namespace="devcluster/idle"]')
    ).to_have_count(1)
    await page.screenshot(path=str(artifacts / "costs-live.png"), full_page=True)
    assert live_portal.problems == []
