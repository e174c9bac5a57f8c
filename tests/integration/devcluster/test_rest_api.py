"""The REST verbs against a running devcluster, checked against real API server behaviour."""

from __future__ import annotations

import json

import httpx
import pytest

from devcluster.harness import DevCluster
from tests.integration.devcluster.manifests import CANARIES, canary

MERGE = {"content-type": "application/merge-patch+json"}


async def test_discovery_advertises_canaries_with_status_subresource(
    api: httpx.AsyncClient,
) -> None:
    body = (await api.get("/apis/flagger.app/v1beta1")).json()
    by_name = {r["name"]: r for r in body["resources"]}
    assert body["kind"] == "APIResourceList"
    assert by_name["canaries"]["kind"] == "Canary"
    assert by_name["canaries"]["singularName"] == "canary"
    assert by_name["canaries"]["namespaced"] is True
    assert by_name["canaries/status"]["verbs"] == ["get", "patch", "update"]


async def test_groups_list_names_every_served_group(api: httpx.AsyncClient) -> None:
    groups = {g["name"] for g in (await api.get("/apis")).json()["groups"]}
    assert {"apps", "autoscaling", "coordination.k8s.io", "events.k8s.io", "flagger.app"} <= groups
    assert {"kustomize.toolkit.fluxcd.io", "helm.toolkit.fluxcd.io"} <= groups


async def test_create_then_get_returns_server_fields(api: httpx.AsyncClient) -> None:
    created = await api.post(CANARIES, json=canary())
    fetched = (await api.get(f"{CANARIES}/podinfo")).json()
    assert created.status_code == 201
    assert fetched["metadata"]["uid"] == created.json()["metadata"]["uid"]
    assert fetched["metadata"]["generation"] == 1
    assert int(fetched["metadata"]["resourceVersion"]) > 0
    assert fetched["metadata"]["creationTimestamp"].endswith("Z")


async def test_create_in_missing_namespace_is_namespace_not_found(api: httpx.AsyncClient) -> None:
    body = canary()
    del body["metadata"]["namespace"]
    response = await api.post("/apis/flagger.app/v1beta1/namespaces/nope/canaries", json=body)
    assert response.status_code == 404
    assert response.json()["message"] == 'namespaces "nope" not found'
    assert response.json()["details"] == {"name": "nope", "kind": "namespaces"}


async def test_create_twice_is_already_exists(api: httpx.AsyncClient) -> None:
    await api.post(CANARIES, json=canary())
    response = await api.post(CANARIES, json=canary())
    assert response.status_code == 409
    assert response.json()["reason"] == "AlreadyExists"
    assert response.json()["message"] == 'canaries.flagger.app "podinfo" already exists'


async def test_get_missing_is_not_found_status(api: httpx.AsyncClient) -> None:
    response = await api.get(f"{CANARIES}/ghost")
    assert response.status_code == 404
    assert response.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'canaries.flagger.app "ghost" not found',
        "reason": "NotFound",
        "details": {"name": "ghost", "group": "flagger.app", "kind": "canaries"},
        "code": 404,
    }


async def test_generate_name_gets_a_random_suffix(api: httpx.AsyncClient) -> None:
    body = canary()
    body["metadata"] = {"generateName": "podinfo-"}
    name = (await api.post(CANARIES, json=body)).json()["metadata"]["name"]
    assert name.startswith("podinfo-")
    assert len(name) == len("podinfo-") + 5


async def test_update_with_stale_resource_version_is_conflict(api: httpx.AsyncClient) -> None:
    first = (await api.post(CANARIES, json=canary())).json()
    await api.patch(
        f"{CANARIES}/podinfo", content=json.dumps({"spec": {"suspend": True}}), headers=MERGE
    )
    first["spec"]["skipAnalysis"] = True
    response = await api.put(f"{CANARIES}/podinfo", json=first)
    assert response.status_code == 409
    assert response.json()["reason"] == "Conflict"
    assert "the object has been modified" in response.json()["message"]


async def test_spec_change_bumps_generation_and_status_write_does_not(
    api: httpx.AsyncClient,
) -> None:
    await api.post(CANARIES, json=canary())
    patched = await api.patch(
        f"{CANARIES}/podinfo", content=json.dumps({"spec": {"suspend": True}}), headers=MERGE
    )
    status = await api.patch(
        f"{CANARIES}/podinfo/status",
        content=json.dumps({"status": {"phase": "Progressing"}, "spec": {"suspend": False}}),
        headers=MERGE,
    )
    assert patched.json()["metadata"]["generation"] == 2
    assert status.json()["metadata"]["generation"] == 2
    assert status.json()["status"] == {"phase": "Progressing"}
    assert status.json()["spec"]["suspend"] is True


async def test_status_in_main_resource_update_is_ignored(api: httpx.AsyncClient) -> None:
    body = canary()
    body["status"] = {"phase": "Succeeded"}
    created = (await api.post(CANARIES, json=body)).json()
    assert "status" not in created
    created["status"] = {"phase": "Failed"}
    updated = (await api.put(f"{CANARIES}/podinfo", json=created)).json()
    assert "status" not in updated


async def test_merge_patch_records_field_manager(api: httpx.AsyncClient) -> None:
    await api.post(f"{CANARIES}?fieldManager=flux", json=canary())
    patched = await api.patch(
        f"{CANARIES}/podinfo?fieldManager=infra-fleet-portal",
        content=json.dumps({"spec": {"suspend": True}}),
        headers=MERGE,
    )
    entries = {e["manager"]: e for e in patched.json()["metadata"]["managedFields"]}
    assert entries["infra-fleet-portal"]["operation"] == "Update"
    assert entries["infra-fleet-portal"]["fieldsType"] == "FieldsV1"
    assert entries["infra-fleet-portal"]["apiVersion"] == "flagger.app/v1beta1"
    assert entries["infra-fleet-portal"]["fieldsV1"] == {"f:spec": {"f:suspend": {}}}
    assert "f:suspend" not in entries["flux"]["fieldsV1"]["f:spec"]


async def test_strategic_merge_patch_on_custom_resource_is_unsupported(
    api: httpx.AsyncClient,
) -> None:
    await api.post(CANARIES, json=canary())
    response = await api.patch(
        f"{CANARIES}/podinfo",
        content=json.dumps({"spec": {"suspend": True}}),
        headers={"content-type": "application/strategic-merge-patch+json"},
    )
    assert response.status_code == 415
    assert response.json()["reason"] == "UnsupportedMediaType"


async def test_strategic_merge_patch_merges_containers_by_name(api: httpx.AsyncClient) -> None:
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {"name": "app", "image": "app:1", "env": [{"name": "A", "value": "1"}]},
                        {"name": "sidecar", "image": "side:1"},
                    ]
                },
            },
        },
    }
    path = "/apis/apps/v1/namespaces/default/deployments"
    await api.post(path, json=deployment)
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {"name": "app", "image": "app:2", "env": [{"name": "B", "value": "2"}]}
                    ]
                }
            }
        }
    }
    response = await api.patch(
        f"{path}/web",
        content=json.dumps(patch),
        headers={"content-type": "application/strategic-merge-patch+json"},
    )
    containers = response.json()["spec"]["template"]["spec"]["containers"]
    assert containers == [
        {
            "name": "app",
            "image": "app:2",
            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
        },
        {"name": "sidecar", "image": "side:1"},
    ]


async def test_json_patch_replaces_a_field(api: httpx.AsyncClient) -> None:
    await api.post(CANARIES, json=canary())
    response = await api.patch(
        f"{CANARIES}/podinfo",
        content=json.dumps([{"op": "replace", "path": "/spec/analysis/stepWeight", "value": 20}]),
        headers={"content-type": "application/json-patch+json"},
    )
    assert response.json()["spec"]["analysis"]["stepWeight"] == 20


async def test_delete_custom_resource_answers_success_status(api: httpx.AsyncClient) -> None:
    uid = (await api.post(CANARIES, json=canary())).json()["metadata"]["uid"]
    response = await api.delete(f"{CANARIES}/podinfo")
    assert response.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": {"name": "podinfo", "kind": "canaries", "group": "flagger.app", "uid": uid},
    }
    assert (await api.get(f"{CANARIES}/podinfo")).status_code == 404


async def test_delete_with_finalizer_marks_then_removes_on_last_finalizer(
    api: httpx.AsyncClient,
) -> None:
    body = canary()
    body["metadata"]["finalizers"] = ["finalizers.flagger.app"]
    await api.post(CANARIES, json=body)
    marked = (await api.delete(f"{CANARIES}/podinfo")).json()
    await api.patch(
        f"{CANARIES}/podinfo", content=json.dumps({"metadata": {"finalizers": None}}), headers=MERGE
    )
    assert marked["metadata"]["deletionTimestamp"].endswith("Z")
    assert (await api.get(f"{CANARIES}/podinfo")).status_code == 404


async def test_label_selector_filters_list(api: httpx.AsyncClient) -> None:
    for name, tier in (("a", "web"), ("b", "api"), ("c", None)):
        body = canary(name)
        if tier:
            body["metadata"]["labels"] = {"tier": tier}
        await api.post(CANARIES, json=body)

    async def names(selector: str) -> list[str]:
        items = (await api.get(CANARIES, params={"labelSelector": selector})).json()["items"]
        return [i["metadata"]["name"] for i in items]

    assert await names("tier=web") == ["a"]
    assert await names("tier!=web") == ["b", "c"]
    assert await names("tier in (web,api)") == ["a", "b"]
    assert await names("tier notin (web)") == ["b", "c"]
    assert await names("tier") == ["a", "b"]
    assert await names("!tier") == ["c"]


async def test_bad_label_selector_is_bad_request(api: httpx.AsyncClient) -> None:
    response = await api.get(CANARIES, params={"labelSelector": "tier in web"})
    assert response.status_code == 400
    assert response.json()["reason"] == "BadRequest"


async def test_event_field_selectors_work_in_both_event_apis(
    cluster: DevCluster, api: httpx.AsyncClient
) -> None:
    for name, target in (("e1", "podinfo"), ("e2", "other")):
        cluster.objects.put(
            {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {"name": name, "namespace": "default"},
                "involvedObject": {"kind": "Canary", "name": target, "namespace": "default"},
                "reason": "Synced",
                "message": f"hello {target}",
                "type": "Normal",
            }
        )
    core = await api.get(
        "/api/v1/events",
        params={"fieldSelector": "involvedObject.kind=Canary,involvedObject.name=podinfo"},
    )
    new = await api.get(
        "/apis/events.k8s.io/v1/namespaces/default/events",
        params={"fieldSelector": "regarding.name=podinfo"},
    )
    assert [i["metadata"]["name"] for i in core.json()["items"]] == ["e1"]
    assert [i["note"] for i in new.json()["items"]] == ["hello podinfo"]
    assert new.json()["items"][0]["regarding"]["kind"] == "Canary"


async def test_unsupported_field_selector_is_bad_request(api: httpx.AsyncClient) -> None:
    response = await api.get(CANARIES, params={"fieldSelector": "spec.suspend=true"})
    assert response.status_code == 400
    assert response.json()["message"] == "field label not supported: spec.suspend"


async def test_limit_and_continue_page_through_everything(api: httpx.AsyncClient) -> None:
    for index in range(5):
        await api.post(CANARIES, json=canary(f"c{index}"))
    first = (await api.get(CANARIES, params={"limit": 2})).json()
    second = (
        await api.get(CANARIES, params={"limit": 2, "continue": first["metadata"]["continue"]})
    ).json()
    third = (
        await api.get(CANARIES, params={"limit": 2, "continue": second["metadata"]["continue"]})
    ).json()
    pages = [[i["metadata"]["name"] for i in page["items"]] for page in (first, second, third)]
    assert pages == [["c0", "c1"], ["c2", "c3"], ["c4"]]
    assert first["metadata"]["remainingItemCount"] == 3
    assert "continue" not in third["metadata"]


async def test_garbage_continue_token_is_bad_request(api: httpx.AsyncClient) -> None:
    response = await api.get(CANARIES, params={"continue": "not-a-token"})
    assert response.status_code == 400


async def test_unknown_path_is_not_found_status(api: httpx.AsyncClient) -> None:
    for path in ("/apis/nope.io/v1/things", "/openapi/v2", "/nothing/here"):
        response = await api.get(path)
        assert response.status_code == 404
        assert response.json()["reason"] == "NotFound"


async def test_malformed_body_is_bad_request(api: httpx.AsyncClient) -> None:
    response = await api.post(
        CANARIES, content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["reason"] == "BadRequest"


async def test_scale_subresource_reads_and_sets_replicas(api: httpx.AsyncClient) -> None:
    path = "/apis/apps/v1/namespaces/default/deployments"
    await api.post(
        path,
        json={
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": "web"},
            "spec": {
                "replicas": 2,
                "selector": {"matchLabels": {"app": "web"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "web:1"}]},
                },
            },
        },
    )
    scale = (await api.get(f"{path}/web/scale")).json()
    patched = await api.patch(
        f"{path}/web/scale", content=json.dumps({"spec": {"replicas": 5}}), headers=MERGE
    )
    assert scale["kind"] == "Scale"
    assert scale["spec"] == {"replicas": 2}
    assert scale["status"]["selector"] == "app=web"
    assert patched.json()["spec"] == {"replicas": 5}
    assert (await api.get(f"{path}/web")).json()["spec"]["replicas"] == 5


async def test_request_log_records_each_call(cluster: DevCluster, api: httpx.AsyncClient) -> None:
    cluster.requests.clear()
    await api.get(CANARIES)
    await api.get(f"{CANARIES}/missing")
    assert [(r.method, r.path, r.status) for r in cluster.requests] == [
        ("GET", CANARIES, 200),
        ("GET", f"{CANARIES}/missing", 404),
    ]


async def test_dry_run_create_validates_but_stores_nothing(
    cluster: DevCluster, api: httpx.AsyncClient
) -> None:
    before = cluster.store.revision
    dry = await api.post(CANARIES, params={"dryRun": "All"}, json=canary())
    invalid = await api.post(CANARIES, params={"dryRun": "All"}, json=canary(interval="1h"))
    assert dry.status_code == 201
    assert dry.json()["metadata"]["name"] == "podinfo"
    assert invalid.status_code == 422
    assert cluster.store.revision == before
    assert (await api.get(f"{CANARIES}/podinfo")).status_code == 404


async def test_unknown_fields_are_pruned_with_a_warning_header(api: httpx.AsyncClient) -> None:
    body = canary()
    body["spec"]["suspended"] = True
    created = await api.post(CANARIES, json=body)
    assert created.headers["warning"] == '299 - "unknown field \\"spec.suspended\\""'
    assert "suspended" not in created.json()["spec"]


async def test_delete_collection_removes_only_selected_objects(api: httpx.AsyncClient) -> None:
    for name, team in (("a", "x"), ("b", "x"), ("c", "y")):
        body = canary(name)
        body["metadata"]["labels"] = {"team": team}
        await api.post(CANARIES, json=body)
    deleted = await api.delete(CANARIES, params={"labelSelector": "team=x"})
    remaining = (await api.get(CANARIES)).json()["items"]
    assert deleted.json()["kind"] == "CanaryList"
    assert [i["metadata"]["name"] for i in deleted.json()["items"]] == ["a", "b"]
    assert [i["metadata"]["name"] for i in remaining] == ["c"]


async def test_post_to_a_named_object_is_method_not_allowed(api: httpx.AsyncClient) -> None:
    response = await api.post(f"{CANARIES}/podinfo", json=canary())
    assert response.status_code == 405
    assert response.json()["reason"] == "MethodNotAllowed"


async def test_pod_delete_answers_with_the_object(api: httpx.AsyncClient) -> None:
    pods = "/api/v1/namespaces/default/pods"
    await api.post(
        pods,
        json={
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "p"},
            "spec": {"containers": []},
        },
    )
    response = await api.delete(f"{pods}/p")
    assert response.json()["kind"] == "Pod"
    assert response.json()["metadata"]["name"] == "p"


async def test_events_api_write_is_readable_as_core_event(api: httpx.AsyncClient) -> None:
    event = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": "podinfo.1"},
        "regarding": {"kind": "Canary", "name": "podinfo", "namespace": "default"},
        "reason": "Synced",
        "note": "Advance podinfo.default canary weight 10",
        "type": "Normal",
        "reportingController": "flagger",
        "reportingInstance": "flagger-1",
        "action": "Synced",
        "eventTime": "2026-01-01T00:00:00.000000Z",
    }
    created = await api.post("/apis/events.k8s.io/v1/namespaces/default/events", json=event)
    core = (await api.get("/api/v1/namespaces/default/events/podinfo.1")).json()
    assert created.status_code == 201
    assert created.json()["apiVersion"] == "events.k8s.io/v1"
    assert created.json()["note"] == event["note"]
    assert core["apiVersion"] == "v1"
    assert core["message"] == event["note"]
    assert core["involvedObject"] == event["regarding"]
    assert core["reportingComponent"] == "flagger"


async def test_wrong_kind_in_body_is_bad_request(api: httpx.AsyncClient) -> None:
    body = canary()
    body["kind"] = "MetricTemplate"
    response = await api.post(CANARIES, json=body)
    assert response.status_code == 400
    assert (
        response.json()["message"]
        == "the kind in the data (MetricTemplate) does not match the expected kind (Canary)"
    )


async def test_large_list_arrives_whole_with_its_length(
    cluster: DevCluster, api: httpx.AsyncClient
) -> None:
    for index in range(300):
        body = canary(f"c{index:03d}")
        body["metadata"]["annotations"] = {"padding": "x" * 1000}
        cluster.objects.put(body)
    response = await api.get(CANARIES)
    assert int(response.headers["content-length"]) == len(response.content) > 256 * 1024
    assert [i["metadata"]["name"] for i in response.json()["items"]] == [
        f"c{i:03d}" for i in range(300)
    ]


@pytest.mark.parametrize(
    ("method", "path", "body", "content_type"),
    [
        ("POST", CANARIES, {"metadata": {"name": "x", "labels": ["a"]}}, "application/json"),
        ("POST", CANARIES, {"metadata": {"name": "x", "labels": {"a": 1}}}, "application/json"),
        ("POST", CANARIES, {"metadata": {"name": "x", "finalizers": [1]}}, "application/json"),
        ("POST", CANARIES, {"metadata": "x"}, "application/json"),
        ("POST", CANARIES, {"metadata": {"name": 5}}, "application/json"),
        ("POST", CANARIES, {"metadata": {}}, "application/json"),
        ("POST", CANARIES, [1, 2], "application/json"),
        ("POST", CANARIES, {"metadata": {"name": "x"}}, "text/plain"),
        (
            "POST",
            "/apis/apps/v1/namespaces/default/deployments",
            {"metadata": {"name": "d"}, "spec": "x"},
            "application/json",
        ),
        (
            "POST",
            "/apis/flagger.app/v1beta1/canaries",
            {"metadata": {"name": "x"}},
            "application/json",
        ),
        ("PATCH", f"{CANARIES}/podinfo", [1], "application/merge-patch+json"),
        (
            "PATCH",
            f"{CANARIES}/podinfo",
            {"metadata": {"labels": "x"}},
            "application/merge-patch+json",
        ),
        ("PATCH", f"{CANARIES}/podinfo", {"spec": 3}, "application/merge-patch+json"),
        (
            "PATCH",
            f"{CANARIES}/podinfo",
            [{"op": "add", "path": "spec/x"}],
            "application/json-patch+json",
        ),
        ("PUT", f"{CANARIES}/podinfo", {"metadata": {"name": "other"}}, "application/json"),
        ("GET", f"{CANARIES}?limit=ten", None, ""),
        ("GET", f"{CANARIES}?watch=maybe", None, ""),
        ("GET", f"{CANARIES}?watch=1&resourceVersion=abc", None, ""),
        ("GET", f"{CANARIES}?watch=1&timeoutSeconds=soon", None, ""),
        ("GET", f"{CANARIES}?fieldSelector=metadata.name", None, ""),
        ("GET", f"{CANARIES}?labelSelector=a%20in%20(", None, ""),
        ("POST", f"{CANARIES}?fieldValidation=Loose", canary("x"), "application/json"),
        ("POST", f"{CANARIES}?dryRun=Some", canary("x"), "application/json"),
    ],
)
async def test_bad_input_is_a_4xx_status_never_a_500(
    api: httpx.AsyncClient, method: str, path: str, body: object, content_type: str
) -> None:
    await api.post(CANARIES, json=canary())
    headers = {"content-type": content_type} if content_type else {}
    content = json.dumps(body).encode() if body is not None else None
    response = await api.request(method, path, content=content, headers=headers)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["kind"] == "Status"


APPLY = {"content-type": "application/apply-patch+yaml"}


async def test_apply_creates_a_missing_object_with_201(api: httpx.AsyncClient) -> None:
    response = await api.patch(
        f"{CANARIES}/podinfo",
        params={"fieldManager": "flux"},
        content=json.dumps(canary()),
        headers=APPLY,
    )
    entry = response.json()["metadata"]["managedFields"][0]
    assert response.status_code == 201
    assert (entry["manager"], entry["operation"]) == ("flux", "Apply")


async def test_apply_needs_a_field_manager(api: httpx.AsyncClient) -> None:
    response = await api.patch(f"{CANARIES}/podinfo", content=json.dumps(canary()), headers=APPLY)
    assert response.status_code == 422
    assert response.json()["message"] == (
        'PatchOptions.meta.k8s.io "" is invalid: '
        "fieldManager: Required value: is required for apply patch"
    )


async def test_apply_of_another_name_is_bad_request(api: httpx.AsyncClient) -> None:
    response = await api.patch(
        f"{CANARIES}/other",
        params={"fieldManager": "flux"},
        content=json.dumps(canary()),
        headers=APPLY,
    )
    assert response.status_code == 400


async def test_create_with_a_resource_version_is_bad_request(api: httpx.AsyncClient) -> None:
    body = canary()
    body["metadata"]["resourceVersion"] = "7"
    response = await api.post(CANARIES, json=body)
    assert response.status_code == 400
    assert (
        response.json()["message"] == "resourceVersion should not be set on objects to be created"
    )


async def test_update_with_another_uid_is_a_precondition_conflict(api: httpx.AsyncClient) -> None:
    created = (await api.post(CANARIES, json=canary())).json()
    uid = created["metadata"]["uid"]
    created["metadata"]["uid"] = "00000000-0000-0000-0000-000000000000"
    response = await api.put(f"{CANARIES}/podinfo", json=created)
    assert response.status_code == 409
    assert response.json()["message"] == (
        'Operation cannot be fulfilled on canaries.flagger.app "podinfo": Precondition failed: '
        f"UID in precondition: 00000000-0000-0000-0000-000000000000, UID in object meta: {uid}"
    )


async def test_list_at_resource_version_0_ignores_limit(api: httpx.AsyncClient) -> None:
    for index in range(3):
        await api.post(CANARIES, json=canary(f"c{index}"))
    body = (await api.get(CANARIES, params={"limit": 1, "resourceVersion": "0"})).json()
    assert [i["metadata"]["name"] for i in body["items"]] == ["c0", "c1", "c2"]
    assert "continue" not in body["metadata"]


async def test_apply_into_another_namespace_is_bad_request(api: httpx.AsyncClient) -> None:
    body = canary()
    body["metadata"]["namespace"] = "kube-system"
    response = await api.patch(
        f"{CANARIES}/podinfo",
        params={"fieldManager": "flux"},
        content=json.dumps(body),
        headers=APPLY,
    )
    assert response.status_code == 400


LEASES = "/apis/coordination.k8s.io/v1/namespaces/default/leases"


async def test_lease_updates_are_conditional_as_leader_election_needs(
    api: httpx.AsyncClient,
) -> None:
    """A replace with a resourceVersion another writer has replaced is a 409 (the loser of an
    election race); a Lease replace without one is Invalid, never a blind overwrite
    (coordination/lease/strategy.go: AllowUnconditionalUpdate false)."""
    body = {"metadata": {"name": "l"}, "spec": {"holderIdentity": "a"}}
    created = (await api.post(LEASES, json=body)).json()
    first = {**created, "spec": {"holderIdentity": "b"}}
    second = {**created, "spec": {"holderIdentity": "c"}}
    unconditional = {"metadata": {"name": "l"}, "spec": {"holderIdentity": "d"}}
    won = await api.put(f"{LEASES}/l", json=first)
    lost = await api.put(f"{LEASES}/l", json=second)
    blind = await api.put(f"{LEASES}/l", json=unconditional)
    assert won.status_code == 200
    assert (lost.status_code, lost.json()["reason"], lost.json()["message"]) == (
        409,
        "Conflict",
        'Operation cannot be fulfilled on leases.coordination.k8s.io "l": the object has been '
        "modified; please apply your changes to the latest version and try again",
    )
    assert (blind.status_code, blind.json()["message"]) == (
        422,
        'leases.coordination.k8s.io "l" is invalid: metadata.resourceVersion: Invalid value: '
        "0x0: must be specified for an update",
    )
    assert (await api.get(f"{LEASES}/l")).json()["spec"]["holderIdentity"] == "b"
