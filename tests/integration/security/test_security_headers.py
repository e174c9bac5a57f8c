"""Security headers on every kind of response: pages, API, errors, static, probes, refusals."""

from __future__ import annotations

import httpx
import pytest

from portal.security.headers import CONTENT_SECURITY_POLICY
from tests.integration.security.conftest import MakeSettings
from tests.support.apps import RunningApp, running_app

EXPECTED = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; "
        "object-src 'none'"
    ),
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


def assert_protected(response: httpx.Response, *, hsts: bool = False) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (response.url, name)
    assert ("strict-transport-security" in response.headers) is hsts


@pytest.fixture
async def local(make_settings: MakeSettings):  # type: ignore[no-untyped-def]
    async with running_app(make_settings(auth_mode="local", max_body_bytes=100)) as running:

        async def crash() -> None:
            raise RuntimeError("boom")

        running.app.add_api_route("/api/v1/test-crash", crash)
        yield running


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/audit", b"", 200),
        ("GET", "/api/v1/audit", b"", 200),
        ("GET", "/healthz", b"", 200),
        ("GET", "/static/css/portal.css", b"", 200),
        ("GET", "/static/vendor/htmx/htmx.min.js", b"", 200),
        ("GET", "/no-such-page", b"", 404),
        ("GET", "/api/v1/no-such-thing", b"", 404),
        ("GET", "/api/v1/test-crash", b"", 500),
        ("POST", "/api/v1/tokens", b"{}", 403),
        ("POST", "/api/v1/tokens", b"x" * 101, 413),
    ],
)
async def test_every_response_carries_the_headers(
    local: RunningApp, method: str, path: str, body: bytes, status: int
) -> None:
    response = await local.client.request(method, path, content=body)
    assert response.status_code == status
    assert_protected(response)


async def test_errors_for_anonymous_callers_carry_the_headers(make_settings: MakeSettings) -> None:
    async with running_app(make_settings()) as running:
        response = await running.client.get("/audit", headers={"Accept": "text/html"})
    assert response.status_code == 401
    assert_protected(response)


async def test_hsts_only_over_tls(make_settings: MakeSettings) -> None:
    async with running_app(make_settings(trusted_proxies="10.0.0.0/8")) as running:
        assert_protected(await running.client.get("/healthz"), hsts=False)
        async with running.client_from("10.0.0.5", {"X-Forwarded-Proto": "https"}) as proxied:
            response = await proxied.get("/healthz")
        assert_protected(response, hsts=True)
        assert (
            response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
        )
        async with running.client_from("203.0.113.9", {"X-Forwarded-Proto": "https"}) as forged:
            assert_protected(await forged.get("/healthz"), hsts=False)
    async with running_app(make_settings(secure_cookies=True)) as running:
        assert_protected(await running.client.get("/healthz"), hsts=True)


def test_the_policy_forbids_inline_script_and_framing() -> None:
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
