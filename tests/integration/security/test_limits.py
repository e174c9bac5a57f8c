"""Abuse limits: body size (413, however the body arrives) and rate limits (429 + Retry-After)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from portal.security.roles import Role
from tests.integration.security.conftest import MakeSettings
from tests.support.apps import create_api_token, csrf_headers, running_app
from tests.support.waiting import wait_until

LIMIT = 1000


async def chunks(total: int, size: int = 256) -> AsyncIterator[bytes]:
    for start in range(0, total, size):
        yield b"x" * min(size, total - start)


@pytest.fixture
def small_bodies(make_settings: MakeSettings):  # type: ignore[no-untyped-def]
    return make_settings(auth_mode="local", max_body_bytes=LIMIT, max_webhook_body_bytes=5 * LIMIT)


async def test_a_declared_oversized_body_is_413_before_it_is_read(small_bodies) -> None:  # type: ignore[no-untyped-def]
    async with running_app(small_bodies) as running:
        response = await running.client.post(
            "/api/v1/tokens",
            content=b"x" * (LIMIT + 1),
            headers={**await csrf_headers(running.client), "Content-Type": "application/json"},
        )
    assert response.status_code == 413
    assert response.json() == {"detail": f"request body larger than {LIMIT} bytes"}


async def test_a_chunked_body_that_grows_too_large_is_413(small_bodies) -> None:  # type: ignore[no-untyped-def]
    async with running_app(small_bodies) as running:
        headers = {**await csrf_headers(running.client), "Content-Type": "application/json"}
        response = await running.client.post(
            "/api/v1/tokens", content=chunks(LIMIT * 3), headers=headers
        )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert response.json() == {"detail": f"request body larger than {LIMIT} bytes"}


async def test_a_body_longer_than_its_content_length_is_413(small_bodies) -> None:  # type: ignore[no-untyped-def]
    async with running_app(small_bodies) as running:
        headers = {
            **await csrf_headers(running.client),
            "Content-Type": "application/json",
            "Content-Length": "10",
        }
        response = await running.client.post(
            "/api/v1/tokens", content=chunks(LIMIT * 3), headers=headers
        )
    assert response.status_code == 413


async def test_an_oversized_form_is_413_even_while_csrf_reads_it(small_bodies) -> None:  # type: ignore[no-untyped-def]
    async with running_app(small_bodies) as running:
        response = await running.client.post(
            "/admin/tokens",
            content=chunks(LIMIT * 3),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert response.status_code == 413


async def test_github_webhooks_get_the_larger_limit(small_bodies) -> None:  # type: ignore[no-untyped-def]
    async with running_app(small_bodies) as running:
        allowed = await running.client.post("/webhooks/github", content=b"x" * (3 * LIMIT))
        refused = await running.client.post("/webhooks/github", content=b"x" * (5 * LIMIT + 1))
    assert allowed.status_code != 413
    assert refused.status_code == 413
    assert refused.json() == {"detail": f"request body larger than {5 * LIMIT} bytes"}


async def test_canary_actions_are_rate_limited_per_user(make_settings: MakeSettings) -> None:
    settings = make_settings(auth_mode="local", rate_limit_actions="2/minute")
    async with running_app(settings) as running:
        headers = await csrf_headers(running.client)
        path = "/api/v1/canaries/prod/shop/web/pause"
        first = [
            (await running.client.post(path, json={"reason": "r"}, headers=headers)).status_code
            for _ in range(2)
        ]
        limited = await running.client.post(path, json={"reason": "r"}, headers=headers)
        other_user = await create_api_token(running, Role.operator)
        theirs = await running.client.post(
            path, json={"reason": "r"}, headers={"Authorization": f"Bearer {other_user}"}
        )
        reads = await running.client.get("/api/v1/audit")
    assert 429 not in first
    assert limited.status_code == 429
    retry_after = int(limited.headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert limited.json() == {"detail": f"too many requests; try again in {retry_after} s"}
    assert theirs.status_code != 429
    assert reads.status_code == 200


async def test_webhook_endpoints_are_rate_limited_per_source(make_settings: MakeSettings) -> None:
    async with running_app(make_settings(rate_limit_webhooks="3/minute")) as running:
        statuses = [
            (await running.client.post("/flagger/events", json={})).status_code for _ in range(4)
        ]
        async with running.client_from("192.0.2.20") as elsewhere:
            other = await elsewhere.post("/flagger/events", json={})
    assert statuses[3] == 429
    assert 429 not in statuses[:3]
    assert other.status_code != 429


async def test_token_use_is_rate_limited_per_token(make_settings: MakeSettings) -> None:
    async with running_app(make_settings(rate_limit_tokens="2/minute")) as running:
        secret = await create_api_token(running, Role.viewer)
        headers = {"Authorization": f"Bearer {secret}"}
        statuses = [
            (await running.client.get("/api/v1/audit", headers=headers)).status_code
            for _ in range(3)
        ]
    assert statuses == [200, 200, 429]


async def test_the_browser_action_route_shares_the_per_user_action_limit(
    make_settings: MakeSettings,
) -> None:
    """Attack: the form route `/canaries/.../actions/{action}` used to skip the action limit."""
    settings = make_settings(auth_mode="local", rate_limit_actions="2/minute")
    async with running_app(settings) as running:
        headers = await csrf_headers(running.client)
        form = {"reason": "r", "csrf_token": headers["X-CSRF-Token"]}
        api = await running.client.post(
            "/api/v1/canaries/prod/shop/web/pause", json={"reason": "r"}, headers=headers
        )
        page = await running.client.post("/canaries/prod/shop/web/actions/pause", data=form)
        limited = await running.client.post("/canaries/prod/shop/web/actions/resume", data=form)
    assert api.status_code != 429
    assert page.status_code != 429
    assert limited.status_code == 429
    assert limited.headers["retry-after"].isdigit()


async def test_a_request_past_the_in_flight_bound_is_503_at_once_and_probes_still_answer(
    make_settings: MakeSettings,
) -> None:
    """Admission control: with one request inside (its body still arriving), the next is
    refused 503 with Retry-After before it costs anything; probes are not counted; once the
    first is done, requests are served again."""
    released = asyncio.Event()

    async def held_body() -> AsyncIterator[bytes]:
        yield b'{"zen": '
        await released.wait()
        yield b'"held"}'

    settings = make_settings(auth_mode="local", max_requests_in_flight=1)
    async with running_app(settings) as running:
        client = running.client
        first = asyncio.create_task(
            client.post(
                "/webhooks/github",
                content=held_body(),
                headers={"X-GitHub-Event": "ping", "Content-Type": "application/json"},
            )
        )
        admission = running.app.state.admission
        await wait_until(lambda: admission.in_flight == 1, what="the first request inside")
        refused = await client.get("/api/v1/freezes")
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "1"
        assert refused.json() == {"detail": "overloaded: 1 requests in progress; try again in 1 s"}
        assert (await client.get("/healthz")).status_code == 200
        released.set()
        assert (await first).status_code == 401  # served in full: no webhook secret is set
        assert (await client.get("/api/v1/freezes")).status_code == 200
        assert (admission.in_flight, admission.refused) == (0, 1)
        metrics = (await client.get("/metrics")).text
        assert "portal_requests_in_flight 0.0" in metrics.splitlines()
        assert "portal_requests_refused_overloaded_total 1.0" in metrics.splitlines()
