"""Bearer-token auth: 401 for missing/unknown tokens, 403 with the real message shape."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from devcluster.auth import Policy, Rule, policy_for_service_account
from devcluster.harness import DevCluster, serve_devcluster
from tests.integration.devcluster.manifests import CANARIES, canary

READER = Policy(
    user="reader",
    rules=(
        Rule(
            verbs=frozenset({"get", "list", "watch"}),
            resources=frozenset({"canaries"}),
            namespaces=frozenset({"default"}),
        ),
    ),
)
PORTAL_RBAC = """
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: portal}
rules:
  - apiGroups: [flagger.app]
    resources: [canaries]
    verbs: [get, list, watch, patch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: portal}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: portal}
subjects:
  - {kind: ServiceAccount, name: portal, namespace: infra-fleet}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: leases, namespace: infra-fleet}
rules:
  - apiGroups: [coordination.k8s.io]
    resources: [leases]
    verbs: [get, create, update]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: leases, namespace: infra-fleet}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: leases}
subjects:
  - {kind: ServiceAccount, name: portal, namespace: infra-fleet}
"""


@pytest.fixture
async def secured() -> AsyncIterator[DevCluster]:
    policies = {
        "reader-token": READER,
        "portal-token": policy_for_service_account(
            PORTAL_RBAC, namespace="infra-fleet", name="portal"
        ),
    }
    async with serve_devcluster(
        simulate=False, admin_token="admin-token", policies=policies
    ) as running:
        running.objects.put(canary())
        running.objects.put(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "infra-fleet"}}
        )
        yield running


def _client(cluster: DevCluster, token: str | None) -> httpx.AsyncClient:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return httpx.AsyncClient(base_url=cluster.url, headers=headers, timeout=10)


@pytest.mark.parametrize("token", [None, "nope"])
async def test_missing_or_unknown_token_is_unauthorized(
    secured: DevCluster, token: str | None
) -> None:
    async with _client(secured, token) as api:
        response = await api.get(CANARIES)
    assert response.status_code == 401
    assert response.json() == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Unauthorized",
        "reason": "Unauthorized",
        "code": 401,
    }


async def test_policy_allows_listed_verbs_in_its_namespace(secured: DevCluster) -> None:
    async with _client(secured, "reader-token") as api:
        response = await api.get(f"{CANARIES}/podinfo")
    assert response.status_code == 200


async def test_forbidden_patch_names_user_verb_resource_and_namespace(secured: DevCluster) -> None:
    async with _client(secured, "reader-token") as api:
        response = await api.patch(
            f"{CANARIES}/podinfo",
            content=json.dumps({"spec": {"suspend": True}}),
            headers={"content-type": "application/merge-patch+json"},
        )
    assert response.status_code == 403
    assert response.json()["message"] == (
        'canaries.flagger.app "podinfo" is forbidden: User "reader" cannot patch resource '
        '"canaries" in API group "flagger.app" in the namespace "default"'
    )
    assert response.json()["details"] == {
        "name": "podinfo",
        "group": "flagger.app",
        "kind": "canaries",
    }
    assert secured.requests.matching(method="PATCH")[-1].user == "reader"


async def test_forbidden_cluster_wide_list_says_cluster_scope(secured: DevCluster) -> None:
    async with _client(secured, "reader-token") as api:
        response = await api.get("/apis/flagger.app/v1beta1/canaries")
    assert response.json()["message"] == (
        'canaries.flagger.app is forbidden: User "reader" cannot list resource "canaries" '
        'in API group "flagger.app" at the cluster scope'
    )


async def test_rbac_manifests_grant_the_service_account_what_they_say(secured: DevCluster) -> None:
    async with _client(secured, "portal-token") as api:
        patched = await api.patch(
            f"{CANARIES}/podinfo",
            content=json.dumps({"spec": {"suspend": True}}),
            headers={"content-type": "application/merge-patch+json"},
        )
        status = await api.patch(
            f"{CANARIES}/podinfo/status",
            content=json.dumps({"status": {"phase": "Failed"}}),
            headers={"content-type": "application/merge-patch+json"},
        )
        lease = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {"name": "leader"},
        }
        own_ns = await api.post(
            "/apis/coordination.k8s.io/v1/namespaces/infra-fleet/leases", json=lease
        )
        other_ns = await api.post(
            "/apis/coordination.k8s.io/v1/namespaces/default/leases", json=lease
        )
    assert patched.status_code == 200
    assert status.status_code == 403
    assert 'cannot patch resource "canaries/status"' in status.json()["message"]
    assert own_ns.status_code == 201
    assert other_ns.status_code == 403
    assert 'User "system:serviceaccount:infra-fleet:portal"' in other_ns.json()["message"]


async def test_admin_endpoints_need_the_admin_token(secured: DevCluster) -> None:
    async with _client(secured, "reader-token") as reader, _client(secured, "admin-token") as admin:
        refused = await reader.post("/devcluster/admin/watches/close")
        accepted = await admin.post("/devcluster/admin/watches/close")
    assert refused.status_code == 403
    assert accepted.json() == {"closed": 0}


async def test_discovery_needs_only_a_valid_token(secured: DevCluster) -> None:
    async with _client(secured, "reader-token") as api:
        assert (await api.get("/apis/apps/v1")).status_code == 200
        assert (await api.get("/version")).status_code == 200
