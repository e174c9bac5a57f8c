"""REST paths to targets, and the discovery documents built from the registry."""

from __future__ import annotations

import pytest

from devcluster.builtin_kinds import builtin_types
from devcluster.crds import crd_types
from devcluster.discovery import api_group_list, api_resource_list
from devcluster.errors import ApiError
from devcluster.openapi import gv_document, root_document
from devcluster.resources import Registry
from devcluster.routing import DiscoveryPath, Target, parse_path


@pytest.fixture(scope="module")
def registry() -> Registry:
    found = Registry()
    found.add(builtin_types())
    found.add(crd_types(None))
    return found


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/api/v1/namespaces", ("namespaces", "", "", "")),
        ("/api/v1/namespaces/team", ("namespaces", "", "team", "")),
        ("/api/v1/namespaces/team/status", ("namespaces", "", "team", "status")),
        ("/api/v1/namespaces/team/pods", ("pods", "team", "", "")),
        ("/api/v1/pods", ("pods", "", "", "")),
        ("/apis/apps/v1/namespaces/a/deployments/web/scale", ("deployments", "a", "web", "scale")),
        (
            "/apis/flagger.app/v1beta1/namespaces/a/canaries/c/status",
            ("canaries", "a", "c", "status"),
        ),
        ("/api/v1/nodes/n1", ("nodes", "", "n1", "")),
    ],
)
def test_paths_address_resources(registry: Registry, path: str, expected: tuple[str, ...]) -> None:
    target = parse_path(registry, path)
    assert isinstance(target, Target)
    assert (target.rtype.plural, target.namespace, target.name, target.subresource) == expected


@pytest.mark.parametrize(
    "path",
    [
        "/apis/flagger.app/v1beta1/namespaces/a/canaries/c/scale",
        "/apis/coordination.k8s.io/v1/namespaces/a/leases/l/status",
        "/api/v1/namespaces/a/nodes",
        "/apis/flagger.app/v1beta1/canaries/c",
        "/apis/flagger.app/v2/canaries",
        "/api/v1/namespaces/a/pods/p/status/extra",
        "/apis",
    ],
)
def test_unserved_paths_are_not_found(registry: Registry, path: str) -> None:
    with pytest.raises(ApiError) as raised:
        parse_path(registry, path)
    assert raised.value.code == 404


def test_group_version_path_is_discovery(registry: Registry) -> None:
    assert parse_path(registry, "/apis/apps/v1") == DiscoveryPath("apps", "v1")


def test_resource_list_has_subresources_with_their_kinds(registry: Registry) -> None:
    resources = api_resource_list(registry, group="apps", version="v1")["resources"]
    assert [r["name"] for r in resources] == [
        "deployments",
        "deployments/status",
        "deployments/scale",
    ]
    assert resources[2]["kind"] == "Scale"
    assert resources[0]["shortNames"] == ["deploy"]


def test_group_list_excludes_the_core_group(registry: Registry) -> None:
    names = [g["name"] for g in api_group_list(registry)["groups"]]
    assert names == [
        "events.k8s.io",
        "apps",
        "autoscaling",
        "coordination.k8s.io",
        "batch",
        "networking.k8s.io",
        "policy",
        "rbac.authorization.k8s.io",
        "flagger.app",
        "kustomize.toolkit.fluxcd.io",
        "helm.toolkit.fluxcd.io",
    ]


def test_openapi_declares_field_validation_on_patch(registry: Registry) -> None:
    doc = gv_document(registry, group="flagger.app", version="v1beta1")
    assert doc is not None
    patch = doc["paths"]["/apis/flagger.app/v1beta1/namespaces/{namespace}/canaries/{name}"][
        "patch"
    ]
    assert {
        "name": "fieldValidation",
        "in": "query",
        "schema": {"type": "string", "uniqueItems": True},
    } in patch["parameters"]
    assert patch["x-kubernetes-group-version-kind"] == {
        "group": "flagger.app",
        "version": "v1beta1",
        "kind": "Canary",
    }
    assert root_document(registry)["paths"]["api/v1"]["serverRelativeURL"].startswith(
        "/openapi/v3/api/v1?hash="
    )
