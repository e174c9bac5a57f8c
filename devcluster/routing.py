"""Kubernetes REST paths to what they address.

`/api/v1/namespaces/ns/pods/x/status` becomes a `Target` (resource type, namespace, name,
subresource); discovery paths become a `DiscoveryPath`. Unknown paths are a 404 NotFound Status.
"""

from __future__ import annotations

from dataclasses import dataclass

from devcluster.errors import path_not_found
from devcluster.resources import Registry, ResourceType

SUBRESOURCES = ("status", "scale")


@dataclass(frozen=True)
class Target:
    rtype: ResourceType
    namespace: str
    name: str
    subresource: str

    @property
    def is_collection(self) -> bool:
        return not self.name


@dataclass(frozen=True)
class DiscoveryPath:
    group: str
    version: str


def parse_path(registry: Registry, path: str) -> Target | DiscoveryPath:
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"] and len(parts) >= 2:
        group, version, rest = "", parts[1], parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        raise path_not_found()
    if not rest:
        if not registry.in_group_version(group=group, version=version):
            raise path_not_found()
        return DiscoveryPath(group, version)
    return _resource_target(registry, group, version, rest)


def _resource_target(registry: Registry, group: str, version: str, rest: list[str]) -> Target:
    namespace = ""
    if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] not in ("status", "finalize"):
        namespace, rest = rest[1], rest[2:]
    rtype = registry.lookup(group=group, version=version, plural=rest[0])
    if namespace and not rtype.namespaced:
        raise path_not_found()
    name = rest[1] if len(rest) >= 2 else ""
    subresource = rest[2] if len(rest) == 3 else ""
    if len(rest) > 3 or not _has_subresource(rtype, subresource):
        raise path_not_found()
    if rtype.namespaced and name and not namespace:
        raise path_not_found()
    return Target(rtype, namespace, name, subresource)


def _has_subresource(rtype: ResourceType, subresource: str) -> bool:
    if subresource == "status":
        return rtype.status_subresource
    if subresource == "scale":
        return rtype.scale_subresource
    return subresource == ""
