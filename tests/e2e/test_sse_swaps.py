"""Pushed fragments in real Chromium: vendored htmx 2.0.11 + htmx-ext-sse 2.2.4, strict CSP.

The page subscribes with `sse-swap="fleet" hx-swap="none"`, so the pushed HTML itself is never
swapped into the SSE element; only its `hx-swap-oob="true"` elements replace the elements with
the same id. The page carries no inline script and is served with `script-src 'self'`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from playwright.async_api import Browser, Page, expect

from portal.services.broadcasting import Broadcaster
from portal.services.sse_selections import ChangeKey
from portal.services.sse_subscribers import CloseReason
from tests.integration.broadcasting.apps import WAIT_SECONDS, stream_app
from tests.support.servers import serve_app

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "static"
HTMX_CONFIG = (
    '{"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},'
    '{"code":"[45]..","swap":true,"error":true}],"allowEval":false,'
    '"includeIndicatorStyles":false,"selfRequestsOnly":true,"historyCacheSize":0}'
)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self'; object-src 'none'; base-uri 'none'"
)
PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="htmx-config" content='{HTMX_CONFIG}'>
  <title>SSE swaps</title>
  <link rel="icon" type="image/svg+xml" href="/static/favicon.svg">
  <script src="/static/vendor/htmx/htmx.min.js" defer></script>
  <script src="/static/vendor/htmx-ext-sse/sse.min.js" defer></script>
</head>
<body>
  <div id="live" hx-ext="sse" sse-connect="/stream?page=canaries&amp;cluster=eu"
       sse-swap="fleet" hx-swap="none">
    <span hx-get="/fetches" hx-trigger="sse:hello" hx-target="#fetches" hx-swap="outerHTML"></span>
  </div>
  <p id="fetches">not fetched</p>
  <table>
    <tbody id="rows">
      <tr id="canary-eu-prod-podinfo"><td>podinfo</td><td class="phase">Initialized</td></tr>
      <tr id="canary-eu-prod-frontend"><td>frontend</td><td class="phase">Succeeded</td></tr>
    </tbody>
  </table>
  <p id="summary">2 canaries</p>
</body>
</html>
"""


def sse_page_app(broadcaster: Broadcaster) -> FastAPI:
    app = stream_app(broadcaster)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    fetches = [0]

    @app.get("/", response_class=HTMLResponse)
    async def page() -> HTMLResponse:
        return HTMLResponse(PAGE, headers={"Content-Security-Policy": CSP})

    @app.get("/fetches", response_class=HTMLResponse)
    async def refetch() -> HTMLResponse:
        """What a page refetches on every `hello`: changes missed while disconnected."""
        fetches[0] += 1
        return HTMLResponse(f'<p id="fetches">fetched {fetches[0]}</p>')

    return app


def row(name: str, phase: str) -> Mapping[str, str]:
    html = (
        f'<tr id="canary-eu-prod-{name}" hx-swap-oob="true">'
        f'<td>{name}</td><td class="phase">{phase}</td></tr>'
    )
    return {"canaries": html}


def key(name: str) -> ChangeKey:
    return ChangeKey(cluster="eu", namespace="prod", kind="canary", name=name)


@dataclass
class LivePage:
    page: Page
    broadcaster: Broadcaster
    problems: list[str]


@pytest.fixture
async def live(browser: Browser) -> AsyncIterator[LivePage]:
    broadcaster = Broadcaster()
    async with serve_app(sse_page_app(broadcaster)) as base_url, broadcaster:
        page = await browser.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        response = await page.goto(base_url + "/")
        assert response is not None
        assert response.status == 200
        async with asyncio.timeout(WAIT_SECONDS):
            await broadcaster.wait_for_clients(1)
        try:
            yield LivePage(page=page, broadcaster=broadcaster, problems=problems)
        finally:
            await page.close()
            async with asyncio.timeout(WAIT_SECONDS):
                await broadcaster.wait_for_clients(0)


async def test_pushed_fragment_replaces_exactly_the_element_with_its_id(
    live: LivePage, artifacts: Path
) -> None:
    page = live.page
    await page.evaluate(
        """() => { window.before = {
            target: document.getElementById('canary-eu-prod-podinfo'),
            other: document.getElementById('canary-eu-prod-frontend'),
            summary: document.getElementById('summary'),
            live: document.getElementById('live'),
            refresher: document.getElementById('live').firstElementChild,
        }; }"""
    )
    live.broadcaster.publish(key("podinfo"), lambda: row("podinfo", "Progressing 30%"))
    await expect(page.locator("#canary-eu-prod-podinfo .phase")).to_have_text("Progressing 30%")
    after = await page.evaluate(
        """() => {
            const now = (id) => document.getElementById(id);
            return {
                targetReplaced: window.before.target !== now('canary-eu-prod-podinfo'),
                oldTargetDetached: !document.contains(window.before.target),
                otherSameNode: window.before.other === now('canary-eu-prod-frontend'),
                summarySameNode: window.before.summary === now('summary'),
                liveSameNode: window.before.live === now('live'),
                liveKeepsOnlyItsChild: now('live').children.length === 1
                    && now('live').firstElementChild === window.before.refresher,
                rowIds: [...now('rows').children].map((r) => r.id),
                rowTexts: [...now('rows').children].map((r) => r.textContent),
                summary: now('summary').textContent,
            };
        }"""
    )
    assert after == {
        "targetReplaced": True,
        "oldTargetDetached": True,
        "otherSameNode": True,
        "summarySameNode": True,
        "liveSameNode": True,
        "liveKeepsOnlyItsChild": True,
        "rowIds": ["canary-eu-prod-podinfo", "canary-eu-prod-frontend"],
        "rowTexts": ["podinfoProgressing 30%", "frontendSucceeded"],
        "summary": "2 canaries",
    }
    await expect(page.locator("#fetches")).to_have_text("fetched 1")  # hello on connect
    await page.screenshot(path=str(artifacts / "sse-swap.png"), full_page=True)
    assert live.problems == []


async def test_fragment_whose_id_is_not_on_the_page_logs_a_console_error(
    live: LivePage,
) -> None:
    """Why fragments are split per page topic: htmx reports an OOB element without a target
    as `htmx:oobErrorNoTarget` on the console, so a page must only receive its own ids."""
    live.broadcaster.publish(key("absent"), lambda: row("absent", "Progressing"))
    live.broadcaster.publish(key("frontend"), lambda: row("frontend", "Promoting"))
    await expect(live.page.locator("#canary-eu-prod-frontend .phase")).to_have_text("Promoting")
    assert await live.page.locator("#canary-eu-prod-absent").count() == 0
    assert live.problems == ["htmx:oobErrorNoTarget, #canary-eu-prod-absent"]


async def test_browser_reconnects_by_itself_after_its_stream_is_dropped(browser: Browser) -> None:
    """A dropped client needs no help: EventSource reconnects after the `retry:` hint, the
    new stream receives the next change, and `hx-trigger="sse:hello"` refetches on reconnect."""
    broadcaster = Broadcaster(retry_ms=100)
    async with serve_app(sse_page_app(broadcaster)) as base_url, broadcaster:
        page = await browser.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        await page.goto(base_url + "/")
        async with asyncio.timeout(WAIT_SECONDS):
            await broadcaster.wait_for_clients(1)
            [stream] = broadcaster.subscribers()
            stream.close(CloseReason.DROPPED)
            await broadcaster.wait_for(lambda m: m.streams_opened == 2 and m.clients_connected == 1)
        broadcaster.publish(key("podinfo"), lambda: row("podinfo", "Promoting"))
        await expect(page.locator("#canary-eu-prod-podinfo .phase")).to_have_text("Promoting")
        # `hello` on every (re)connect lets the page refetch what it missed while away
        await expect(page.locator("#fetches")).to_have_text("fetched 2")
        await page.close()
        async with asyncio.timeout(WAIT_SECONDS):
            await broadcaster.wait_for_clients(0)
    # htmx-ext-sse 2.2.4 reports every EventSource error, including a stream the server
    # ended, as `htmx:sseError` with the DOM Event as its error: one console line per drop.
    assert problems == ["[object Event]"]
