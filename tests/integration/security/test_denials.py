"""Denied attempts are audited with their source address, in their own transaction, within a
budget so that a flood cannot fill the database."""

from __future__ import annotations

from fastapi import Depends

from portal.security.access import require_role
from portal.security.denials import flush_denial_tallies
from portal.security.roles import Role
from tests.integration.security.conftest import MakeSettings, audit_rows
from tests.support.apps import create_api_token, running_app

BAD_TOKEN = {"Authorization": "Bearer ifp_0123456789ab_not-a-real-secret"}


async def test_a_write_refused_for_lack_of_role_is_audited(make_settings: MakeSettings) -> None:
    async with running_app(make_settings()) as running:
        secret = await create_api_token(running, Role.operator, name="bot")
        response = await running.client.post(
            "/api/v1/tokens",
            json={"name": "x", "role": "admin"},
            headers={"Authorization": f"Bearer {secret}", "X-Request-ID": "req-denied-0001"},
        )
        [row] = await audit_rows(running, outcome="denied")
    assert response.status_code == 403
    assert response.json() == {"detail": "token:bot has operator; this needs the admin role"}
    assert (row.actor, row.role, row.action, row.source_ip, row.request_id) == (
        "token:bot", "operator", "create_token", "127.0.0.1", "req-denied-0001",
    )  # fmt: skip
    assert row.error == (
        "403: token:bot has operator; this needs the admin role (POST /api/v1/tokens)"
    )


async def test_an_anonymous_visit_to_an_admin_page_is_audited_with_its_address(
    make_settings: MakeSettings,
) -> None:
    async with running_app(make_settings(auth_mode="local")) as running:
        async with running.client_from("192.0.2.7") as remote:
            response = await remote.get("/admin/tokens")
        [row] = await audit_rows(running, outcome="denied")
    assert response.status_code == 401
    assert (row.actor, row.role, row.action, row.source_ip) == (
        "anonymous", "none", "admin_tokens", "192.0.2.7",
    )  # fmt: skip


async def test_refused_reads_are_not_audited(make_settings: MakeSettings) -> None:
    async with running_app(make_settings()) as running:
        assert (await running.client.get("/api/v1/audit")).status_code == 401
        assert await audit_rows(running) == []


async def test_a_refused_canary_action_names_its_target(make_settings: MakeSettings) -> None:
    async def act(cluster: str, namespace: str, name: str, action: str) -> dict[str, str]:
        return {"done": action}

    async with running_app(make_settings()) as running:
        running.app.add_api_route(
            "/api/v1/test-canaries/{cluster}/{namespace}/{name}/{action}",
            act,
            methods=["POST"],
            dependencies=[Depends(require_role(Role.operator))],
        )
        secret = await create_api_token(running, Role.viewer, name="dash")
        response = await running.client.post(
            "/api/v1/test-canaries/prod/shop/web/pause",
            json={"reason": "try"},
            headers={"Authorization": f"Bearer {secret}"},
        )
        [row] = await audit_rows(running, outcome="denied")
    assert response.status_code == 403
    assert (row.action, row.cluster, row.namespace, row.name) == ("pause", "prod", "shop", "web")


async def test_a_flood_from_one_address_is_audited_only_up_to_its_budget(
    make_settings: MakeSettings,
) -> None:
    settings = make_settings(denial_audit_limit="3/minute", denial_audit_global_limit="5/minute")
    async with running_app(settings) as running:
        for _ in range(10):
            assert (await running.client.get("/api/v1/audit", headers=BAD_TOKEN)).status_code == 401
        async with running.client_from("192.0.2.8", BAD_TOKEN) as other:
            for _ in range(10):
                assert (await other.get("/api/v1/audit")).status_code == 401
        async with running.client_from("192.0.2.9", BAD_TOKEN) as third:
            assert (await third.get("/api/v1/audit")).status_code == 401
        rows = await audit_rows(running, outcome="denied")
    by_source = sorted(row.source_ip or "" for row in rows)
    assert by_source == ["127.0.0.1"] * 3 + ["192.0.2.8"] * 2


INGRESS = "10.0.0.2"


async def test_behind_an_ingress_one_attacker_cannot_switch_off_denial_audits(
    make_settings: MakeSettings,
) -> None:
    """Attack: behind an ingress every caller shared its address, so 10 bad requests a minute
    from one attacker switched off denial auditing for everyone."""
    settings = make_settings(denial_audit_limit="3/minute", forwarded_proxies="10.0.0.0/8")
    async with running_app(settings) as running:
        attacker = {**BAD_TOKEN, "X-Forwarded-For": "6.6.6.6, 198.51.100.66"}
        async with running.client_from(INGRESS, attacker) as flood:
            for _ in range(5):
                assert (await flood.get("/api/v1/audit")).status_code == 401
        victim = {**BAD_TOKEN, "X-Forwarded-For": "203.0.113.5"}
        async with running.client_from(INGRESS, victim) as other:
            assert (await other.get("/api/v1/audit")).status_code == 401
        itemised = await audit_rows(running, outcome="denied")
        written = await flush_denial_tallies(running.app)
        after = await audit_rows(running, outcome="denied")
    assert sorted(row.source_ip or "" for row in itemised) == ["198.51.100.66"] * 3 + [
        "203.0.113.5"
    ]
    assert written == 1
    [aggregate] = [row for row in after if row not in itemised]
    assert (aggregate.source_ip, aggregate.action, aggregate.actor) == (
        "198.51.100.66", "token.authenticate", "unidentified",
    )  # fmt: skip
    assert (aggregate.error or "").startswith(
        "2 more denied attempts not itemised (over the denial audit budget) between "
    )


async def test_a_signed_in_caller_spends_its_own_budget_not_its_address(
    make_settings: MakeSettings,
) -> None:
    settings = make_settings(denial_audit_limit="2/minute")
    async with running_app(settings) as running:
        first = await create_api_token(running, Role.viewer, name="one")
        second = await create_api_token(running, Role.viewer, name="two")
        for secret in (first, first, first, second):
            answer = await running.client.post(
                "/api/v1/tokens",
                json={"name": "x", "role": "admin"},
                headers={"Authorization": f"Bearer {secret}"},
            )
            assert answer.status_code == 403
        rows = await audit_rows(running, outcome="denied")
        pending = len(running.app.state.security.denial_tallies)
    assert sorted(row.actor for row in rows) == ["token:one", "token:one", "token:two"]
    assert pending == 1
