"""The Helm commands that check k8s/'s pinned charts against their repositories (needs network).

    python scripts/chart_checks.py            print one `helm template` command per HelmRelease
    python scripts/chart_checks.py --run      run them (helm 3.8+ on PATH, network access)

Each release's values are written to var/chart-values/NAMESPACE-NAME.yaml for the commands.

Nothing here runs in `make test`: the build machines reach no chart repository, so the pinned
versions are not verified offline. Each command renders the release's chart at the pinned
version with the release's own values: it fails when the version
does not exist in the repository (HelmRepository) or registry (OCIRepository), when the chart's
values.schema.json refuses the values, or when a template fails on them. helm ignores a values
key the chart neither uses nor declares in a schema, so a misspelt key in a chart without a
schema still passes. The tree is read from `kubectl kustomize k8s/infrastructure/controllers`.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
CONTROLLERS = ROOT / "k8s" / "infrastructure" / "controllers"
VALUES_DIR = ROOT / "var" / "chart-values"


@dataclass(frozen=True)
class Release:
    name: str
    namespace: str
    chart: str
    version: str
    repository: str | None
    values: dict[str, Any]

    def command(self, values_file: Path) -> list[str]:
        repo = ["--repo", self.repository] if self.repository else []
        return [
            "helm", "template", self.name, self.chart, *repo,
            "--version", self.version, "--namespace", self.namespace,
            "--values", str(values_file),
        ]  # fmt: skip


def built(directory: Path = CONTROLLERS) -> list[dict[str, Any]]:
    output = subprocess.run(  # noqa: S603 - kubectl on PATH, our own tree
        ["kubectl", "kustomize", str(directory)],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return [doc for doc in yaml.safe_load_all(output) if doc]


def releases(objects: list[dict[str, Any]]) -> list[Release]:
    """Each HelmRelease with the chart, version and repository of its source."""
    sources = {
        (o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]): o
        for o in objects
        if o["kind"] in ("HelmRepository", "OCIRepository")
    }
    found = []
    for release in (o for o in objects if o["kind"] == "HelmRelease"):
        meta, spec = release["metadata"], release["spec"]
        namespace = meta["namespace"]
        if "chartRef" in spec:
            ref = spec["chartRef"]
            source = sources[(ref["kind"], ref.get("namespace", namespace), ref["name"])]
            chart, version, repository = source["spec"]["url"], source["spec"]["ref"]["tag"], None
        else:
            chart_spec = spec["chart"]["spec"]
            ref = chart_spec["sourceRef"]
            source = sources[(ref["kind"], ref.get("namespace", namespace), ref["name"])]
            chart, version = chart_spec["chart"], chart_spec["version"]
            repository = source["spec"]["url"]
        namespace = spec.get("targetNamespace", namespace)
        found.append(
            Release(meta["name"], namespace, chart, version, repository, spec.get("values", {}))
        )
    return found


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="chart_checks.py", description=__doc__)
    parser.add_argument("--run", action="store_true", help="run the commands (needs network)")
    args = parser.parse_args(argv)
    failed = []
    VALUES_DIR.mkdir(parents=True, exist_ok=True)
    for release in releases(built()):
        values = VALUES_DIR / f"{release.namespace}-{release.name}.yaml"
        values.write_text(yaml.safe_dump(release.values))
        command = release.command(values.relative_to(ROOT))
        sys.stdout.write(shlex.join(command) + "\n")
        if args.run:
            result = subprocess.run(  # noqa: S603 - helm on PATH, our own tree's values
                command, cwd=ROOT, capture_output=True, text=True, check=False
            )
            verdict = "ok" if result.returncode == 0 else result.stderr.strip()
            sys.stdout.write(f"  {release.name} {release.version}: {verdict}\n")
            if result.returncode != 0:
                failed.append(release.name)
    if failed:
        sys.stderr.write(f"chart_checks.py: failed: {', '.join(failed)}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
