"""Fault injection through the Python API and the admin HTTP endpoints."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from devcluster.harness import DevCluster
from tests.integration.devcluster.manifests import CANARIES, canary
from tests.integration.devcluster.watch_reading import next_event, remaining_events, stream


async def test_429_fault_answers_with_retry_after_then_recovers(
    cluster: DevCluster, api: httpx.AsyncClient
) -> None:
    cluster.faults.fail_next_requests(count=1, status=429, retry_after=3)
    limited = await api.get(CANARIES)
    after = await api.get(CANARIES)
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "3"
    assert limited.json()["reason"] == "TooManyRequests"
    assert limited.json()["details"] == {"retryAfterSeconds": 3}
    assert after.status_code == 200


async def test_500_fault_only_hits_its_path_prefix(
    cluster: DevCluster, api: httpx.AsyncClient
) -> None:
    cluster.faults.fail_next_requests(count=2, status=500, path_prefix="/apis/flagger.app")
    other = await api.get("/api/v1/namespaces")
    hits = [(await api.get(CANARIES)).status_code for _ in range(3)]
    assert other.status_code == 200
    assert hits == [500, 500, 200]


async def test_slow_fault_delays_the_answer(cluster: DevCluster, api: httpx.AsyncClient) -> None:
    cluster.faults.slow_next_requests(count=1, delay_seconds=0.3)
    started = time.monotonic()
    response = await api.get(CANARIES)
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3


async def test_a_held_request_is_answered_only_after_its_release(
    cluster: DevCluster, api: httpx.AsyncClient
) -> None:
    hold = cluster.faults.hold_next_request(method="GET", path_prefix="/apis/flagger.app")
    other = await api.get("/api/v1/namespaces")
    held = asyncio.create_task(api.get(CANARIES))
    async with asyncio.timeout(10):
        await hold.arrived.wait()
    assert (other.status_code, hold.path, held.done()) == (200, CANARIES, False)
    hold.release()
    assert (await held).status_code == 200
    assert (await api.get(CANARIES)).status_code == 200


async def test_close_watches_ends_open_streams(cluster: DevCluster, api: httpx.AsyncClient) -> None:
    await api.post(CANARIES, json=canary())
    async with stream(api, CANARIES) as response:
        lines = response.aiter_lines()
        await next_event(lines)
        closed = cluster.faults.close_watches()
        rest = await remaining_events(lines)
    assert closed == 1
    assert rest == []


async def test_admin_endpoint_queues_failures(cluster: DevCluster, api: httpx.AsyncClient) -> None:
    queued = await api.post("/devcluster/admin/faults/fail", json={"count": 1, "status": 503})
    failed = await api.get(CANARIES)
    assert queued.status_code == 200
    assert failed.status_code == 503


async def test_admin_expire_makes_next_watch_get_410(
    cluster: DevCluster, api: httpx.AsyncClient
) -> None:
    await api.post("/devcluster/admin/watches/expire", json={"count": 1})
    async with stream(api, CANARIES, resourceVersion="1") as response:
        events = await remaining_events(response.aiter_lines())
    assert [(e["type"], e["object"]["code"], e["object"]["reason"]) for e in events] == [
        ("ERROR", 410, "Expired")
    ]


@pytest.mark.parametrize(
    "body",
    [{"count": -1}, {"count": "x"}, {"count": 1, "status": 404}, {"count": 1, "path_prefix": 3}],
)
async def test_admin_rejects_bad_fault_input_with_400(
    api: httpx.AsyncClient, body: dict[str, object]
) -> None:
    response = await api.post("/devcluster/admin/faults/fail", json=body)
    assert response.status_code == 400
    assert response.json()["reason"] == "BadRequest"


async def test_admin_request_log_lists_calls(api: httpx.AsyncClient) -> None:
    await api.delete("/devcluster/admin/requests")
    await api.get(CANARIES)
    log = (await api.get("/devcluster/admin/requests", params={"path_prefix": "/apis/"})).json()
    assert log == {
        "requests": [
            {
                "method": "GET",
                "path": CANARIES,
                "query": "",
                "status": 200,
                "user": "",
                "user_agent": f"python-httpx/{httpx.__version__}",
            }
        ]
    }


async def test_stop_refuses_connections_and_start_comes_back_with_the_data(
    cluster: DevCluster,
) -> None:
    cluster.objects.put(canary())
    url = cluster.url
    await cluster.stop()
    async with httpx.AsyncClient(base_url=url, timeout=5) as api:
        with pytest.raises(httpx.ConnectError):
            await api.get(CANARIES)
        await cluster.start()
        response = await api.get(f"{CANARIES}/podinfo")
    assert cluster.url == url
    assert response.status_code == 200


async def test_admin_down_goes_away_and_returns_on_the_same_port(cluster: DevCluster) -> None:
    async with httpx.AsyncClient(base_url=cluster.url, timeout=5) as api:
        answer = await api.post("/devcluster/admin/down", json={"seconds": 0.3})
        async with asyncio.timeout(5):
            await cluster.server.wait_down()
        with pytest.raises(httpx.ConnectError):
            await api.get(CANARIES)
        async with asyncio.timeout(5):
            await cluster.server.wait_up()
        back = await api.get(CANARIES)
    assert answer.json() == {"down_for_seconds": 0.3}
    assert back.status_code == 200


async def _lines_until_the_stream_ends(lines: AsyncIterator[str]) -> list[str]:
    async with asyncio.timeout(5):
        return [line async for line in lines]


@pytest.mark.parametrize("mode", ["abort", "end"])
async def test_a_cut_event_sends_half_its_line_and_a_rewatch_gets_it_whole(
    cluster: DevCluster, api: httpx.AsyncClient, mode: str
) -> None:
    created = (await api.post(CANARIES, json=canary("a"))).json()
    version = created["metadata"]["resourceVersion"]
    async with stream(api, CANARIES, resourceVersion="0") as response:
        lines = response.aiter_lines()
        assert (await next_event(lines))["object"]["metadata"]["name"] == "a"
        answer = await api.post("/devcluster/admin/watches/cut", json={"count": 1, "mode": mode})
        await api.post(CANARIES, json=canary("b"))
        if mode == "abort":
            with pytest.raises(httpx.RemoteProtocolError):
                await _lines_until_the_stream_ends(lines)
        else:
            rest = await _lines_until_the_stream_ends(lines)
    async with stream(api, CANARIES, resourceVersion=version) as again:
        whole = await anext(again.aiter_lines())
    assert answer.json() == {"cut_next_watch_events": 1}
    assert json.loads(whole)["object"]["metadata"]["name"] == "b"
    if mode == "end":
        assert rest == [whole[: (len(whole) + 1) // 2]]
    assert cluster.faults.event_cuts == []


async def test_admin_cut_refuses_an_unknown_mode(api: httpx.AsyncClient) -> None:
    response = await api.post("/devcluster/admin/watches/cut", json={"count": 1, "mode": "x"})
    assert (response.status_code, response.json()["message"]) == (
        400,
        "mode must be abort or end, got 'x'",
    )
