"""managedFields bookkeeping."""

from __future__ import annotations

from devcluster.managed_fields import changed_paths, from_fields_v1, record_write, to_fields_v1

NOW = "2026-01-01T00:00:00Z"


def test_fields_v1_round_trips() -> None:
    paths = {("f:spec",), ("f:spec", "f:replicas"), ("f:spec", 'k:{"name":"a"}', "f:image")}
    assert from_fields_v1(to_fields_v1(paths)) == paths


def test_create_owns_every_set_field_but_server_metadata() -> None:
    new = {
        "apiVersion": "v1",
        "metadata": {"name": "x", "uid": "u", "labels": {"a": "b"}},
        "spec": {"n": 1},
    }
    [entry] = record_write(
        old=None, new=new, manager="flux", operation="Update", subresource="", now=NOW
    )
    assert entry == {
        "manager": "flux",
        "operation": "Update",
        "apiVersion": "v1",
        "time": NOW,
        "fieldsType": "FieldsV1",
        "fieldsV1": {
            "f:metadata": {"f:labels": {"f:a": {}, ".": {}}, ".": {}},
            "f:spec": {"f:n": {}, ".": {}},
        },
    }


def test_a_later_write_takes_ownership_from_the_earlier_manager() -> None:
    old = {"apiVersion": "v1", "metadata": {"name": "x"}, "spec": {"a": 1, "b": 1}}
    old["metadata"]["managedFields"] = record_write(
        old=None, new=old, manager="flux", operation="Update", subresource="", now=NOW
    )
    new = {"apiVersion": "v1", "metadata": {"name": "x"}, "spec": {"a": 1, "b": 2}}
    entries = record_write(
        old=old, new=new, manager="portal", operation="Update", subresource="", now=NOW
    )
    owned = {e["manager"]: from_fields_v1(e["fieldsV1"]) for e in entries}
    assert owned["portal"] == {("f:spec", "f:b")}
    assert ("f:spec", "f:b") not in owned["flux"]
    assert ("f:spec", "f:a") in owned["flux"]


def test_status_writes_are_recorded_against_the_status_subresource() -> None:
    old = {"apiVersion": "v1", "metadata": {"name": "x"}, "spec": {"a": 1}}
    new = {**old, "status": {"phase": "Ready"}}
    [entry] = record_write(
        old=old, new=new, manager="flagger", operation="Update", subresource="status", now=NOW
    )
    assert entry["subresource"] == "status"
    assert entry["fieldsV1"] == {"f:status": {"f:phase": {}, ".": {}}}


def test_named_list_elements_are_keyed_by_name() -> None:
    paths = changed_paths(
        {"c": [{"name": "a", "image": "1"}]}, {"c": [{"name": "a", "image": "2"}]}
    )
    assert paths == {("f:c", 'k:{"name":"a"}', "f:image")}
