"""SIGTERM to one of two portal replicas (a rolling update, a node drain): its browser streams
end at once and reconnect to the other replica, an operator action in flight finishes (cluster
change, audit row, the client's answer) before the process exits. The Lease hand-over after
SIGTERM is measured in test_replicas.py::test_a_leader_shut_down_hands_over_at_once."""

from __future__ import annotations

import asyncio
import signal
import statistics
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest

from portal.security.roles import Role
from portal.serving import GRACEFUL_SHUTDOWN_SECONDS
from tests.support import objects
from tests.support.waiting import wait_until

from .replicas import Fleet, Replica, leader_among

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(600)]

STREAMS = 20
HELLO = ["retry: 3000", "event: hello", "data: subscribed"]
STREAMS_END_WITHIN = 2.0
"""Seconds from SIGTERM to the last of the open streams ending (uvicorn alone: the 10 s
graceful timeout, then a cancellation)."""
CANARY_PATH = "/apis/flagger.app/v1beta1/namespaces/shop/canaries/web"


async def _hello(lines: AsyncIterator[str]) -> list[str]:
    return [await anext(lines) for _ in range(len(HELLO))]


async def _accepts_connections(replica: Replica) -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", replica.port)
    except OSError:
        return False
    writer.close()
    await writer.wait_closed()
    return True


async def test_sigterm_ends_streams_at_once_and_browsers_reconnect_to_the_other_replica(
    fleet: Fleet,
) -> None:
    leader = await leader_among(fleet.replicas)
    survivor = next(r for r in fleet.replicas if r is not leader)
    headers = {"Authorization": f"Bearer {await fleet.token(Role.viewer)}"}
    limits = httpx.Limits(max_connections=STREAMS * 2)
    async with AsyncExitStack() as stack:
        client = await stack.enter_async_context(
            httpx.AsyncClient(headers=headers, timeout=30, limits=limits)
        )
        lines = []
        for _ in range(STREAMS):
            stream = await stack.enter_async_context(
                client.stream("GET", f"{leader.url}/stream", params={"page": "canaries"})
            )
            assert stream.status_code == 200
            lines.append(stream.aiter_lines())
        assert [await _hello(each) for each in lines] == [HELLO] * STREAMS

        async def until_the_end(each: AsyncIterator[str]) -> tuple[list[str], float]:
            rest = [line async for line in each]
            return rest, time.monotonic()

        ends = [asyncio.create_task(until_the_end(each)) for each in lines]
        assert leader.process is not None
        signalled = time.monotonic()
        leader.process.send_signal(signal.SIGTERM)
        ended = await asyncio.wait_for(asyncio.gather(*ends), timeout=GRACEFUL_SHUTDOWN_SECONDS)
        code = await asyncio.wait_for(leader.process.wait(), timeout=GRACEFUL_SHUTDOWN_SECONDS)
        exited = time.monotonic() - signalled
        # the browsers' EventSource reconnects (retry: 3000); the Service sends it elsewhere
        again = []
        for _ in range(STREAMS):
            stream = await stack.enter_async_context(
                client.stream("GET", f"{survivor.url}/stream", params={"page": "canaries"})
            )
            again.append(await _hello(stream.aiter_lines()))
    seconds = [at - signalled for _, at in ended]
    print(
        f"\n{STREAMS} streams ended {statistics.median(seconds):.2f} s (median), "
        f"{max(seconds):.2f} s (last) after SIGTERM; process exited after {exited:.2f} s"
    )
    assert [rest for rest, _ in ended] == [[""]] * STREAMS  # a clean end of each response
    assert max(seconds) < STREAMS_END_WITHIN, seconds
    assert code == -signal.SIGTERM
    assert again == [HELLO] * STREAMS


async def test_an_action_in_flight_at_sigterm_finishes_and_is_audited(fleet: Fleet) -> None:
    fleet.dc.objects.put(objects.deployment("web", "shop", image="registry/web:1"))
    fleet.dc.objects.put(objects.canary("web", "shop"))
    operator = {"Authorization": f"Bearer {await fleet.token(Role.operator)}"}
    path = "/api/v1/canaries/devcluster/shop/web"
    async with httpx.AsyncClient(headers=operator, timeout=30) as client:
        for replica in fleet.replicas:

            async def sees_the_canary(replica: Replica = replica) -> bool:
                return (await client.get(f"{replica.url}{path}")).status_code == 200

            await wait_until(sees_the_canary, within=20, what=f"{replica.identity} sees web")
        stopping, survivor = fleet.replicas
        hold = fleet.dc.faults.hold_next_request(method="PATCH", path_prefix=CANARY_PATH)
        action = asyncio.create_task(
            client.post(f"{stopping.url}{path}/pause", json={"reason": "incident 42"})
        )
        async with asyncio.timeout(20):
            await hold.arrived.wait()  # the portal's patch is at the API server, unanswered
        assert stopping.process is not None
        signalled = time.monotonic()
        stopping.process.send_signal(signal.SIGTERM)

        async def refuses_new_connections() -> bool:
            return not await _accepts_connections(stopping)

        await wait_until(refuses_new_connections, within=5, what="the listener to close")
        assert not action.done()  # shutting down, the action still in flight
        hold.release()
        answer = await asyncio.wait_for(action, timeout=GRACEFUL_SHUTDOWN_SECONDS)
        answered = time.monotonic() - signalled
        code = await asyncio.wait_for(stopping.process.wait(), timeout=GRACEFUL_SHUTDOWN_SECONDS)
        audit = await client.get(
            f"{survivor.url}/api/v1/audit", params={"action": "pause", "name": "web"}
        )
    print(f"\naction held {answered:.2f} s past SIGTERM, answered 202, then the process exited")
    assert answer.status_code == 202, answer.text
    record = answer.json()
    assert (record["outcome"], record["detail"]) == ("applied", "paused (spec.suspend: true)")
    assert code == -signal.SIGTERM
    canary = fleet.dc.objects.get("flagger.app/v1beta1", "Canary", name="web", namespace="shop")
    assert canary["spec"]["suspend"] is True
    assert audit.status_code == 200
    assert [(e["id"], e["outcome"], e["reason"]) for e in audit.json()] == [
        (record["audit_id"], "applied", "incident 42")
    ]
