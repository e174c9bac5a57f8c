"""The load-harness Dockerfile, checked statically (no Docker engine here) and by hadolint."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[3]
DOCKERFILE = REPO / "docker" / "load-harness.Dockerfile"
PACKAGE = REPO / "load_harness"
HADOLINT = Path(sys.executable).with_name("hadolint")


def instructions() -> list[tuple[str, str]]:
    """(KEYWORD, arguments) per instruction, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in joined.splitlines()]
    parsed = []
    for line in lines:
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            parsed.append((keyword.upper(), " ".join(arguments.split())))
    return parsed


def arguments_of(keyword: str) -> list[str]:
    return [arguments for found, arguments in instructions() if found == keyword]


def image_requirements() -> list[Requirement]:
    [install] = [run for run in arguments_of("RUN") if "pip install" in run]
    return [Requirement(spec) for spec in re.findall(r'"([^"]+)"', install)]


def test_build_is_multi_stage_on_base_image_defaulting_to_python_311_slim() -> None:
    assert instructions()[0] == ("ARG", "BASE_IMAGE=python:3.11-slim-bookworm")
    assert arguments_of("FROM") == ["${BASE_IMAGE} AS build", "${BASE_IMAGE} AS runtime"]


def test_runtime_runs_as_a_numeric_non_root_user() -> None:
    keywords = [keyword for keyword, _ in instructions()]
    last_from = len(keywords) - 1 - keywords[::-1].index("FROM")
    assert arguments_of("USER") == ["10001:10001"]
    assert keywords.index("USER") > last_from


def test_healthcheck_asks_healthz_with_python_urllib() -> None:
    assert arguments_of("HEALTHCHECK") == [
        "--interval=10s --timeout=3s --start-period=10s --retries=3 CMD "
        '["python", "-c", "import sys, urllib.request; sys.exit(0 if '
        "urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=2).status == 200 "
        'else 1)"]'
    ]


def test_cmd_is_exec_form_serving_on_8080() -> None:
    [cmd] = arguments_of("CMD")
    assert json.loads(cmd) == [
        "python",
        "-m",
        "load_harness",
        "serve",
        "--host",
        "0.0.0.0",
        "--port",
        "8080",
    ]
    assert arguments_of("EXPOSE") == ["8080"]


def test_runtime_writes_only_under_tmp() -> None:
    environment = " ".join(arguments_of("ENV"))
    for setting in ("PYTHONDONTWRITEBYTECODE=1", "TMPDIR=/tmp", "HOME=/tmp"):
        assert setting in environment
    assert "RUN /opt/venv/bin/python -m compileall -q /app/load_harness" in {
        f"RUN {run}" for run in arguments_of("RUN")
    }


def test_the_package_is_copied_whole_with_its_static_files_and_templates() -> None:
    assert "load_harness/ /app/load_harness/" in arguments_of("COPY")
    assert (PACKAGE / "static" / "htmx.min.js").is_file()
    assert (PACKAGE / "templates" / "status" / "index.html").is_file()


def test_hadolint_reports_nothing() -> None:
    result = subprocess.run(
        [str(HADOLINT), "--no-color", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_image_dependencies_have_the_same_lower_bounds_as_pyproject() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = {Requirement(spec).name: str(Requirement(spec)) for spec in project["dependencies"]}
    for requirement in image_requirements():
        assert declared[requirement.name] == str(requirement)


def test_image_dependencies_provide_every_third_party_import() -> None:
    provided = closure({requirement.name for requirement in image_requirements()})
    distributions = metadata.packages_distributions()
    for module in third_party_imports():
        owners = {name.lower().replace("_", "-") for name in distributions[module]}
        assert owners & provided, f"{module} comes from {owners}, not installed in the image"


def third_party_imports() -> set[str]:
    modules = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return {m for m in modules if m not in sys.stdlib_module_names and m != "load_harness"}


def closure(names: set[str]) -> set[str]:
    """The distributions `names` install, following their (non-extra) requirements."""
    seen: set[str] = set()
    pending = [name.lower() for name in names]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        for spec in metadata.requires(name) or []:
            requirement = Requirement(spec)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name.lower().replace("_", "-"))
    return seen


def test_the_import_scan_finds_exactly_the_packages_the_harness_uses() -> None:
    assert third_party_imports() == {
        "fastapi",
        "starlette",
        "uvicorn",
        "pydantic",
        "pydantic_settings",
        "prometheus_client",
        "structlog",
        "psutil",
    }
