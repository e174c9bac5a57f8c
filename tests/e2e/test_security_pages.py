"""The portal's pages in Chromium under the strict CSP: no violations, no console errors, and
the admin token forms (htmx-boosted, CSRF-protected) work end to end."""

from __future__ import annotations

from ipaddress import ip_network
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page

from portal.app import create_app
from portal.config import Settings
from portal.security.headers import CONTENT_SECURITY_POLICY
from tests.support.servers import free_port, serve_app

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
    local = settings.model_copy(update={"auth_mode": "local", "port": free_port()})
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
    local = settings.model_copy(update={"auth_mode": "local", "port": free_port()})
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


async def test_behind_a_sign_in_proxy_the_browser_gets_the_proxied_identity(
    browser: Browser, settings: Settings
) -> None:
    """As with an oauth2-proxy sidecar: the proxy is the loopback peer and sets the headers."""
    proxied = settings.model_copy(
        update={
            "auth_mode": "proxy",
            "trusted_proxies": [ip_network("127.0.0.1/32")],
            "role_groups": {"operator": ["oncall"], "viewer": ["eng"]},
        }
    )
    problems: list[str] = []
    async with serve_app(create_app(proxied)) as base_url:
        context = await browser.new_context(
            extra_http_headers={
                "X-Auth-Request-User": "alice",
                "X-Auth-Request-Email": "alice@example.com",
                "X-Auth-Request-Groups": "eng,oncall",
            }
        )
        page = await context.new_page()
        page.on("pageerror", lambda e: problems.append(str(e)))
        response = await page.goto(base_url + "/audit")
        assert response is not None
        assert response.status == 200
        assert await page.locator(".identity-name").inner_text() == "alice"
        assert await page.locator(".identity-role").inner_text() == "operator"
        refused = await page.goto(base_url + "/admin/tokens")
        assert refused is not None
        assert refused.status == 403
        assert "alice has operator; this needs the admin role" in await page.content()
        await context.close()

        anonymous = await browser.new_page()
        signed_out = await anonymous.goto(base_url + "/audit")
        assert signed_out is not None
        assert signed_out.status == 401
        await anonymous.close()
    assert problems == []
