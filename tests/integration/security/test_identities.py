"""Where identity comes from in each mode, and that forged headers or peers earn nothing."""

from __future__ import annotations

from portal.security.roles import Role
from tests.integration.security.conftest import MakeSettings
from tests.support.apps import running_app, signed_in

PROXY = "10.0.0.5"
STRANGER = "203.0.113.9"
ALICE = {
    "X-Auth-Request-User": "alice",
    "X-Auth-Request-Email": "alice@example.com",
    "X-Auth-Request-Groups": "eng,oncall",
}
GROUPS = {"admin": ["platform-admins"], "operator": ["oncall"], "viewer": ["eng"]}
SIGN_IN_TOKEN = "sign-in required: send an API token (Authorization: Bearer ...)"


def proxy_settings(make_settings: MakeSettings, **extra: object):  # type: ignore[no-untyped-def]
    return make_settings(
        auth_mode="proxy", trusted_proxies="10.0.0.0/8", role_groups=GROUPS, **extra
    )


async def test_proxy_headers_from_a_trusted_proxy_sign_the_user_in(
    make_settings: MakeSettings,
) -> None:
    async with (
        running_app(proxy_settings(make_settings)) as running,
        running.client_from(PROXY, ALICE) as client,
    ):
        assert (await client.get("/api/v1/audit")).status_code == 200
        page = await client.get("/audit")
    assert page.status_code == 200
    assert '<span class="identity-name" title="signed in by proxy">alice</span>' in page.text
    assert '<span class="chip chip-info identity-role">operator</span>' in page.text


async def test_forged_proxy_headers_from_an_untrusted_peer_are_ignored(
    make_settings: MakeSettings,
) -> None:
    forged = {**ALICE, "X-Auth-Request-Groups": "platform-admins"}
    async with (
        running_app(proxy_settings(make_settings)) as running,
        running.client_from(STRANGER, forged) as client,
    ):
        api = await client.get("/api/v1/audit")
        page = await client.get("/audit", headers={"Accept": "text/html"})
    assert api.status_code == 401
    assert api.json() == {
        "detail": "sign-in required: open the portal through its sign-in proxy, "
        "or send an API token"
    }
    assert page.status_code == 401
    assert '<span class="muted identity-name">not signed in</span>' in page.text


async def test_a_proxied_user_whose_groups_map_to_no_role_is_forbidden(
    make_settings: MakeSettings,
) -> None:
    async with running_app(proxy_settings(make_settings)) as running:
        headers = {**ALICE, "X-Auth-Request-Groups": "sales"}
        async with running.client_from(PROXY, headers) as client:
            response = await client.get("/api/v1/audit")
    assert response.status_code == 403
    assert response.json() == {"detail": "alice has no role; this needs the viewer role"}


async def test_header_names_are_configurable(make_settings: MakeSettings) -> None:
    settings = proxy_settings(
        make_settings,
        proxy_user_header="X-Forwarded-User",
        proxy_email_header="X-Forwarded-Email",
        proxy_groups_header="X-Forwarded-Groups",
    )
    async with running_app(settings) as running:
        headers = {"X-Forwarded-User": "bob", "X-Forwarded-Groups": "platform-admins"}
        async with running.client_from(PROXY, headers) as client:
            assert (await client.get("/api/v1/tokens")).status_code == 200
        async with running.client_from(PROXY, ALICE) as client:
            assert (await client.get("/api/v1/audit")).status_code == 401


async def test_local_mode_admits_loopback_peers_only(make_settings: MakeSettings) -> None:
    async with running_app(make_settings(auth_mode="local")) as running:
        assert (await running.client.get("/api/v1/tokens")).status_code == 200
        async with running.client_from("192.0.2.10") as remote:
            response = await remote.get("/api/v1/tokens")
    assert response.status_code == 401
    assert response.json() == {
        "detail": "sign-in required: local mode admits loopback clients only; or send an API token"
    }


async def test_without_a_mode_anonymous_callers_get_401_and_no_data(
    make_settings: MakeSettings,
) -> None:
    async with running_app(make_settings()) as running:
        api = await running.client.get("/api/v1/audit")
        page = await running.client.get("/audit", headers={"Accept": "text/html"})
    assert api.status_code == 401
    assert api.json() == {"detail": SIGN_IN_TOKEN}
    assert api.headers["www-authenticate"] == "Bearer"
    assert page.status_code == 401
    assert "<h1>401 · Unauthorized</h1>" in page.text
    assert 'id="audit-events"' not in page.text


async def test_an_anonymous_role_lets_anonymous_callers_read_but_not_write(
    make_settings: MakeSettings,
) -> None:
    async with running_app(make_settings(anonymous_role="viewer")) as running:
        assert (await running.client.get("/api/v1/audit")).status_code == 200
        response = await running.client.post(
            "/api/v1/tokens",
            json={"name": "ci", "role": "admin"},
            headers={"Authorization": "Basic eDp5"},
        )
    assert response.status_code == 401
    assert response.json() == {"detail": "the Authorization header must be 'Bearer <API token>'"}


async def test_a_bad_token_is_401_even_from_a_loopback_peer_in_local_mode(
    make_settings: MakeSettings,
) -> None:
    async with running_app(make_settings(auth_mode="local")) as running:
        response = await running.client.get(
            "/api/v1/audit", headers={"Authorization": "Bearer ifp_0123456789ab_nope"}
        )
    assert response.status_code == 401
    assert response.json() == {"detail": "invalid API token"}
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'


async def test_tokens_work_in_every_mode(make_settings: MakeSettings) -> None:
    for settings in (
        make_settings(),
        make_settings(auth_mode="local"),
        proxy_settings(make_settings),
    ):
        async with (
            running_app(settings, client_host=STRANGER) as running,
            signed_in(running, Role.viewer, host=STRANGER) as client,
        ):
            assert (await client.get("/api/v1/audit")).status_code == 200
