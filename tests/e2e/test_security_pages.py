"""The portal's pages in Chromium under the strict CSP: no violations, no console errors, and
the admin token forms (htmx-boosted, CSRF-protected) work end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from portal.app import create_app
from portal.config import Settings
from portal.security.headers import CONTENT_SECURITY_POLICY
from tests.support.servers import serve_app

pytestmark = pytest.mark.browser

PAGES = ["/", "/canaries", "/hpas", "/dora", "/costs", "/audit", "/admin/tokens"]
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


async def watched_page(browser: Browser, problems: list[str]) -> Page:
    page = await browser.new_page()
    await page.add_init_script(RECORD_VIOLATIONS)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return page


async def test_pages_render_under_the_csp_without_errors(
    browser: Browser, settings: Settings, artifacts: Path
) -> None:
    local = settings.model_copy(update={"auth_mode": "local"})
    problems: list[str] = []
    async with serve_app(create_app(local)) as base_url:
        page = await watched_page(browser, problems)
        for path in PAGES:
            response = await page.goto(base_url + path)
            assert response is not None
            assert response.status == 200, path
            assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
            assert await page.evaluate("window.htmx.version") == "2.0.11"
            assert await page.evaluate("window.__cspViolations") == [], path
        await page.screenshot(path=str(artifacts / "security-admin-tokens.png"), full_page=True)
        await page.close()
    assert problems == []


async def test_admin_creates_and_revokes_a_token_in_the_browser(
    browser: Browser, settings: Settings, artifacts: Path
) -> None:
    local = settings.model_copy(update={"auth_mode": "local"})
    problems: list[str] = []
    async with serve_app(create_app(local)) as base_url:
        page = await watched_page(browser, problems)
        await page.goto(base_url + "/admin/tokens")
        assert await page.locator(".identity-name").inner_text() == "local-admin"
        await page.fill("#create-token input[name=name]", "browser-ci")
        await page.select_option("#create-token select[name=role]", "operator")
        await page.fill("#create-token input[name=expires_days]", "7")
        await page.click("#create-token button[type=submit]")
        secret = await page.locator("#issued-secret").inner_text()
        assert secret.startswith("ifp_")
        row = page.locator('tr[data-token="browser-ci"]')
        assert "active" in await row.inner_text()
        await page.screenshot(path=str(artifacts / "security-token-created.png"), full_page=True)

        await row.locator("button", has_text="Revoke").click()
        await page.wait_for_selector('tr[data-token="browser-ci"] >> text=revoked')
        assert await page.locator("#issued-secret").count() == 0
        assert await page.evaluate("window.__cspViolations") == []
        await page.close()
    assert problems == []
