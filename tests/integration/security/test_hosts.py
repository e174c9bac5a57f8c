"""DNS rebinding: in local mode only the loopback names with the portal's port are answered;
elsewhere PORTAL_ALLOWED_HOSTS; no redirect ever carries the request's Host."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from portal.security.roles import Role
from portal.web.freezes import _back as back_to_form
from tests.integration.security.conftest import MakeSettings, audit_rows
from tests.support.apps import create_api_token, csrf_headers, running_app


async def test_a_rebound_host_cannot_mint_an_admin_token_in_local_mode(
    make_settings: MakeSettings,
) -> None:
    """Attack: a page on rebind.attacker.example, resolved to 127.0.0.1, posts as local admin."""
    async with running_app(make_settings(auth_mode="local")) as running:
        headers = await csrf_headers(running.client)
        forged = await running.client.post(
            "/api/v1/tokens",
            json={"name": "pwned", "role": "admin"},
            headers={**headers, "Host": "rebind.attacker.example"},
        )
        listed = await running.client.get("/api/v1/tokens")
        rows = await audit_rows(running, action="token.create")
    assert forged.status_code == 400
    assert "rebind.attacker.example" not in forged.text
    assert forged.headers["content-security-policy"].startswith("default-src 'self'")
    assert listed.json() == []
    assert rows == []


@pytest.mark.parametrize(
    "host", ["127.0.0.1:8000", "localhost:8000", "[::1]:8000", "LOCALHOST:8000"]
)
async def test_local_mode_answers_the_loopback_names_with_its_port(
    make_settings: MakeSettings, host: str
) -> None:
    async with running_app(make_settings(auth_mode="local")) as running:
        response = await running.client.get("/api/v1/audit", headers={"Host": host})
    assert response.status_code == 200


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost:8001", "127.0.0.1.nip.io:8000", "localhost:8000.evil", ""]
)
async def test_local_mode_refuses_every_other_host_even_on_probes(
    make_settings: MakeSettings, host: str
) -> None:
    async with running_app(make_settings(auth_mode="local")) as running:
        page = await running.client.get("/", headers={"Host": host})
        probe = await running.client.get("/healthz", headers={"Host": host})
    assert (page.status_code, probe.status_code) == (400, 400)


async def test_allowed_hosts_apply_outside_local_mode_but_not_to_probes(
    make_settings: MakeSettings,
) -> None:
    settings = make_settings(allowed_hosts="portal.example.com, portal.infra-fleet:8000")
    async with running_app(settings) as running:
        secret = await create_api_token(running, Role.viewer)
        bearer = {"Authorization": f"Bearer {secret}"}
        good = await running.client.get(
            "/api/v1/audit", headers={**bearer, "Host": "portal.example.com"}
        )
        service = await running.client.get(
            "/api/v1/audit", headers={**bearer, "Host": "portal.infra-fleet:8000"}
        )
        bad = await running.client.get("/api/v1/audit", headers={**bearer, "Host": "evil.example"})
        probe = await running.client.get("/healthz", headers={"Host": "10.1.2.3:8000"})
    assert (good.status_code, service.status_code, bad.status_code) == (200, 200, 400)
    assert probe.status_code == 200


async def test_redirects_never_reflect_the_host(make_settings: MakeSettings) -> None:
    """Without PORTAL_ALLOWED_HOSTS any Host reaches the app: the Location must be a path."""
    async with running_app(make_settings()) as running:
        secret = await create_api_token(running, Role.admin, name="adm")
        headers = {"Authorization": f"Bearer {secret}", "Host": "evil.example"}
        [token] = (await running.client.get("/api/v1/tokens", headers=headers)).json()
        revoked = await running.client.post(f"/admin/tokens/{token['id']}/revoke", headers=headers)
    assert (revoked.status_code, revoked.headers["location"]) == (303, "/admin/tokens")


@pytest.mark.parametrize(
    ("referer", "location"),
    [
        ("http://evil.example/canaries?x=1", "/canaries?x=1"),
        ("http://evil.example//evil.example/x", "/"),
        ("http://127.0.0.1:8000/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
    ],
)
async def test_the_freeze_forms_go_back_to_a_path_never_to_a_host(
    make_settings: MakeSettings, referer: str, location: str
) -> None:
    async with running_app(make_settings()) as running:
        scope = {
            "type": "http",
            "method": "POST",
            "path": "/freezes",
            "query_string": b"",
            "headers": [(b"host", b"evil.example"), (b"referer", referer.encode())],
            "app": running.app,
        }
        answer = back_to_form(Request(scope))
    assert answer.headers["location"] == location
