"""Custom resource kinds read from CustomResourceDefinition YAML files.

devcluster serves whatever CRDs it finds in the CRD directory, with their printer columns and
openAPIV3Schema, so Flagger and Flux objects behave as in a cluster with those CRDs installed.
Without a directory it still serves the kinds infra-fleet uses, unvalidated.
"""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path
from typing import Any

import yaml

from devcluster.resources import PrinterColumn, ResourceType

log = logging.getLogger(__name__)

CRDS_DIR_ENV = "DEVCLUSTER_CRDS_DIR"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def default_crds_dir() -> Path | None:
    """`$DEVCLUSTER_CRDS_DIR`, else `<repo root>/../shared/crds` when it exists."""
    from_env = os.environ.get(CRDS_DIR_ENV)
    if from_env:
        return Path(from_env)
    candidate = Path(__file__).resolve().parent.parent.parent / "shared" / "crds"
    return candidate if candidate.is_dir() else None


def load_crd_types(crds_dir: Path) -> list[ResourceType]:
    """Every served version of every CRD in `crds_dir/*.yaml` (parsed once per file version)."""
    types: list[ResourceType] = []
    for path in sorted(crds_dir.glob("*.yaml")):
        types.extend(_file_types(path.resolve(), path.stat().st_mtime_ns))
    return types


@functools.lru_cache(maxsize=64)
def _file_types(path: Path, mtime_ns: int) -> tuple[ResourceType, ...]:
    types: list[ResourceType] = []
    with path.open() as stream:
        for doc in yaml.load_all(stream, Loader=_LOADER):
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                types.extend(_crd_versions(doc))
    return tuple(types)


def crd_types(crds_dir: Path | None) -> list[ResourceType]:
    """CRD kinds from `crds_dir`, or the unvalidated fallback kinds (with a warning)."""
    if crds_dir is not None and crds_dir.is_dir():
        return load_crd_types(crds_dir)
    _warn_unvalidated(str(crds_dir))
    return _fallback_types()


@functools.cache
def _warn_unvalidated(crds_dir: str) -> None:
    """Once per process and directory, however many clusters a test run starts."""
    log.warning("no CRD directory found (%s): serving custom kinds without validation", crds_dir)


def _crd_versions(crd: dict[str, Any]) -> list[ResourceType]:
    spec = crd["spec"]
    names = spec["names"]
    found = []
    for version in spec["versions"]:
        if not version.get("served", True):
            continue
        subresources = version.get("subresources") or {}
        columns = tuple(_column(c) for c in version.get("additionalPrinterColumns") or [])
        found.append(
            ResourceType(
                group=spec["group"],
                version=version["name"],
                plural=names["plural"],
                singular=names.get("singular", names["kind"].lower()),
                kind=names["kind"],
                namespaced=spec.get("scope", "Namespaced") == "Namespaced",
                short_names=tuple(names.get("shortNames") or ()),
                categories=tuple(names.get("categories") or ()),
                status_subresource="status" in subresources,
                scale_subresource="scale" in subresources,
                tracks_generation=True,
                custom=True,
                printer_columns=columns,
                schema=(version.get("schema") or {}).get("openAPIV3Schema"),
            )
        )
    return found


def _column(raw: dict[str, Any]) -> PrinterColumn:
    return PrinterColumn(
        name=raw["name"],
        type=raw.get("type", "string"),
        json_path=raw["jsonPath"],
        description=raw.get("description", ""),
        priority=int(raw.get("priority", 0)),
        format=raw.get("format", ""),
    )


def _fallback_types() -> list[ResourceType]:
    known = [
        ("flagger.app", "v1beta1", "canaries", "Canary", ()),
        ("flagger.app", "v1beta1", "metrictemplates", "MetricTemplate", ()),
        ("flagger.app", "v1beta1", "alertproviders", "AlertProvider", ()),
        ("kustomize.toolkit.fluxcd.io", "v1", "kustomizations", "Kustomization", ("ks",)),
        ("helm.toolkit.fluxcd.io", "v2", "helmreleases", "HelmRelease", ("hr",)),
    ]
    return [
        ResourceType(
            group=group,
            version=version,
            plural=plural,
            singular=kind.lower(),
            kind=kind,
            namespaced=True,
            short_names=short,
            status_subresource=True,
            tracks_generation=True,
            custom=True,
        )
        for group, version, plural, kind, short in known
    ]
