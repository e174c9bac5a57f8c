"""API token lifecycle over the API and the admin page: created once, used, listed without the
secret, revoked; expired and revoked tokens are 401."""

from __future__ import annotations

import re
from datetime import timedelta

from portal.models.audit import utcnow
from portal.security.roles import Role
from portal.services.audit import Actor
from portal.services.tokens import issue_token
from tests.integration.security.conftest import MakeSettings, audit_rows
from tests.support.apps import RunningApp, create_api_token, csrf_headers, running_app

TOKEN = re.compile(r"^ifp_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$")


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


async def create(running: RunningApp, **body: object) -> dict:  # type: ignore[type-arg]
    response = await running.client.post(
        "/api/v1/tokens", json=body, headers=await csrf_headers(running.client)
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def test_a_token_is_shown_once_works_and_stops_working_when_revoked(
    make_settings: MakeSettings,
) -> None:
    async with running_app(make_settings(auth_mode="local")) as running:
        created = await create(running, name="ci", role="operator", expires_days=90)
        secret = created["secret"]
        assert TOKEN.fullmatch(secret)
        assert created["token"]["name"] == "ci"
        assert created["token"]["role"] == "operator"
        assert created["token"]["created_by"] == "local-admin"
        assert secret.startswith("ifp_" + created["token"]["lookup_id"])

        used = await running.client.get("/api/v1/audit", headers=bearer(secret))
        assert used.status_code == 200

        listed = await running.client.get("/api/v1/tokens")
        assert secret not in listed.text
        [token] = listed.json()
        assert set(token) == {
            "id", "name", "role", "created_by", "lookup_id", "created_at", "expires_at",
            "revoked_at", "last_used_at",
        }  # fmt: skip
        assert token["last_used_at"] is not None
        assert token["revoked_at"] is None

        revoked = await running.client.delete(
            f"/api/v1/tokens/{token['id']}", headers=await csrf_headers(running.client)
        )
        assert revoked.status_code == 200
        assert revoked.json()["revoked_at"] is not None

        refused = await running.client.get("/api/v1/audit", headers=bearer(secret))
        trail = await audit_rows(running, name="ci")
    assert refused.status_code == 401
    assert refused.json() == {"detail": "API token 'ci' was revoked"}
    assert [(row.action, row.outcome, row.actor, row.role, row.source_ip) for row in trail] == [
        ("token.revoke", "applied", "local-admin", "admin", "127.0.0.1"),
        ("token.create", "applied", "local-admin", "admin", "127.0.0.1"),
    ]
    assert trail[1].reason is not None
    assert trail[1].reason.startswith("role operator; expires ")
    assert secret not in (trail[0].reason or "") + (trail[1].reason or "")


async def test_an_expired_token_is_401(make_settings: MakeSettings) -> None:
    async with running_app(make_settings()) as running:
        async with running.app.state.portal.sessionmaker() as session:
            issued = await issue_token(
                session,
                name="old",
                role=Role.admin,
                actor=Actor(name="tests", role="admin"),
                expires_days=1,
                now=utcnow() - timedelta(days=2),
            )
            await session.commit()
        response = await running.client.get("/api/v1/audit", headers=bearer(issued.secret))
    assert response.status_code == 401
    assert response.json() == {"detail": "API token 'old' expired"}


async def test_a_tampered_secret_is_401_and_audited(make_settings: MakeSettings) -> None:
    async with running_app(make_settings()) as running:
        secret = await create_api_token(running, Role.admin, name="real")
        tampered = secret[:-2] + ("AA" if not secret.endswith("AA") else "BB")
        response = await running.client.get("/api/v1/audit", headers=bearer(tampered))
        [row] = await audit_rows(running, outcome="denied")
    assert response.status_code == 401
    assert response.json() == {"detail": "invalid API token"}
    assert (row.actor, row.role, row.action, row.source_ip) == (
        "unidentified", "none", "token.authenticate", "127.0.0.1",
    )  # fmt: skip
    assert row.error == "401: invalid API token (GET /api/v1/audit)"


async def test_last_use_is_written_at_most_once_a_minute(make_settings: MakeSettings) -> None:
    async with running_app(make_settings(auth_mode="local")) as running:
        secret = await create_api_token(running, Role.viewer, name="dash")
        await running.client.get("/api/v1/audit", headers=bearer(secret))
        [first] = (await running.client.get("/api/v1/tokens")).json()
        await running.client.get("/api/v1/audit", headers=bearer(secret))
        [second] = (await running.client.get("/api/v1/tokens")).json()
    assert first["last_used_at"] is not None
    assert second["last_used_at"] == first["last_used_at"]


async def test_bad_token_requests_are_4xx_with_the_reason(make_settings: MakeSettings) -> None:
    async with running_app(make_settings(auth_mode="local")) as running:
        await create(running, name="ci", role="viewer")
        headers = await csrf_headers(running.client)
        duplicate = await running.client.post(
            "/api/v1/tokens", json={"name": "ci", "role": "viewer"}, headers=headers
        )
        bad_name = await running.client.post(
            "/api/v1/tokens", json={"name": "CI Bot!", "role": "viewer"}, headers=headers
        )
        bad_role = await running.client.post(
            "/api/v1/tokens", json={"name": "x", "role": "owner"}, headers=headers
        )
        missing = await running.client.delete("/api/v1/tokens/4242", headers=headers)
        huge = await running.client.delete("/api/v1/tokens/99999999999999", headers=headers)
        [only] = (await running.client.get("/api/v1/tokens")).json()
    assert duplicate.status_code == 409
    assert duplicate.json() == {"detail": "a token named 'ci' already exists"}
    assert bad_name.status_code == 422
    assert bad_name.json()["detail"].startswith("token name must be 1-64 characters")
    assert bad_role.status_code == 422
    assert bad_role.json()["detail"][0]["loc"] == ["body", "role"]
    assert missing.status_code == 404
    assert missing.json() == {"detail": "no token 4242"}
    assert huge.status_code == 422
    assert only["name"] == "ci"


async def test_the_admin_page_creates_shows_once_and_revokes(make_settings: MakeSettings) -> None:
    async with running_app(make_settings(auth_mode="local")) as running:
        client = running.client
        page = await client.get("/admin/tokens")
        assert page.status_code == 200
        csrf = client.cookies["portal_csrf"]
        assert f'<input type="hidden" name="csrf_token" value="{csrf}">' in page.text

        form = {"name": "deploy-bot", "role": "operator", "expires_days": "30", "csrf_token": csrf}
        created = await client.post("/admin/tokens", data=form)
        assert created.status_code == 201
        secret = re.search(r'<code class="mono" id="issued-secret">([^<]+)</code>', created.text)
        assert secret is not None
        assert TOKEN.fullmatch(secret.group(1))
        assert (
            await client.get("/api/v1/audit", headers=bearer(secret.group(1)))
        ).status_code == 200

        again = await client.get("/admin/tokens")
        assert secret.group(1) not in again.text
        assert '<tr data-token="deploy-bot">' in again.text
        [token] = (await client.get("/api/v1/tokens")).json()

        revoke = await client.post(f"/admin/tokens/{token['id']}/revoke", data={"csrf_token": csrf})
        assert revoke.status_code == 303
        assert revoke.headers["location"] == "/admin/tokens"
        after = await client.get("/admin/tokens")
    assert "revoked " in after.text
    assert "button-danger" not in after.text


async def test_the_admin_page_empty_expiry_means_never(make_settings: MakeSettings) -> None:
    async with running_app(make_settings(auth_mode="local")) as running:
        await running.client.get("/admin/tokens")
        csrf = running.client.cookies["portal_csrf"]
        form = {"name": "forever", "role": "viewer", "expires_days": "", "csrf_token": csrf}
        created = await running.client.post("/admin/tokens", data=form)
        [token] = (await running.client.get("/api/v1/tokens")).json()
    assert created.status_code == 201
    assert token["expires_at"] is None


async def test_answers_showing_a_new_secret_are_never_cached(make_settings: MakeSettings) -> None:
    """Attack: a shared cache or the browser's back button kept the one-time secret."""
    async with running_app(make_settings(auth_mode="local")) as running:
        created = await running.client.post(
            "/api/v1/tokens",
            json={"name": "ci", "role": "viewer"},
            headers=await csrf_headers(running.client),
        )
        csrf = running.client.cookies["portal_csrf"]
        form = {"name": "bot", "role": "viewer", "expires_days": "", "csrf_token": csrf}
        page = await running.client.post("/admin/tokens", data=form)
        listing = await running.client.get("/admin/tokens")
    assert created.status_code == 201
    assert created.headers["cache-control"] == "no-store"
    assert page.status_code == 201
    assert page.headers["cache-control"] == "no-store"
    assert "cache-control" not in listing.headers
