"""The /dora page in a real browser: tiles with exact values and level badges from a known
dataset, filters kept in the URL, the drill-down to the deployments behind a figure, and the
figures updating by themselves when a canary run ends (SSE + htmx refetch), under the strict CSP,
without console errors."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Locator, expect

from portal.services.dora_facts import (
    ChangeFact,
    DeploymentFact,
    record_change,
    record_deployment,
)
from tests.e2e.conftest import LivePortal
from tests.integration.fleet.conftest import PROGRESSING_STATUS
from tests.support.waiting import wait_until

pytestmark = pytest.mark.browser


async def seed_checkout(live: LivePortal, now: datetime) -> None:
    """checkout fails, recovers two hours later with two changes committed 4 h and 1 h before:
    lead time median 2h30m (p90 3h42m), change failure rate 1 of 2, recovery 2h00m."""
    failed_at = now - timedelta(days=3)
    recovered_at = failed_at + timedelta(hours=2)
    where = {"environment": "production", "cluster": "prod", "namespace": "payments"}
    async with live.app.state.portal.sessionmaker() as session:
        await record_deployment(
            session,
            DeploymentFact(
                source="api",
                external_key="checkout-v1",
                service="checkout",
                finished_at=failed_at,
                outcome="failed",
                commit_sha="aaaa1111",
                failure_cause="smoke tests failed",
                **where,
            ),
        )
        await record_deployment(
            session,
            DeploymentFact(
                source="api",
                external_key="checkout-v2",
                service="checkout",
                finished_at=recovered_at,
                outcome="success",
                commit_sha="bbbb2222",
                **where,
            ),
        )
        for sha, before in (("cccc0001", 4), ("bbbb2222", 1)):
            await record_change(
                session,
                ChangeFact(
                    repo="org/checkout",
                    sha=sha,
                    committed_at=recovered_at - timedelta(hours=before),
                    deployment_commit_sha="bbbb2222",
                ),
            )
        await session.commit()


COUNT_SETTLES = """document.addEventListener("htmx:afterSettle", (event) => {
  if (event.target.id === "dora-content") window.doraSettles = (window.doraSettles || 0) + 1;
});"""


async def open_dora(live: LivePortal, query: str) -> None:
    """Load the page and let its stream's catch-up refetch (on the SSE `hello`) settle, so a
    click that follows is not raced by that swap."""
    await live.page.goto(f"{live.base_url}/dora?{query}")
    await live.page.wait_for_function("() => (window.doraSettles || 0) >= 1")


def tile(page_locator: Locator, name: str) -> Locator:
    return page_locator.locator(f"#dora-tile-{name}")


async def test_dora_tiles_filters_drill_down_and_live_update(
    live_portal: LivePortal, artifacts: Path
) -> None:
    page, dc = live_portal.page, live_portal.dc
    await seed_checkout(live_portal, datetime.now(UTC))
    await page.add_init_script(COUNT_SETTLES)
    await open_dora(live_portal, "window_days=7")
    content = page.locator("#dora-content")

    # the known dataset's figures and their 2023 levels
    await expect(tile(content, "frequency").locator(".dora-value")).to_have_text("0.14 / day")
    await expect(tile(content, "frequency").locator(".badge")).to_have_text("high")
    await expect(tile(content, "lead_time").locator(".dora-value")).to_have_text("2h30m")
    await expect(tile(content, "lead_time").locator(".badge")).to_have_text("elite")
    await expect(tile(content, "failure_rate").locator(".dora-value")).to_have_text("50.0%")
    await expect(tile(content, "failure_rate").locator(".badge")).to_have_text("low")
    await expect(tile(content, "recovery").locator(".dora-value")).to_have_text("2h00m")
    await expect(tile(content, "recovery").locator(".badge")).to_have_text("high")
    await expect(tile(content, "rework").locator(".dora-value")).to_have_text("50.0%")
    await expect(tile(content, "failure_rate")).to_contain_text(
        "1 failed of 2: 0 caught at ≤50% traffic, 1 reached production"
    )

    # filters live in the URL: a service nobody deployed has no data, and the URL says so
    await page.locator(".dora-filters input[name=service]").fill("nobody")
    await page.locator(".dora-filters button[type=submit]").click()
    await expect(page).to_have_url(re.compile(r"[?&]service=nobody(&|$)"))
    await expect(page).to_have_url(re.compile(r"[?&]window_days=7(&|$)"))
    await expect(tile(content, "frequency").locator(".dora-value")).to_have_text("- / day")
    await expect(tile(content, "frequency").locator(".badge")).to_have_text("no data")
    await open_dora(live_portal, "window_days=7")
    await expect(tile(content, "failure_rate").locator(".dora-value")).to_have_text("50.0%")

    # drill-down: the failure rate's value lists the failed deployment behind it
    await tile(content, "failure_rate").locator(".dora-value a").click()
    await expect(page).to_have_url(re.compile(r"[?&]outcome=failed(&|#|$)"))
    deployments = page.locator("#dora-deployments")
    await expect(deployments.locator("h2")).to_contain_text("Deployments (failed) 1 of 1")
    rows = deployments.locator("tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("checkout")
    await expect(rows.first).to_contain_text("prod/payments production")
    await expect(rows.first).to_contain_text("smoke tests failed")
    await expect(rows.first.locator("code")).to_have_text("aaaa1111")

    # live: the seeded canary's run is promoted; the open page refetches its figures
    await open_dora(live_portal, "window_days=7")
    await expect(tile(content, "failure_rate").locator(".dora-value")).to_have_text("50.0%")
    await page.wait_for_function("window.htmx !== undefined")
    broadcaster = live_portal.app.state.portal.broadcaster
    await wait_until(lambda: broadcaster.clients == 1, what="stream")
    canary = dc.objects.get("flagger.app/v1beta1", "Canary", name="web", namespace="shop")
    assert canary is not None
    status = copy.deepcopy(PROGRESSING_STATUS)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    status.update(phase="Succeeded", canaryWeight=0, failedChecks=0, lastTransitionTime=stamp)
    status["conditions"] = [
        {
            "type": "Promoted",
            "status": "True",
            "reason": "Succeeded",
            "message": "Canary analysis completed successfully, promotion finished.",
            "lastUpdateTime": stamp,
            "lastTransitionTime": stamp,
        }
    ]
    dc.objects.put({**canary, "status": status})
    await expect(tile(content, "frequency").locator(".dora-value")).to_have_text("0.29 / day")
    await expect(tile(content, "failure_rate").locator(".dora-value")).to_have_text("33.3%")
    await expect(tile(content, "failure_rate")).to_contain_text("1 failed of 3")
    await expect(tile(content, "rework").locator(".dora-value")).to_have_text("33.3%")
    await expect(page.locator(".dora-services tbody tr")).to_have_count(2)
    await expect(page.locator(".dora-services tbody tr").nth(1)).to_contain_text("web")
    newest = page.locator("#dora-deployments tbody tr").first
    await expect(newest).to_contain_text("devcluster/shop production")
    await expect(newest.locator(".badge")).to_have_text("success")
    await expect(newest).to_contain_text("flagger")
    await page.screenshot(path=str(artifacts / "dora-live.png"), full_page=True)
    assert live_portal.problems == []
