"""The web shell in a real browser: navigation, vendored htmx loaded, no console errors."""

from pathlib import Path

import pytest
from playwright.async_api import Browser

from portal.app import create_app
from portal.config import Settings
from tests.support.servers import free_port, serve_app

pytestmark = pytest.mark.browser


async def test_shell_renders_navigation_and_loads_htmx(
    browser: Browser, settings: Settings, artifacts: Path
) -> None:
    local = settings.model_copy(update={"auth_mode": "local", "port": free_port()})
    async with serve_app(create_app(local)) as base_url:
        page = await browser.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        response = await page.goto(base_url + "/")
        assert response is not None
        assert response.status == 200
        assert await page.title() == "Overview · infra-fleet"
        labels = await page.locator("header nav a").all_inner_texts()
        assert labels == ["Overview", "Canaries", "HPAs", "DORA", "Costs", "Audit"]
        assert await page.evaluate("window.htmx.version") == "2.0.11"
        await page.locator("header nav a", has_text="Canaries").click()
        await page.wait_for_url(base_url + "/canaries")
        assert await page.locator("header nav a[aria-current=page]").inner_text() == "Canaries"
        await page.screenshot(path=str(artifacts / "shell-canaries.png"), full_page=True)
        await page.close()
    assert problems == []
