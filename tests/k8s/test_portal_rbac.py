"""The portal's RBAC in k8s/ grants exactly the Kubernetes calls its code makes, and devcluster
enforces it: the portal's ServiceAccount policy (from the manifests) allows those calls and
refuses a neighbour."""

from __future__ import annotations

import httpx
import yaml

from devcluster.auth import policy_for_service_account
from devcluster.harness import serve_devcluster
from tests.k8s.kube_calls import (
    lease_lock_verbs,
    object_rules,
    portal_elects_a_leader,
    raw_callers,
    watched_rules,
)
from tests.k8s.tree import Obj, built, find, objects

Rule = tuple[str, str, str]


def _portal() -> list[Obj]:
    return objects(built("apps/base/portal"))


def _granted(role: Obj) -> set[Rule]:
    return {
        (group, resource, verb)
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


def test_only_the_known_modules_call_the_kubernetes_api_directly() -> None:
    assert raw_callers() == {"portal/kube/watching.py", "portal/kube/patching.py"}


def test_the_scan_finds_the_calls_operator_actions_make() -> None:
    assert object_rules() == {
        ("flagger.app", "canaries", "get"),
        ("flagger.app", "canaries", "patch"),
        ("apps", "deployments", "patch"),
    }


def test_cluster_role_grants_exactly_what_the_code_calls() -> None:
    role = find(_portal(), "ClusterRole", "infra-fleet-portal")
    used = watched_rules() | object_rules()
    granted = _granted(role)
    assert (sorted(used - granted), sorted(granted - used)) == ([], []), (
        "(called but not granted, granted but unused)"
    )


def test_lease_role_is_what_kubernetes_asyncio_lease_lock_calls_in_the_portal_namespace() -> None:
    items = _portal()
    role = find(items, "Role", "portal-leader-election")
    assert role["metadata"]["namespace"] == "portal"
    assert _granted(role) == {
        ("coordination.k8s.io", "leases", verb) for verb in lease_lock_verbs()
    }
    assert lease_lock_verbs() == {"get", "create", "update"}
    assert portal_elects_a_leader()


def test_bindings_give_both_roles_to_the_portal_service_account() -> None:
    items = _portal()
    deployment = find(items, "Deployment", "portal")
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == "portal"
    subject = {"kind": "ServiceAccount", "name": "portal", "namespace": "portal"}
    for kind, name in (
        ("ClusterRoleBinding", "infra-fleet-portal"),
        ("RoleBinding", "portal-leader-election"),
    ):
        binding = find(items, kind, name)
        assert [{**s, "namespace": s.get("namespace", "portal")} for s in binding["subjects"]] == [
            subject
        ]


async def test_devcluster_enforces_the_manifests_for_the_portal_token() -> None:
    rbac = yaml.safe_dump_all(
        [o for o in _portal() if o["apiVersion"].startswith("rbac.authorization.k8s.io")]
    )
    policy = policy_for_service_account(rbac, namespace="portal", name="portal")
    async with serve_devcluster(simulate=False, policies={"portal-token": policy}) as dc:
        headers = {"Authorization": "Bearer portal-token"}
        async with httpx.AsyncClient(base_url=dc.url, headers=headers, timeout=10) as api:
            canaries = await api.get("/apis/flagger.app/v1beta1/canaries")
            pods = await api.get("/api/v1/pods")
            secrets = await api.get("/api/v1/namespaces/portal/secrets")
            lease = await api.get("/apis/coordination.k8s.io/v1/namespaces/portal/leases/x")
            other_lease = await api.get("/apis/coordination.k8s.io/v1/namespaces/default/leases")
    assert (canaries.status_code, pods.status_code) == (200, 200)
    assert secrets.status_code == 403
    assert secrets.json()["message"] == (
        'secrets is forbidden: User "system:serviceaccount:portal:portal" cannot list resource '
        '"secrets" in API group "" in the namespace "portal"'
    )
    assert lease.status_code == 404  # allowed: the Lease does not exist yet
    assert other_lease.status_code == 403
