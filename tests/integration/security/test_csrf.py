"""State-changing browser requests must echo the CSRF cookie; API tokens are exempt."""

from __future__ import annotations

from sqlmodel import select

from portal.models.tokens import ApiToken
from portal.security.roles import Role
from tests.integration.security.conftest import MakeSettings, audit_rows
from tests.support.apps import RunningApp, create_api_token, csrf_headers, running_app

NEW_TOKEN = {"name": "ci", "role": "viewer"}


async def token_names(running: RunningApp) -> list[str]:
    async with running.app.state.portal.sessionmaker() as session:
        return [row.name for row in await session.exec(select(ApiToken))]


async def test_a_write_without_the_csrf_token_is_refused_and_audited(
    make_settings: MakeSettings,
) -> None:
    async with running_app(make_settings(auth_mode="local")) as running:
        await running.client.get("/healthz")
        response = await running.client.post("/api/v1/tokens", json=NEW_TOKEN)
        [row] = await audit_rows(running, outcome="denied")
        assert await token_names(running) == []
    assert response.status_code == 403
    assert response.json() == {"detail": "CSRF token missing: reload the page and try again"}
    assert (row.action, row.source_ip) == ("csrf", "127.0.0.1")


async def test_a_wrong_csrf_token_is_refused(make_settings: MakeSettings) -> None:
    async with running_app(make_settings(auth_mode="local")) as running:
        await running.client.get("/healthz")
        response = await running.client.post(
            "/api/v1/tokens", json=NEW_TOKEN, headers={"X-CSRF-Token": "x" * 43}
        )
        assert await token_names(running) == []
    assert response.status_code == 403
    assert response.json() == {"detail": "CSRF token does not match: reload the page and try again"}


async def test_a_non_ascii_csrf_token_is_refused_not_a_crash(make_settings: MakeSettings) -> None:
    async with running_app(make_settings(auth_mode="local")) as running:
        await running.client.get("/healthz")
        response = await running.client.post(
            "/admin/tokens", data={"name": "x", "role": "viewer", "csrf_token": "ü" * 43}
        )
    assert response.status_code == 403
    assert "CSRF token does not match" in response.text


async def test_a_cross_site_post_without_the_cookie_is_refused(make_settings: MakeSettings) -> None:
    """A page elsewhere can make the browser post a form, but cannot read or set our cookie."""
    async with running_app(make_settings(auth_mode="local")) as running:
        response = await running.client.post(
            "/admin/tokens", data={"name": "evil", "role": "admin", "csrf_token": "x" * 43}
        )
        assert await token_names(running) == []
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")


async def test_the_header_and_the_form_field_are_both_accepted(make_settings: MakeSettings) -> None:
    async with running_app(make_settings(auth_mode="local")) as running:
        headers = await csrf_headers(running.client)
        by_header = await running.client.post("/api/v1/tokens", json=NEW_TOKEN, headers=headers)
        form = {"name": "by-form", "role": "viewer", "csrf_token": headers["X-CSRF-Token"]}
        by_form = await running.client.post("/admin/tokens", data=form)
        multipart = await running.client.post(
            "/admin/tokens", data={**form, "name": "by-multipart"}, files={"f": ("a", b"b")}
        )
        names = sorted(await token_names(running))
    assert (by_header.status_code, by_form.status_code, multipart.status_code) == (201, 201, 201)
    assert names == ["by-form", "by-multipart", "ci"]


async def test_requests_with_an_api_token_are_exempt(make_settings: MakeSettings) -> None:
    async with running_app(make_settings()) as running:
        secret = await create_api_token(running, Role.admin)
        response = await running.client.post(
            "/api/v1/tokens", json=NEW_TOKEN, headers={"Authorization": f"Bearer {secret}"}
        )
    assert response.status_code == 201


async def test_gate_and_webhook_paths_are_left_to_their_own_authentication(
    make_settings: MakeSettings,
) -> None:
    async with running_app(make_settings(auth_mode="local")) as running:
        for path in ("/flagger/gates/confirm-rollout", "/webhooks/github"):
            response = await running.client.post(path, json={})
            assert response.status_code != 403, path
            assert "CSRF" not in response.text


async def test_the_cookie_is_httponly_samesite_lax_and_secure_only_over_tls(
    make_settings: MakeSettings,
) -> None:
    async with running_app(make_settings(trusted_proxies="10.0.0.0/8")) as running:
        plain = (await running.client.get("/healthz")).headers["set-cookie"]
        async with running.client_from("10.0.0.5", {"X-Forwarded-Proto": "https"}) as proxied:
            behind_tls = (await proxied.get("/healthz")).headers["set-cookie"]
        async with running.client_from("203.0.113.9", {"X-Forwarded-Proto": "https"}) as forged:
            forged_tls = (await forged.get("/healthz")).headers["set-cookie"]
    token = running.client.cookies["portal_csrf"]
    assert plain == f"portal_csrf={token}; Path=/; HttpOnly; SameSite=Lax"
    assert behind_tls.startswith("__Host-portal_csrf=")
    assert behind_tls.endswith("; Path=/; HttpOnly; SameSite=Lax; Secure")
    assert forged_tls.startswith("portal_csrf=")
    assert not forged_tls.endswith("Secure")


async def test_secure_cookies_can_be_forced(make_settings: MakeSettings) -> None:
    async with running_app(make_settings(secure_cookies=True, auth_mode="local")) as running:
        cookie = (await running.client.get("/healthz")).headers["set-cookie"]
        token = cookie.split(";")[0].split("=", 1)[1]
        response = await running.client.post(
            "/api/v1/tokens",
            json=NEW_TOKEN,
            headers={"Cookie": f"__Host-portal_csrf={token}", "X-CSRF-Token": token},
        )
        plain = await running.client.post(
            "/api/v1/tokens",
            json={"name": "plain", "role": "viewer"},
            headers={"Cookie": f"portal_csrf={token}", "X-CSRF-Token": token},
        )
    assert cookie.startswith("__Host-portal_csrf=")
    assert cookie.endswith("; Path=/; HttpOnly; SameSite=Lax; Secure")
    assert response.status_code == 201
    assert plain.status_code == 403


async def test_the_page_carries_the_token_for_htmx(make_settings: MakeSettings) -> None:
    async with running_app(make_settings(auth_mode="local")) as running:
        page = await running.client.get("/audit")
    token = running.client.cookies["portal_csrf"]
    assert f'<meta name="csrf-token" content="{token}">' in page.text
