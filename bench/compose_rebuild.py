"""How long `podman-compose build` takes after a change to pyproject.toml, under podman.

    python bench/compose_rebuild.py SOURCE_DIR [--label NAME]

SOURCE_DIR is an export of the tree (`git archive REV | tar -x -C DIR`), edited in place. With
the base image built (make compose-base) it times, in order:
  first       a build with whatever podman's layer cache holds (cold on a fresh machine);
  pyproject   a build after a change to pyproject.toml that leaves the runtime dependencies as
              they were (a tool setting; what most pyproject.toml changes are);
  unchanged   the same build again with nothing changed (the baseline, every layer cached).
The images are tagged `bench-<label>` and removed at the end (the layer cache stays).
Prints one line per build and the ratio pyproject / warm.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("postgres", "devcluster", "moto", "portal", "load-harness", "prometheus")
REQUIRED_VARIABLES = (
    "POSTGRES_PASSWORD",
    "LOAD_HARNESS_API_KEY",
    "FLAGGER_TOKEN",
    "FLAGGER_TOKEN_HASH",
    *(f"FLAGGER_TOKEN_{c}" for c in ("PROD_EU", "PROD_US", "STAGING")),
    *(f"FLAGGER_TOKEN_HASH_{c}" for c in ("PROD_EU", "PROD_US", "STAGING")),
)
"""The compose file's `${NAME:?}` variables, old and new (a build reads none of them)."""
TOOL_CHANGE = '\n[tool.bench-compose-rebuild]\nrun = "{stamp}"\n'


def build(source: Path, env: dict[str, str]) -> float:
    podman_compose = str(Path(sys.executable).with_name("podman-compose"))
    compose_file = str(source / "docker-compose.yml")
    argv = [podman_compose, "--project-name", "infra-fleet-bench", "--file", compose_file, "build"]
    started = time.monotonic()
    subprocess.run(argv, cwd=source, env=env, check=True, capture_output=True)
    return time.monotonic() - started


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="compose_rebuild.py", description=__doc__)
    parser.add_argument("source", type=Path)
    parser.add_argument("--label", default="tree")
    args = parser.parse_args(argv)
    source = args.source.resolve()
    tag = f"bench-{args.label}"
    env = {
        **os.environ,
        "CONTAINERS_CONF": str(ROOT / "docker/compose/containers.conf"),
        "BUILDAH_FORMAT": "docker",
        "BASE_IMAGE": "localhost/infra-fleet/base:bookworm",
        "IMAGE_TAG": tag,
        "REVISION": "bench",
        # Only the `build` section is read; these satisfy the compose file's `:?` variables.
        **dict.fromkeys(REQUIRED_VARIABLES, "bench"),
    }
    figures: dict[str, float] = {}
    try:
        figures["first"] = build(source, env)
        pyproject = source / "pyproject.toml"
        pyproject.write_text(pyproject.read_text() + TOOL_CHANGE.format(stamp=time.time()))
        figures["pyproject"] = build(source, env)
        figures["unchanged"] = build(source, env)
    finally:
        images = [f"localhost/infra-fleet/{service}:{tag}" for service in SERVICES]
        subprocess.run(
            ["podman", "rmi", "--ignore", *images], env=env, capture_output=True, check=False
        )
    for name, seconds in figures.items():
        sys.stdout.write(f"{args.label} {name:<11} {seconds:7.1f} s\n")
    ratio = figures["pyproject"] / figures["unchanged"]
    sys.stdout.write(f"{args.label} pyproject/unchanged {ratio:.2f}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
