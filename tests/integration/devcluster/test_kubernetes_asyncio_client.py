"""kubernetes-asyncio (the portal's client) against devcluster, via the harness's kubeconfig."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator

import pytest
from kubernetes_asyncio import client, config, watch
from kubernetes_asyncio.client.exceptions import ApiException
from kubernetes_asyncio.leaderelection import electionconfig, leaderelection
from kubernetes_asyncio.leaderelection.resourcelock.leaselock import LeaseLock

from devcluster.harness import DevCluster, serve_devcluster
from tests.integration.devcluster.manifests import canary

GROUP, VERSION, PLURAL = "flagger.app", "v1beta1", "canaries"


@pytest.fixture
async def api_client(cluster: DevCluster) -> AsyncIterator[client.ApiClient]:
    api = await config.new_client_from_config(config_file=str(cluster.kubeconfig))
    try:
        yield api
    finally:
        await api.close()


MERGE = "application/merge-patch+json"


async def test_custom_objects_api_creates_lists_and_merge_patches(
    api_client: client.ApiClient,
) -> None:
    custom = client.CustomObjectsApi(api_client)
    await custom.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, canary())
    await custom.patch_namespaced_custom_object(
        GROUP,
        VERSION,
        "default",
        PLURAL,
        "podinfo",
        {"spec": {"suspend": True}},
        field_manager="infra-fleet-portal",
        _content_type=MERGE,
    )
    listed = await custom.list_cluster_custom_object(GROUP, VERSION, PLURAL)
    assert [i["metadata"]["name"] for i in listed["items"]] == ["podinfo"]
    assert listed["items"][0]["spec"]["suspend"] is True
    managers = [e["manager"] for e in listed["items"][0]["metadata"]["managedFields"]]
    assert "infra-fleet-portal" in managers


async def test_dict_patch_without_content_type_is_sent_as_json_patch_and_refused(
    api_client: client.ApiClient,
) -> None:
    """The client picks application/json-patch+json for custom objects: a dict body is a 400."""
    custom = client.CustomObjectsApi(api_client)
    await custom.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, canary())
    with pytest.raises(ApiException) as raised:
        await custom.patch_namespaced_custom_object(
            GROUP, VERSION, "default", PLURAL, "podinfo", {"spec": {"suspend": True}}
        )
    assert raised.value.status == 400
    assert json.loads(raised.value.body)["reason"] == "BadRequest"


async def test_custom_objects_status_patch_goes_to_status_subresource(
    api_client: client.ApiClient,
) -> None:
    custom = client.CustomObjectsApi(api_client)
    await custom.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, canary())
    patched = await custom.patch_namespaced_custom_object_status(
        GROUP,
        VERSION,
        "default",
        PLURAL,
        "podinfo",
        {"status": {"phase": "Progressing", "canaryWeight": 10}},
        _content_type=MERGE,
    )
    assert patched["status"] == {"phase": "Progressing", "canaryWeight": 10}


async def test_core_v1_api_reads_namespaces_typed_and_raw(api_client: client.ApiClient) -> None:
    core = client.CoreV1Api(api_client)
    typed = await core.list_namespace()
    raw = await core.list_namespace(_preload_content=False)
    body = json.loads(await raw.read())
    assert sorted(n.metadata.name for n in typed.items) == [
        "default",
        "kube-node-lease",
        "kube-public",
        "kube-system",
    ]
    assert body["kind"] == "NamespaceList"
    assert typed.metadata.resource_version == body["metadata"]["resourceVersion"]


async def test_core_v1_api_not_found_is_api_exception_404(api_client: client.ApiClient) -> None:
    core = client.CoreV1Api(api_client)
    with pytest.raises(ApiException) as raised:
        await core.read_namespaced_pod("ghost", "default")
    assert raised.value.status == 404
    assert json.loads(raised.value.body)["reason"] == "NotFound"


async def test_watch_streams_custom_object_changes(api_client: client.ApiClient) -> None:
    custom = client.CustomObjectsApi(api_client)
    listed = await custom.list_namespaced_custom_object(GROUP, VERSION, "default", PLURAL)
    await custom.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, canary())
    async with watch.Watch() as stream:
        events = stream.stream(
            custom.list_namespaced_custom_object,
            GROUP,
            VERSION,
            "default",
            PLURAL,
            resource_version=listed["metadata"]["resourceVersion"],
            timeout_seconds=5,
        )
        event = await anext(events)
    assert event["type"] == "ADDED"
    assert event["object"]["metadata"]["name"] == "podinfo"


async def test_watch_raises_api_exception_410_for_expired_version() -> None:
    """kubernetes-asyncio's Watch turns the 410 ERROR event into ApiException(status=410).

    With `timeout_seconds` it raises at once; without, it reconnects once with the same
    resourceVersion, gets 410 again and then raises: relisting is the caller's job.
    """
    async with serve_devcluster(simulate=False, history_size=1) as cluster:
        api = await config.new_client_from_config(config_file=str(cluster.kubeconfig))
        try:
            custom = client.CustomObjectsApi(api)
            start = (await custom.list_cluster_custom_object(GROUP, VERSION, PLURAL))["metadata"][
                "resourceVersion"
            ]
            for name in ("a", "b"):
                await custom.create_namespaced_custom_object(
                    GROUP, VERSION, "default", PLURAL, canary(name)
                )
            for kwargs in ({"timeout_seconds": 5}, {}):
                cluster.requests.clear()
                async with watch.Watch() as stream:
                    events = stream.stream(
                        custom.list_cluster_custom_object,
                        GROUP,
                        VERSION,
                        PLURAL,
                        resource_version=start,
                        **kwargs,
                    )
                    with pytest.raises(ApiException) as raised:
                        await anext(events)
                assert raised.value.status == 410
                assert raised.value.reason.startswith("Expired: too old resource version")
                assert cluster.requests.count(watch=True) == (1 if kwargs else 2)
        finally:
            await api.close()


async def test_injected_410_reaches_the_client_as_expired(
    cluster: DevCluster, api_client: client.ApiClient
) -> None:
    custom = client.CustomObjectsApi(api_client)
    start = (await custom.list_cluster_custom_object(GROUP, VERSION, PLURAL))["metadata"][
        "resourceVersion"
    ]
    cluster.faults.expire_next_watches(1)
    async with watch.Watch() as stream:
        events = stream.stream(
            custom.list_cluster_custom_object,
            GROUP,
            VERSION,
            PLURAL,
            resource_version=start,
            timeout_seconds=5,
        )
        with pytest.raises(ApiException) as raised:
            await anext(events)
    assert raised.value.status == 410


async def test_leader_election_lease_lock_acquires_a_lease(
    cluster: DevCluster, api_client: client.ApiClient
) -> None:
    """The portal's singleton jobs elect a leader with kubernetes-asyncio's LeaseLock."""
    leading = asyncio.Event()

    async def on_started() -> None:
        leading.set()

    async def on_stopped() -> None:
        return None

    lock = LeaseLock("infra-fleet-portal", "default", "replica-a", api_client)
    config_ = electionconfig.Config(
        lock,
        lease_duration=15,
        renew_deadline=10,
        retry_period=2,
        onstarted_leading=on_started,
        onstopped_leading=on_stopped,
    )
    election = asyncio.create_task(leaderelection.LeaderElection(config_).run())
    try:
        async with asyncio.timeout(10):
            await leading.wait()
    finally:
        election.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await election
    lease = cluster.objects.get(
        "coordination.k8s.io/v1", "Lease", name="infra-fleet-portal", namespace="default"
    )
    assert lease["spec"]["holderIdentity"] == "replica-a"
    assert lease["spec"]["leaseDurationSeconds"] == 15


async def test_watch_resumes_from_its_version_after_the_server_comes_back(
    cluster: DevCluster, api_client: client.ApiClient
) -> None:
    custom = client.CustomObjectsApi(api_client)
    listed = await custom.list_namespaced_custom_object(GROUP, VERSION, "default", PLURAL)
    version = listed["metadata"]["resourceVersion"]
    async with watch.Watch() as stream:
        events = stream.stream(
            custom.list_namespaced_custom_object,
            GROUP,
            VERSION,
            "default",
            PLURAL,
            resource_version=version,
            timeout_seconds=30,
        )
        first = asyncio.create_task(anext(events))
        await cluster.store.wait_for_watchers(count=1, resource="canaries.flagger.app")
        await cluster.stop()
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(first, 10)
    cluster.objects.put(canary("while-down"))
    await cluster.start()
    async with watch.Watch() as stream:
        events = stream.stream(
            custom.list_namespaced_custom_object,
            GROUP,
            VERSION,
            "default",
            PLURAL,
            resource_version=version,
            timeout_seconds=30,
        )
        event = await anext(events)
    assert (event["type"], event["object"]["metadata"]["name"]) == ("ADDED", "while-down")
