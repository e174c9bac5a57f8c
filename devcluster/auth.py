"""Bearer-token authentication and a small RBAC-like authorizer.

Each token maps to a `Policy` (a user name and rules: verbs per resource, optionally limited
to namespaces). Failures are the real server's Statuses: 401 Unauthorized for a missing or
unknown token, 403 Forbidden with the message shape
`canaries.flagger.app "x" is forbidden: User "y" cannot patch resource "canaries" in API group
"flagger.app" in the namespace "z"`. `policy_from_rbac` turns Role/ClusterRole manifests into a
policy, so tests can prove a set of RBAC manifests grants what a component needs.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

from devcluster.errors import ApiError, qualified, unauthorized

ANY = frozenset({"*"})


@dataclass(frozen=True)
class Rule:
    """Allow `verbs` on `resources` (`canaries`, `canaries/status`, `*`) in `api_groups`."""

    verbs: frozenset[str]
    resources: frozenset[str]
    api_groups: frozenset[str] = ANY
    namespaces: frozenset[str] | None = None
    resource_names: frozenset[str] = frozenset()

    def allows(self, *, verb: str, group: str, resource: str, namespace: str, name: str) -> bool:
        return (
            _member(verb, self.verbs)
            and _member(group, self.api_groups)
            and _member(resource, self.resources)
            and (self.namespaces is None or namespace in self.namespaces)
            and (not self.resource_names or name in self.resource_names)
        )


def _member(value: str, allowed: frozenset[str]) -> bool:
    return "*" in allowed or value in allowed


@dataclass(frozen=True)
class Policy:
    """What one token's user may do."""

    user: str
    rules: tuple[Rule, ...]

    @classmethod
    def admin(cls, user: str = "devcluster-admin") -> Policy:
        return cls(user=user, rules=(Rule(verbs=ANY, resources=ANY),))

    def allows(self, *, verb: str, group: str, resource: str, namespace: str, name: str) -> bool:
        return any(
            r.allows(verb=verb, group=group, resource=resource, namespace=namespace, name=name)
            for r in self.rules
        )


@dataclass(frozen=True)
class Request:
    """What an API request wants to do, in authorization terms."""

    verb: str
    group: str
    resource: str
    subresource: str
    namespace: str
    name: str


class Authorizer:
    """Token to policy; `None` policies everywhere when auth is off."""

    def __init__(self, policies: dict[str, Policy] | None) -> None:
        self._policies = dict(policies or {})

    @property
    def enabled(self) -> bool:
        return bool(self._policies)

    def add(self, token: str, policy: Policy) -> None:
        self._policies[token] = policy

    def authenticate(self, authorization: str | None) -> Policy | None:
        """The caller's policy; None when auth is off; 401 when the token is bad."""
        if not self.enabled:
            return None
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise unauthorized()
        for known, policy in self._policies.items():
            if hmac.compare_digest(known.encode(), token.strip().encode()):
                return policy
        raise unauthorized()

    def is_admin(self, authorization: str | None) -> bool:
        policy = self.authenticate(authorization)
        return policy is None or policy.allows(
            verb="*", group="*", resource="*", namespace="", name=""
        )


def authorize(policy: Policy | None, request: Request) -> None:
    """Raise a 403 Forbidden Status unless `policy` allows `request`."""
    resource = (
        f"{request.resource}/{request.subresource}" if request.subresource else request.resource
    )
    if policy is None or policy.allows(
        verb=request.verb,
        group=request.group,
        resource=resource,
        namespace=request.namespace,
        name=request.name,
    ):
        return
    raise forbidden(policy.user, request)


def forbidden(user: str, request: Request) -> ApiError:
    resource = (
        f"{request.resource}/{request.subresource}" if request.subresource else request.resource
    )
    subject = qualified(request.resource, request.group)
    subject = f'{subject} "{request.name}"' if request.name else subject
    scope = (
        f'in the namespace "{request.namespace}"' if request.namespace else "at the cluster scope"
    )
    return ApiError(
        code=403,
        reason="Forbidden",
        message=(
            f'{subject} is forbidden: User "{user}" cannot {request.verb} resource "{resource}" '
            f'in API group "{request.group}" {scope}'
        ),
        name=request.name or None,
        group=request.group or None,
        kind=request.resource,
    )


def _rules(raw_rules: Iterable[dict[str, Any]], namespaces: frozenset[str] | None) -> list[Rule]:
    return [
        Rule(
            verbs=frozenset(r.get("verbs") or ()),
            resources=frozenset(r.get("resources") or ()),
            api_groups=frozenset(r.get("apiGroups") or ()),
            namespaces=namespaces,
            resource_names=frozenset(r.get("resourceNames") or ()),
        )
        for r in raw_rules
        if r.get("resources")
    ]


def policy_from_rbac(manifests: str, *, user: str) -> Policy:
    """Every Role (scoped to its namespace) and ClusterRole (cluster-wide) in the YAML."""
    rules: list[Rule] = []
    for doc in yaml.safe_load_all(manifests):
        if not isinstance(doc, dict):
            continue
        if doc.get("kind") == "ClusterRole":
            rules += _rules(doc.get("rules") or [], None)
        elif doc.get("kind") == "Role":
            namespace = doc.get("metadata", {}).get("namespace", "default")
            rules += _rules(doc.get("rules") or [], frozenset({namespace}))
    return Policy(user=user, rules=tuple(rules))


def policy_for_service_account(manifests: str, *, namespace: str, name: str) -> Policy:
    """What the bindings in the YAML grant ServiceAccount `namespace/name`.

    Namespaced documents without `metadata.namespace` (a kustomize base whose overlay sets it)
    are taken to be in the ServiceAccount's namespace.
    """
    docs = [d for d in yaml.safe_load_all(manifests) if isinstance(d, dict)]
    for doc in docs:
        if doc.get("kind") in ("Role", "RoleBinding"):
            doc.setdefault("metadata", {}).setdefault("namespace", namespace)
    roles = {
        (d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"]): d
        for d in docs
        if d.get("kind") in ("Role", "ClusterRole")
    }
    rules: list[Rule] = []
    for binding in docs:
        if binding.get("kind") not in ("RoleBinding", "ClusterRoleBinding"):
            continue
        if not _binds(binding, namespace=namespace, name=name):
            continue
        ref = binding.get("roleRef", {})
        bound_ns = binding["metadata"].get("namespace", "")
        role_ns = bound_ns if ref.get("kind") == "Role" else ""
        role = roles.get((ref.get("kind", ""), role_ns, ref.get("name", "")))
        if role is not None:
            scope = frozenset({bound_ns}) if binding["kind"] == "RoleBinding" else None
            rules += _rules(role.get("rules") or [], scope)
    return Policy(user=f"system:serviceaccount:{namespace}:{name}", rules=tuple(rules))


def _binds(binding: dict[str, Any], *, namespace: str, name: str) -> bool:
    return any(
        s.get("kind") == "ServiceAccount"
        and s.get("name") == name
        and s.get("namespace", binding["metadata"].get("namespace")) == namespace
        for s in binding.get("subjects") or []
    )
