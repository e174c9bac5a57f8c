"""Browser tests: Debian's Chromium driven by Playwright (its own browser download does not
work here). Without /usr/bin/chromium the tests skip, except in CI where that is an error."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.async_api import Browser, Page, async_playwright

from devcluster.harness import DevCluster, serve_devcluster
from portal.app import create_app
from portal.config import Settings
from tests.integration.fleet.conftest import seed
from tests.support.servers import free_port, serve_app
from tests.support.waiting import wait_until

CHROMIUM = Path(os.environ.get("PORTAL_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI requires Chromium at {CHROMIUM} (make installs it)", pytrace=False)
        pytest.skip(f"no Chromium at {CHROMIUM}; `make chromium` installs Debian's")
    return CHROMIUM


@pytest.fixture
async def browser(chromium_path: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@dataclass
class LivePortal:
    """A seeded devcluster, the portal (local mode) served against it, and a browser page
    whose console errors are collected in `problems`."""

    dc: DevCluster
    app: FastAPI
    base_url: str
    page: Page
    problems: list[str] = field(default_factory=list)


@pytest.fixture
async def live_portal(browser: Browser, database_url: str) -> AsyncIterator[LivePortal]:
    async with serve_devcluster(scenario="empty", simulate=False) as dc:
        seed(dc)
        settings = Settings(
            database_url=database_url,
            kubeconfig=dc.kubeconfig,
            auth_mode="local",
            port=free_port(),
            log_format="console",
        )
        app = create_app(settings)
        async with serve_app(app) as base_url:
            view = app.state.portal.view
            await wait_until(lambda: view.unready_clusters() == {}, what="first lists")
            page = await browser.new_page()
            live = LivePortal(dc=dc, app=app, base_url=base_url, page=page)
            page.on(
                "console", lambda m: live.problems.append(m.text) if m.type == "error" else None
            )
            page.on("pageerror", lambda e: live.problems.append(str(e)))
            try:
                yield live
            finally:
                await page.close()
