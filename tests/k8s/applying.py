"""Apply built manifests to a devcluster with the real kubectl, the way Flux's
kustomize-controller does: server-side apply, Namespaces and CRDs first, then the rest, each
stage server-side dry-run before it is applied for real."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.k8s.tree import KUBECTL, Obj

FIELD_MANAGER = "kustomize-controller"  # Flux's manager name
FIRST_KINDS = ("Namespace", "CustomResourceDefinition")


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


@dataclass(frozen=True)
class Kubectl:
    kubeconfig: Path
    cache: Path

    async def run(self, *args: str, stdin: str | None = None) -> Result:
        process = await asyncio.create_subprocess_exec(
            KUBECTL,
            f"--kubeconfig={self.kubeconfig}",
            f"--cache-dir={self.cache}",
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={"PATH": os.environ.get("PATH", ""), "HOME": str(self.cache)},
        )
        out, err = await asyncio.wait_for(
            process.communicate(stdin.encode() if stdin else None), 60
        )
        return Result(process.returncode or 0, out.decode(), err.decode())

    async def apply(self, items: list[Obj], *, dry_run: bool) -> Result:
        args = ["apply", "--server-side", f"--field-manager={FIELD_MANAGER}", "-f", "-"]
        if dry_run:
            args.append("--dry-run=server")
        return await self.run(*args, stdin=yaml.safe_dump_all(items))


def stages(items: list[Obj]) -> list[list[Obj]]:
    """Flux's apply order: Namespaces and CRDs, then everything else (empty stages dropped)."""
    first = [o for o in items if o["kind"] in FIRST_KINDS]
    rest = [o for o in items if o["kind"] not in FIRST_KINDS]
    return [stage for stage in (first, rest) if stage]


async def apply_checked(kubectl: Kubectl, items: list[Obj]) -> list[str]:
    """Dry-run then apply each stage; the `kind/name` lines kubectl printed for the real apply."""
    applied: list[str] = []
    for stage in stages(items):
        dry = await kubectl.apply(stage, dry_run=True)
        assert dry.code == 0, dry.err
        real = await kubectl.apply(stage, dry_run=False)
        assert real.code == 0, real.err
        applied += [line.split()[0] for line in real.out.splitlines()]
    return applied
