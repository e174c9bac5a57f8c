"""Server-side apply helpers: field paths, values at paths, the applied field set."""

from __future__ import annotations

from devcluster.applying import applied_paths, field_path, value_at


def test_field_paths_print_like_conflict_causes() -> None:
    assert field_path(("f:spec", "f:analysis", "f:stepWeight")) == ".spec.analysis.stepWeight"
    assert field_path(("f:spec", 'k:{"name":"app"}', "f:image")) == '.spec[name="app"].image'


def test_value_at_follows_maps_and_keyed_list_elements() -> None:
    obj = {
        "spec": {"containers": [{"name": "app", "image": "a:1"}, {"name": "side", "image": "s:1"}]}
    }
    assert value_at(obj, ("f:spec", "f:containers", 'k:{"name":"side"}', "f:image")) == (
        True,
        "s:1",
    )
    assert value_at(obj, ("f:spec", "f:containers", 'k:{"name":"gone"}', "f:image")) == (
        False,
        None,
    )
    assert value_at(obj, ("f:spec", "f:replicas")) == (False, None)


def test_applied_paths_cover_the_configuration_but_not_type_or_status() -> None:
    config = {
        "apiVersion": "v1",
        "kind": "X",
        "metadata": {"name": "x", "labels": {"a": "b"}},
        "spec": {"n": 1},
        "status": {"phase": "Ready"},
    }
    assert applied_paths(config) == frozenset(
        {
            ("f:metadata",),
            ("f:metadata", "f:labels"),
            ("f:metadata", "f:labels", "f:a"),
            ("f:spec",),
            ("f:spec", "f:n"),
        }
    )
