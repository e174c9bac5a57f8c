"""Policies, rules and RBAC manifests."""

from __future__ import annotations

import pytest

from devcluster.auth import (
    Authorizer,
    Policy,
    Request,
    authorize,
    policy_for_service_account,
    policy_from_rbac,
)
from devcluster.errors import ApiError

RBAC = """
kind: ClusterRole
apiVersion: rbac.authorization.k8s.io/v1
metadata: {name: reader}
rules:
  - apiGroups: [""]
    resources: [pods, events]
    verbs: [get, list, watch]
---
kind: Role
apiVersion: rbac.authorization.k8s.io/v1
metadata: {name: deploy-patch, namespace: apps}
rules:
  - apiGroups: [apps]
    resources: [deployments]
    resourceNames: [web]
    verbs: [patch]
"""


def _req(verb: str, group: str, resource: str, namespace: str = "apps", name: str = "") -> Request:
    return Request(
        verb=verb, group=group, resource=resource, subresource="", namespace=namespace, name=name
    )


def test_rbac_manifests_become_a_policy() -> None:
    policy = policy_from_rbac(RBAC, user="u")
    assert policy.allows(verb="list", group="", resource="pods", namespace="x", name="")
    assert policy.allows(
        verb="patch", group="apps", resource="deployments", namespace="apps", name="web"
    )
    assert not policy.allows(
        verb="patch", group="apps", resource="deployments", namespace="apps", name="api"
    )
    assert not policy.allows(
        verb="patch", group="apps", resource="deployments", namespace="other", name="web"
    )
    assert not policy.allows(verb="delete", group="", resource="pods", namespace="x", name="p")


def test_admin_policy_allows_everything() -> None:
    authorize(Policy.admin(), _req("deletecollection", "flagger.app", "canaries"))


def test_forbidden_has_the_real_message_for_core_resources() -> None:
    with pytest.raises(ApiError) as raised:
        authorize(Policy(user="u", rules=()), _req("list", "", "pods", namespace="default"))
    assert raised.value.message == (
        'pods is forbidden: User "u" cannot list resource "pods" in API group "" '
        'in the namespace "default"'
    )


def test_authorizer_off_without_policies_and_strict_with_them() -> None:
    assert Authorizer(None).authenticate(None) is None
    strict = Authorizer({"t": Policy.admin("root")})
    assert strict.authenticate("Bearer t") == Policy.admin("root")
    for header in (None, "Bearer x", "Basic t", "Bearer"):
        with pytest.raises(ApiError) as raised:
            strict.authenticate(header)
        assert raised.value.code == 401


def test_service_account_policy_places_unnamespaced_roles_in_its_namespace() -> None:
    base = """
kind: Role
apiVersion: rbac.authorization.k8s.io/v1
metadata: {name: leases}
rules:
  - {apiGroups: [coordination.k8s.io], resources: [leases], verbs: [get, update]}
---
kind: RoleBinding
apiVersion: rbac.authorization.k8s.io/v1
metadata: {name: leases}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: leases}
subjects:
  - {kind: ServiceAccount, name: portal}
"""
    policy = policy_for_service_account(base, namespace="infra-fleet", name="portal")
    lease = {"verb": "update", "group": "coordination.k8s.io", "resource": "leases", "name": "x"}
    assert policy.allows(namespace="infra-fleet", **lease)
    assert not policy.allows(namespace="default", **lease)
