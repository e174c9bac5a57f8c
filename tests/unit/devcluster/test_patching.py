"""Merge, JSON and strategic merge patches."""

from __future__ import annotations

import pytest

from devcluster.errors import ApiError
from devcluster.patching import json_patch, merge_patch, strategic_merge_patch


def test_merge_patch_merges_maps_deletes_nulls_and_replaces_lists() -> None:
    target = {"a": {"b": 1, "c": 2}, "list": [1, 2], "gone": True}
    patched = merge_patch(target, {"a": {"b": 9}, "list": [3], "gone": None})
    assert patched == {"a": {"b": 9, "c": 2}, "list": [3]}
    assert target == {"a": {"b": 1, "c": 2}, "list": [1, 2], "gone": True}


def test_json_patch_applies_every_operation() -> None:
    doc = {"a": [1, 2], "b": {"c": 1}}
    patched = json_patch(
        doc,
        [
            {"op": "add", "path": "/a/-", "value": 3},
            {"op": "add", "path": "/a/0", "value": 0},
            {"op": "replace", "path": "/b/c", "value": 2},
            {"op": "copy", "from": "/b/c", "path": "/d"},
            {"op": "move", "from": "/d", "path": "/e"},
            {"op": "remove", "path": "/a/1"},
            {"op": "test", "path": "/e", "value": 2},
        ],
    )
    assert patched == {"a": [0, 2, 3], "b": {"c": 2}, "e": 2}


@pytest.mark.parametrize(
    "operations",
    [
        [{"op": "remove", "path": "/missing"}],
        [{"op": "replace", "path": "/x/y", "value": 1}],
        [{"op": "test", "path": "/a", "value": 2}],
        [{"op": "jump", "path": "/a"}],
    ],
)
def test_failing_json_patch_is_invalid(operations: list[dict[str, object]]) -> None:
    with pytest.raises(ApiError) as raised:
        json_patch({"a": 1}, operations)
    assert raised.value.code == 422


def test_json_patch_must_be_a_list() -> None:
    with pytest.raises(ApiError) as raised:
        json_patch({}, {"spec": {}})
    assert raised.value.code == 400


def test_strategic_merge_merges_named_lists_and_deletes_by_directive() -> None:
    target = {
        "containers": [
            {"name": "a", "image": "1", "ports": [{"containerPort": 80}]},
            {"name": "b", "image": "1"},
        ]
    }
    patch = {
        "containers": [
            {"name": "a", "ports": [{"containerPort": 81}]},
            {"name": "b", "$patch": "delete"},
            {"name": "c", "image": "3"},
        ]
    }
    assert strategic_merge_patch(target, patch) == {
        "containers": [
            {"name": "a", "image": "1", "ports": [{"containerPort": 80}, {"containerPort": 81}]},
            {"name": "c", "image": "3"},
        ]
    }


def test_strategic_merge_replaces_lists_without_merge_key() -> None:
    assert strategic_merge_patch({"args": ["a", "b"]}, {"args": ["c"]}) == {"args": ["c"]}


def test_strategic_merge_element_without_merge_key_is_bad_request() -> None:
    with pytest.raises(ApiError) as raised:
        strategic_merge_patch({"env": []}, {"env": [{"value": "x"}]})
    assert raised.value.code == 400


def test_service_ports_merge_by_port_and_container_ports_by_container_port() -> None:
    # core/v1: ServiceSpec.ports has patchMergeKey "port", Container.ports "containerPort".
    service = {"spec": {"ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}
    patch = {"spec": {"ports": [{"port": 80, "targetPort": 8080}, {"name": "m", "port": 9090}]}}
    assert strategic_merge_patch(service, patch) == {
        "spec": {
            "ports": [
                {"name": "http", "port": 80, "targetPort": 8080},
                {"name": "m", "port": 9090},
            ]
        }
    }
    pod = {"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 80}]}]}}
    patch = {"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 81}]}]}}
    merged = strategic_merge_patch(pod, patch)
    assert merged["spec"]["containers"][0]["ports"] == [
        {"containerPort": 80},
        {"containerPort": 81},
    ]


def test_network_policy_rule_ports_have_no_merge_key_and_replace() -> None:
    policy = {"spec": {"ingress": [{"ports": [{"port": 8000, "protocol": "TCP"}]}]}}
    patch = {"spec": {"ingress": [{"ports": [{"port": 4180, "protocol": "TCP"}]}]}}
    assert strategic_merge_patch(policy, patch) == patch
