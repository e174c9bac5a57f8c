"""The status page in a real browser: htmx runs under the strict CSP and polling refreshes it."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from playwright.async_api import ConsoleMessage, async_playwright

from tests.integration.load_harness.conftest import ServeFactory

CHROMIUM = Path(os.environ.get("PORTAL_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]

pytestmark = pytest.mark.browser


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI requires Chromium at {CHROMIUM} (make installs it)", pytrace=False)
        pytest.skip(f"no Chromium at {CHROMIUM}")
    return CHROMIUM


async def test_htmx_runs_under_the_csp_and_polling_shows_a_new_job(
    serve: ServeFactory, chromium: Path
) -> None:
    console: list[str] = []

    def record(message: ConsoleMessage) -> None:
        console.append(f"{message.type}: {message.text}")

    async with (
        serve(LOAD_HARNESS_AUTH="disabled") as served,
        httpx.AsyncClient(base_url=served.base_url) as client,
        async_playwright() as playwright,
    ):
        browser = await playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page()
            page.on("console", record)
            await page.goto(f"{served.base_url}/")
            before = await page.inner_text("#status")
            htmx_version = await page.evaluate("htmx.version")
            response = await client.post(
                "/api/v1/load/memory", json={"megabytes": 1, "duration_seconds": 60}
            )
            await page.wait_for_selector("#running-jobs", timeout=8000)
            after = await page.inner_text("#status")
        finally:
            await browser.close()
    assert response.status_code == 201
    assert htmx_version == "2.0.11"
    assert "No job is running." in before
    assert "Running jobs (1)" in after
    assert response.json()["id"][:12] in after
    assert console == []
