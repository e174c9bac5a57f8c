"""The watch protocol: replay, live events, selectors, bookmarks, timeouts and 410 Gone."""

from __future__ import annotations

import asyncio
import json

import httpx

from devcluster.harness import DevCluster, serve_devcluster
from tests.integration.devcluster.manifests import CANARIES, canary
from tests.integration.devcluster.watch_reading import next_event, remaining_events, stream

MERGE = {"content-type": "application/merge-patch+json"}


async def _suspend(api: httpx.AsyncClient, name: str, value: bool) -> None:
    await api.patch(
        f"{CANARIES}/{name}", content=json.dumps({"spec": {"suspend": value}}), headers=MERGE
    )


async def test_watch_from_list_version_sees_only_later_changes(api: httpx.AsyncClient) -> None:
    await api.post(CANARIES, json=canary("a"))
    listed = (await api.get(CANARIES)).json()["metadata"]["resourceVersion"]
    async with stream(api, CANARIES, resourceVersion=listed) as response:
        lines = response.aiter_lines()
        await _suspend(api, "a", True)
        event = await next_event(lines)
    assert response.headers["content-type"] == "application/json"
    assert response.headers["transfer-encoding"] == "chunked"
    assert event["type"] == "MODIFIED"
    assert event["object"]["spec"]["suspend"] is True
    assert int(event["object"]["metadata"]["resourceVersion"]) > int(listed)


async def test_watch_without_version_starts_with_synthetic_added_events(
    api: httpx.AsyncClient,
) -> None:
    await api.post(CANARIES, json=canary("a"))
    await api.post(CANARIES, json=canary("b"))
    async with stream(api, CANARIES) as response:
        lines = response.aiter_lines()
        first, second = await next_event(lines), await next_event(lines)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in (first, second)] == [
        ("ADDED", "a"),
        ("ADDED", "b"),
    ]


async def test_watch_replays_history_after_the_given_version(api: httpx.AsyncClient) -> None:
    start = (await api.get(CANARIES)).json()["metadata"]["resourceVersion"]
    await api.post(CANARIES, json=canary("a"))
    await api.delete(f"{CANARIES}/a")
    async with stream(api, CANARIES, resourceVersion=start, timeoutSeconds="1") as response:
        events = await remaining_events(response.aiter_lines())
    assert [e["type"] for e in events] == ["ADDED", "DELETED"]


async def test_watch_ends_after_timeout_seconds(api: httpx.AsyncClient) -> None:
    async with stream(api, CANARIES, resourceVersion="1", timeoutSeconds="1") as response:
        events = await remaining_events(response.aiter_lines(), within=5)
    assert events == []


async def test_label_selector_watch_sees_object_leave_as_deleted(api: httpx.AsyncClient) -> None:
    body = canary("a")
    body["metadata"]["labels"] = {"team": "x"}
    await api.post(CANARIES, json=body)
    async with stream(api, CANARIES, labelSelector="team=x") as response:
        lines = response.aiter_lines()
        added = await next_event(lines)
        await api.patch(
            f"{CANARIES}/a",
            content=json.dumps({"metadata": {"labels": {"team": "y"}}}),
            headers=MERGE,
        )
        left = await next_event(lines)
    assert (added["type"], left["type"]) == ("ADDED", "DELETED")
    assert left["object"]["metadata"]["labels"] == {"team": "y"}


async def test_namespaced_watch_ignores_other_namespaces(
    cluster: DevCluster, api: httpx.AsyncClient
) -> None:
    cluster.objects.put({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "other"}})
    start = (await api.get(CANARIES)).json()["metadata"]["resourceVersion"]
    async with stream(api, CANARIES, resourceVersion=start) as response:
        lines = response.aiter_lines()
        other = canary("elsewhere")
        other["metadata"]["namespace"] = "other"
        await api.post("/apis/flagger.app/v1beta1/namespaces/other/canaries", json=other)
        await api.post(CANARIES, json=canary("here"))
        event = await next_event(lines)
    assert event["object"]["metadata"]["name"] == "here"


async def test_too_old_version_gets_410_expired_error_event() -> None:
    async with (
        serve_devcluster(simulate=False, history_size=2) as cluster,
        httpx.AsyncClient(base_url=cluster.url) as api,
    ):
        start = (await api.get(CANARIES)).json()["metadata"]["resourceVersion"]
        for name in ("a", "b", "c"):
            await api.post(CANARIES, json=canary(name))
        async with stream(api, CANARIES, resourceVersion=start) as response:
            events = await remaining_events(response.aiter_lines())
    floor = int(start) + 1
    assert response.status_code == 200
    assert events == [
        {
            "type": "ERROR",
            "object": {
                "kind": "Status",
                "apiVersion": "v1",
                "metadata": {},
                "status": "Failure",
                "message": f"too old resource version: {start} ({floor})",
                "reason": "Expired",
                "code": 410,
            },
        }
    ]


async def test_bookmarks_carry_the_current_resource_version() -> None:
    async with (
        serve_devcluster(simulate=False, bookmark_interval=0.2) as cluster,
        httpx.AsyncClient(base_url=cluster.url) as api,
    ):
        start = (await api.get(CANARIES)).json()["metadata"]["resourceVersion"]
        async with stream(
            api, CANARIES, resourceVersion=start, allowWatchBookmarks="true"
        ) as response:
            event = await next_event(response.aiter_lines())
    assert event == {
        "type": "BOOKMARK",
        "object": {
            "kind": "Canary",
            "apiVersion": "flagger.app/v1beta1",
            "metadata": {"resourceVersion": start, "creationTimestamp": None},
        },
    }


async def test_table_watch_events_carry_one_row(api: httpx.AsyncClient) -> None:
    await api.post(CANARIES, json=canary("a"))
    headers = {"accept": "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"}
    async with api.stream("GET", CANARIES, params={"watch": "1"}, headers=headers) as response:
        event = await next_event(response.aiter_lines())
    assert event["type"] == "ADDED"
    assert event["object"]["kind"] == "Table"
    assert [row["cells"][0] for row in event["object"]["rows"]] == ["a"]


async def test_client_disconnect_releases_the_watch(
    cluster: DevCluster, api: httpx.AsyncClient
) -> None:
    await api.post(CANARIES, json=canary("a"))
    async with stream(api, CANARIES) as response:
        await next_event(response.aiter_lines())
        opened = cluster.store.watches.count("canaries.flagger.app")
    await cluster.store.wait_for_watchers(count=0, resource="canaries.flagger.app", within=5)
    assert opened == 1
    assert cluster.store.watcher_count == 0


async def test_version_from_the_future_is_too_large(
    cluster: DevCluster, api: httpx.AsyncClient
) -> None:
    """A resourceVersion this store never reached (say, from before a restart) is refused."""
    future = str(cluster.store.revision + 1000)
    async with stream(api, CANARIES, resourceVersion=future) as response:
        events = await remaining_events(response.aiter_lines())
    listed = await api.get(CANARIES, params={"resourceVersion": future})
    expected = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": (
            f"Timeout: Too large resource version: {future}, current: {cluster.store.revision}"
        ),
        "reason": "Timeout",
        "details": {
            "causes": [
                {"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}
            ],
            "retryAfterSeconds": 1,
        },
        "code": 504,
    }
    assert events == [{"type": "ERROR", "object": expected}]
    assert listed.status_code == 504
    assert listed.json() == expected


async def test_no_op_patch_keeps_the_version_and_sends_no_event(api: httpx.AsyncClient) -> None:
    await api.post(CANARIES, json=canary("a"))
    first = await api.patch(
        f"{CANARIES}/a", content=json.dumps({"spec": {"suspend": True}}), headers=MERGE
    )
    version = first.json()["metadata"]["resourceVersion"]
    async with stream(api, CANARIES, resourceVersion=version, timeoutSeconds="1") as response:
        again = await api.patch(
            f"{CANARIES}/a", content=json.dumps({"spec": {"suspend": True}}), headers=MERGE
        )
        events = await remaining_events(response.aiter_lines())
    assert again.json()["metadata"]["resourceVersion"] == version
    assert events == []


async def test_concurrent_writers_are_seen_in_resource_version_order(
    cluster: DevCluster, api: httpx.AsyncClient
) -> None:
    names = [f"c{i}" for i in range(5)]
    for name in names:
        cluster.objects.put(canary(name))
    start = cluster.store.revision

    async def writer(name: str) -> None:
        for step in range(10):
            patch = {"metadata": {"annotations": {"step": str(step)}}}
            response = await api.patch(
                f"{CANARIES}/{name}", content=json.dumps(patch), headers=MERGE
            )
            response.raise_for_status()

    async with stream(api, CANARIES, resourceVersion=str(start)) as response:
        lines = response.aiter_lines()
        await asyncio.gather(*(writer(name) for name in names))
        events = [await next_event(lines) for _ in range(50)]
    versions = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert versions == list(range(start + 1, start + 51))
    final = {
        e["object"]["metadata"]["name"]: e["object"]["metadata"]["annotations"]["step"]
        for e in events
    }
    assert final == dict.fromkeys(names, "9")
