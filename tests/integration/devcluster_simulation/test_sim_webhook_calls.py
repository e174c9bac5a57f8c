"""Flagger's webhook pass rule and retry policy, over real HTTP to a recording gate server."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import httpx
import pytest

from devcluster.simulation.canary_model import Webhook
from devcluster.simulation.canary_ticks import HookAnswer, HookCall
from devcluster.simulation.webhook_calls import WebhookCaller
from tests.integration.devcluster_simulation.support import GateServer


@pytest.fixture
async def caller() -> AsyncIterator[WebhookCaller]:
    async with httpx.AsyncClient() as http:
        yield WebhookCaller(http=http, time_scale=1000.0)


async def call(caller: WebhookCaller, url: str, retries: int = 0) -> HookAnswer:
    hook = Webhook(name="gate", type="confirm-rollout", url=url, retries=retries)
    request = HookCall(hook=hook, phase="Progressing", checksum="abc")
    return await caller.call(call=request, name="web", namespace="shop")


@pytest.mark.parametrize(
    ("status", "passed"),
    [(200, True), (201, True), (202, True), (203, False), (204, False), (403, False)],
)
async def test_only_200_to_202_pass(
    caller: WebhookCaller, gates: GateServer, status: int, passed: bool
) -> None:
    gates.answer("/gate", status, "held: change freeze")
    answer = await call(caller, f"{gates.url}/gate", retries=3)
    assert answer.passed is passed
    assert len(gates.calls_to("/gate")) == 1


async def test_refusal_body_is_kept_for_the_halt_event(
    caller: WebhookCaller, gates: GateServer
) -> None:
    gates.answer("/gate", 409, "waiting for operator approval")
    assert await call(caller, f"{gates.url}/gate") == HookAnswer(
        passed=False, message="waiting for operator approval"
    )


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_retryable_failures_are_retried_then_lose_the_body(
    caller: WebhookCaller, gates: GateServer, status: int
) -> None:
    gates.answer("/gate", status, "overloaded")
    answer = await call(caller, f"{gates.url}/gate", retries=2)
    message = f"POST {gates.url}/gate giving up after 3 attempt(s)"
    assert answer == HookAnswer(passed=False, message=message)
    assert len(gates.calls_to("/gate")) == 3


async def test_not_implemented_is_not_retried(caller: WebhookCaller, gates: GateServer) -> None:
    gates.answer("/gate", 501, "no")
    assert not (await call(caller, f"{gates.url}/gate", retries=2)).passed
    assert len(gates.calls_to("/gate")) == 1


async def test_without_retries_a_server_error_is_called_once_and_loses_its_body(
    caller: WebhookCaller, gates: GateServer
) -> None:
    """go-retryablehttp gives up after the one attempt and drops the 5xx body (issue 10.9)."""
    gates.answer("/gate", 500, "boom")
    message = f"POST {gates.url}/gate giving up after 1 attempt(s)"
    assert await call(caller, f"{gates.url}/gate") == HookAnswer(passed=False, message=message)
    assert len(gates.calls_to("/gate")) == 1


async def test_unreachable_hook_fails_closed(caller: WebhookCaller) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    answer = await call(caller, f"http://127.0.0.1:{port}/gate", retries=1)
    assert not answer.passed
    prefix = f"POST http://127.0.0.1:{port}/gate giving up after 2 attempt(s): ConnectError: "
    assert answer.message.startswith(prefix)
