"""Every image in docker/: the rules of issue 17.2, checked statically and by hadolint.

No container engine is needed here; `make compose-test` builds and runs the images for real.
"""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.iac.conftest import ROOT
from tests.iac.dockerfiles import DOCKER, Instruction, dockerfiles, instructions, stages

HADOLINT = Path(sys.executable).with_name("hadolint")
BASE_IMAGE_DEFAULT = "ARG BASE_IMAGE=python:3.11-slim-bookworm"
PIP_CACHE_MOUNT = "--mount=type=cache,id=infra-fleet-pip,target=/root/.cache/pip,sharing=locked "
NAMES = [path.name for path in dockerfiles()]


def _final(path: Path) -> list[Instruction]:
    return stages(path)[-1]


def _args(found: list[Instruction], keyword: str) -> list[str]:
    return [i.arguments for i in found if i.keyword == keyword]


def test_the_images_workflow_builds_dockerfiles_that_exist() -> None:
    workflow = yaml.safe_load((ROOT / ".github/workflows/images.yml").read_text())
    [job] = workflow["jobs"].values()
    assert job["strategy"]["matrix"]["image"] == ["portal", "load-harness"]
    build = next(step["run"] for step in job["steps"] if "docker build" in step.get("run", ""))
    assert '--file "docker/$IMAGE.Dockerfile"' in build
    for image in job["strategy"]["matrix"]["image"]:
        assert (DOCKER / f"{image}.Dockerfile").is_file()


def test_the_set_of_images() -> None:
    assert NAMES == [
        "devcluster.Dockerfile",
        "load-harness.Dockerfile",
        "moto.Dockerfile",
        "portal.Dockerfile",
        "postgres.Dockerfile",
        "prometheus.Dockerfile",
    ]


@pytest.mark.parametrize("name", NAMES)
def test_hadolint_reports_nothing(name: str) -> None:
    result = subprocess.run(
        [str(HADOLINT), "--no-color", str(DOCKER / name)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


@pytest.mark.parametrize("name", NAMES)
def test_every_stage_starts_from_base_image_defaulting_to_official_slim_python(name: str) -> None:
    path = DOCKER / name
    first = instructions(path)[0]
    assert f"{first.keyword} {first.arguments}" == BASE_IMAGE_DEFAULT
    assert {s[0].arguments.split()[0] for s in stages(path)} == {"${BASE_IMAGE}"}


PYTHON_IMAGES = [
    name for name in NAMES if name not in ("postgres.Dockerfile", "prometheus.Dockerfile")
]


FROM_PYPROJECT = ["devcluster.Dockerfile", "moto.Dockerfile", "portal.Dockerfile"]
"""The images whose dependencies are read from pyproject.toml (load-harness pins its own)."""


@pytest.mark.parametrize("name", PYTHON_IMAGES)
def test_python_images_are_multi_stage_and_ship_no_pip(name: str) -> None:
    path = DOCKER / name
    requirements = ["${BASE_IMAGE} AS requirements"] if name in FROM_PYPROJECT else []
    assert [s[0].arguments for s in stages(path)] == [
        *requirements,
        "${BASE_IMAGE} AS build",
        "${BASE_IMAGE} AS runtime",
    ]
    runs = _args(stages(path)[-2], "RUN")
    installs = [run for run in runs if "pip install" in run]
    assert installs
    for install in installs:  # wheels only: no compiler anywhere; pip's cache never in a layer
        assert install.startswith(PIP_CACHE_MOUNT)
        assert install.count("pip install") == install.count("pip install --only-binary=:all:")
    last_venv_run = [run for run in runs if "/opt/venv/bin/pip" in run][-1]
    assert "/opt/venv/bin/pip uninstall --yes pip" in last_venv_run
    assert all("pip" not in run for run in _args(_final(path), "RUN"))
    assert "/opt/venv /opt/venv" in " ".join(_args(_final(path), "COPY"))


@pytest.mark.parametrize("name", FROM_PYPROJECT)
def test_dependency_layers_depend_on_the_requirement_lists_not_on_pyproject(name: str) -> None:
    """A change to pyproject.toml that leaves a list as it was reuses the install layers."""
    path = DOCKER / name
    requirements, build = stages(path)[0], stages(path)[-2]
    assert _args(requirements, "COPY") == ["pyproject.toml scripts/image_requirements.py ./"]
    assert [r for r in _args(requirements, "RUN") if "pip" in r] == []
    source = [i for i, x in enumerate(build) if "/app/" in x.arguments]
    copies = _args(build[: source[0] if source else len(build)], "COPY")
    assert copies
    assert all(re.fullmatch(r"--from=requirements /src/[a-z]+\.txt \./", c) for c in copies)
    # portal and devcluster start with the same instructions, so they share those layers.
    if name == "devcluster.Dockerfile":
        portal = stages(DOCKER / "portal.Dockerfile")
        assert portal[0] == requirements
        assert build[:5] == portal[-2][:5]


@pytest.mark.parametrize("name", NAMES)
def test_final_stage_runs_as_a_numeric_non_root_user(name: str) -> None:
    [user] = _args(_final(DOCKER / name), "USER")
    uid, _, gid = user.partition(":")
    assert re.fullmatch(r"[1-9][0-9]*:[1-9][0-9]*", user), user
    assert uid == gid


@pytest.mark.parametrize("name", NAMES)
def test_final_stage_has_a_healthcheck_in_exec_form(name: str) -> None:
    [check] = _args(_final(DOCKER / name), "HEALTHCHECK")
    options, _, command = check.partition(" CMD ")
    timing = r"--interval=\d+s --timeout=\d+s --start-period=\d+s --retries=\d+"
    assert re.fullmatch(timing, options), options
    assert isinstance(json.loads(command), list)


@pytest.mark.parametrize("name", NAMES)
def test_final_stage_labels_the_revision(name: str) -> None:
    final = _final(DOCKER / name)
    assert "REVISION=unknown" in _args(final, "ARG")
    labels = " ".join(_args(final, "LABEL"))
    assert 'org.opencontainers.image.revision="${REVISION}"' in labels
    assert "org.opencontainers.image.title=" in labels


def _ignored(relative: str, patterns: list[str]) -> bool:
    """.dockerignore semantics for the patterns used here: last match wins, `!` re-includes."""
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        bare = pattern.removeprefix("!").rstrip("/")
        parts = relative.split("/")
        prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
        if any(fnmatch.fnmatchcase(prefix, bare) for prefix in prefixes) or (
            bare.startswith("**/") and fnmatch.fnmatchcase(parts[-1], bare[3:])
        ):
            ignored = not negated
    return ignored


def test_dockerignore_lets_in_exactly_what_the_images_copy() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    copied = set()
    for path in dockerfiles():
        for instruction in instructions(path):
            if instruction.keyword == "COPY" and "--from=" not in instruction.arguments:
                sources = [a for a in instruction.arguments.split() if not a.startswith("--")][:-1]
                copied |= {source.rstrip("/") for source in sources}
    for source in sorted(copied):
        assert (ROOT / source).exists(), source
        assert not _ignored(source, patterns), source
    for kept in ("pyproject.toml", "scripts/image_requirements.py", "portal/app.py"):
        assert not _ignored(kept, patterns), kept
    for left_out in (".git", ".venv", "var/portal.db", ".env", "tests", "portal/__pycache__"):
        assert _ignored(left_out, patterns), left_out
