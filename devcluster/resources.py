"""The resource kinds devcluster serves, and how each behaves.

A `ResourceType` is what discovery advertises and what the store and protocol consult: scope,
verbs, subresources, whether `generation` is tracked, how DELETE answers. Built-in kinds are
declared here; custom kinds come from CRD files (see `crds.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from devcluster.errors import path_not_found

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
Converter = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class PrinterColumn:
    """One `additionalPrinterColumns` entry (also used for built-in table printers)."""

    name: str
    type: str
    json_path: str
    description: str = ""
    priority: int = 0
    format: str = ""


@dataclass(frozen=True)
class ResourceType:
    """One served resource (`canaries.flagger.app/v1beta1`) and its API behaviour."""

    group: str
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    status_subresource: bool = False
    scale_subresource: bool = False
    tracks_generation: bool = False
    custom: bool = False
    delete_returns_object: bool = False
    unconditional_update: bool = True
    """False where the registry's strategy says `AllowUnconditionalUpdate() false` (Leases):
    a PUT without metadata.resourceVersion is then Invalid instead of overwriting."""
    verbs: tuple[str, ...] = ALL_VERBS
    printer_columns: tuple[PrinterColumn, ...] = ()
    schema: dict[str, Any] | None = None
    field_labels: tuple[str, ...] = ()
    storage_key: str = ""
    to_storage: Converter | None = None
    from_storage: Converter | None = None
    field_label_aliases: dict[str, str] = field(default_factory=dict)

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_resource(self) -> str:
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def key(self) -> str:
        """The storage bucket: two API versions of one kind (events) share it."""
        return self.storage_key or self.group_resource

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"


@dataclass
class Registry:
    """Every served resource type, looked up by group/version/plural."""

    types: list[ResourceType] = field(default_factory=list)

    def add(self, rtypes: Iterable[ResourceType]) -> None:
        for rtype in rtypes:
            self.types = [
                t
                for t in self.types
                if (t.group, t.version, t.plural) != (rtype.group, rtype.version, rtype.plural)
            ]
            self.types.append(rtype)

    def lookup(self, *, group: str, version: str, plural: str) -> ResourceType:
        for rtype in self.types:
            if (rtype.group, rtype.version, rtype.plural) == (group, version, plural):
                return rtype
        raise path_not_found()

    def find_kind(self, *, api_version: str, kind: str) -> ResourceType | None:
        for rtype in self.types:
            if (rtype.api_version, rtype.kind) == (api_version, kind):
                return rtype
        return None

    def group_versions(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for rtype in self.types:
            versions = found.setdefault(rtype.group, [])
            if rtype.version not in versions:
                versions.append(rtype.version)
        return found

    def in_group_version(self, *, group: str, version: str) -> list[ResourceType]:
        return [t for t in self.types if (t.group, t.version) == (group, version)]
