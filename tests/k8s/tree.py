"""The Flux tree under k8s/: its kustomizations, built with the real `kubectl kustomize`.

Flux substitutes `${VAR}` in the apps layer from the Secret flux-system/flagger-portal-token
(postBuild.substituteFrom); `substitute` does the same for the tests, refusing any variable it
is not given, as Flux does with `substitute: strict`-style checks.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "k8s"
KUBECTL = shutil.which("kubectl") or "kubectl"
# The layers Flux applies, in dependsOn order (k8s/clusters/staging/*.yaml).
LAYERS = ("infrastructure/controllers", "infrastructure/configs", "apps/staging")
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

Obj = dict[str, Any]


def kustomization_dirs() -> list[Path]:
    """Every directory of k8s/ with a kustomization.yaml, relative to k8s/."""
    return sorted(p.parent.relative_to(K8S) for p in K8S.rglob("kustomization.yaml"))


def kustomize(directory: Path) -> str:
    """`kubectl kustomize` on a directory (absolute, or relative to k8s/)."""
    result = subprocess.run(
        [KUBECTL, "kustomize", str(K8S / directory)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"kubectl kustomize {directory} failed:\n{result.stderr}")
    return result.stdout


@functools.cache
def built(directory: str) -> str:
    return kustomize(Path(directory))


def objects(text: str) -> list[Obj]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


def substitute(text: str, variables: dict[str, str]) -> str:
    """Flux's postBuild substitution for `${VAR}`; an unknown variable is an error here."""
    missing = sorted(set(VARIABLE.findall(text)) - set(variables))
    if missing:
        raise AssertionError(f"no value for {missing}")
    return VARIABLE.sub(lambda m: variables[m.group(1)], text)


def find(items: list[Obj], kind: str, name: str) -> Obj:
    matches = [o for o in items if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} found"
    return matches[0]


def set_image_tag(copy_root: Path, *, policy: str, tag: str) -> Path:
    """A copy of k8s/ in which the `{"$imagepolicy": "flux-system:<policy>:tag"}` setter line
    says `tag`, as Flux's ImageUpdateAutomation would commit it; returns the copy's k8s/."""
    copy = copy_root / "k8s"
    shutil.copytree(K8S, copy)
    overlay = copy / "apps" / "staging" / "kustomization.yaml"
    marker = f'# {{"$imagepolicy": "flux-system:{policy}:tag"}}'
    lines = overlay.read_text(encoding="utf-8").splitlines(keepends=True)
    hits = [i for i, line in enumerate(lines) if line.rstrip().endswith(marker)]
    assert len(hits) == 1, f"one setter line for {policy} expected"
    indent = lines[hits[0]][: len(lines[hits[0]]) - len(lines[hits[0]].lstrip())]
    lines[hits[0]] = f"{indent}newTag: {tag} {marker}\n"
    overlay.write_text("".join(lines), encoding="utf-8")
    return copy
