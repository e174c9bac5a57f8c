"""Built-in kinds a Flux tree uses (RBAC, policy, networking, config, batch), validated like 1.32.

Before this, `POST /apis/rbac.authorization.k8s.io/v1/clusterroles` was a 404 and built-in kinds
took any field; now each kind is served and checked against the Kubernetes 1.32 schemas.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

PDB = "/apis/policy/v1/namespaces/default/poddisruptionbudgets"
DEPLOYMENTS = "/apis/apps/v1/namespaces/default/deployments"


def _pdb(**spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "web"},
        "spec": {"selector": {"matchLabels": {"app": "web"}}, **spec},
    }


def _deployment(**spec: Any) -> dict[str, Any]:
    pod = {"containers": [{"name": "web", "image": "web:1"}]}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": pod},
            **spec,
        },
    }


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "/apis/rbac.authorization.k8s.io/v1/clusterroles",
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": {"name": "reader"},
                "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}],
            },
        ),
        (
            "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings",
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": "read"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"},
                "subjects": [{"kind": "ServiceAccount", "name": "portal", "namespace": "default"}],
            },
        ),
        (
            "/apis/networking.k8s.io/v1/namespaces/default/networkpolicies",
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": "deny"},
                "spec": {"podSelector": {}},
            },
        ),
        (
            "/apis/batch/v1/namespaces/default/cronjobs",
            {
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "metadata": {"name": "nightly"},
                "spec": {
                    "schedule": "0 3 * * *",
                    "jobTemplate": {
                        "spec": {
                            "template": {
                                "spec": {
                                    "restartPolicy": "Never",
                                    "containers": [{"name": "job", "image": "job:1"}],
                                }
                            }
                        }
                    },
                },
            },
        ),
        ("/api/v1/namespaces/default/serviceaccounts", {"metadata": {"name": "portal"}}),
        (PDB, _pdb(minAvailable=1)),
    ],
)
async def test_platform_kinds_are_served(
    api: httpx.AsyncClient, path: str, body: dict[str, Any]
) -> None:
    created = await api.post(path, json=body)
    assert created.status_code == 201, created.text
    name = body["metadata"]["name"]
    read = (await api.get(f"{path}/{name}")).json()
    assert read["metadata"]["name"] == name
    assert "warning" not in created.headers


async def test_strict_field_validation_refuses_an_unknown_field(api: httpx.AsyncClient) -> None:
    response = await api.post(f"{PDB}?fieldValidation=Strict", json=_pdb(minAvailble=1))
    assert response.status_code == 400
    assert response.json()["message"] == (
        'PodDisruptionBudget in version "v1" cannot be handled as a PodDisruptionBudget: '
        'strict decoding error: unknown field "spec.minAvailble"'
    )
    assert (await api.get(f"{PDB}/web")).status_code == 404


async def test_unknown_builtin_fields_are_dropped_with_a_warning(api: httpx.AsyncClient) -> None:
    response = await api.post(PDB, json=_pdb(minAvailable=1, minAvailble=1))
    assert response.status_code == 201
    assert response.headers["warning"] == '299 - "unknown field \\"spec.minAvailble\\""'
    assert (await api.get(f"{PDB}/web")).json()["spec"] == {
        "minAvailable": 1,
        "selector": {"matchLabels": {"app": "web"}},
    }


async def test_a_value_of_the_wrong_type_is_refused_as_go_would(api: httpx.AsyncClient) -> None:
    response = await api.post(DEPLOYMENTS, json=_deployment(replicas="two"))
    assert response.status_code == 400
    assert response.json()["message"] == (
        'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal '
        "string into Go struct field spec.replicas of type integer"
    )


async def test_a_missing_required_field_is_invalid(api: httpx.AsyncClient) -> None:
    body = _deployment()
    del body["spec"]["template"]["spec"]["containers"][0]["name"]
    response = await api.post(DEPLOYMENTS, json=body)
    assert response.status_code == 422
    assert response.json()["details"]["causes"] == [
        {
            "reason": "FieldValueRequired",
            "message": "Required value",
            "field": "spec.template.spec.containers[0].name",
        }
    ]


async def test_server_side_dry_run_validates_and_stores_nothing(api: httpx.AsyncClient) -> None:
    ok = await api.post(f"{PDB}?dryRun=All", json=_pdb(maxUnavailable="50%"))
    bad = await api.post(f"{PDB}?dryRun=All&fieldValidation=Strict", json=_pdb(maxUnavail=1))
    assert (ok.status_code, ok.json()["spec"]["maxUnavailable"]) == (201, "50%")
    assert bad.status_code == 400
    assert (await api.get(f"{PDB}/web")).status_code == 404


async def test_secret_string_data_is_stored_base64_in_data(api: httpx.AsyncClient) -> None:
    path = "/api/v1/namespaces/default/secrets"
    body = {"metadata": {"name": "token"}, "data": {"a": "eA=="}, "stringData": {"b": "abc"}}
    assert (await api.post(path, json=body)).status_code == 201
    stored = (await api.get(f"{path}/token")).json()
    assert (stored["data"], "stringData" in stored) == ({"a": "eA==", "b": "YWJj"}, False)
