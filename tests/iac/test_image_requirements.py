"""scripts/image_requirements.py: what the image builds install, read from pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest

from tests.iac.conftest import ROOT

SCRIPT = ROOT / "scripts" / "image_requirements.py"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def lines(*args: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(ROOT / "pyproject.toml"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.splitlines()


def test_default_is_the_project_dependencies() -> None:
    assert lines() == PROJECT["dependencies"]


def test_an_extra_alone_or_added() -> None:
    extra = PROJECT["optional-dependencies"]["devcluster"]
    assert lines("--no-project", "--extra", "devcluster") == extra
    assert lines("--extra", "devcluster") == [*PROJECT["dependencies"], *extra]


def test_only_picks_one_distribution_from_any_group() -> None:
    [moto] = [spec for spec in PROJECT["optional-dependencies"]["dev"] if spec.startswith("moto")]
    assert lines("--only", "moto") == [moto]
    assert lines("--only", "Uvicorn") == [
        spec for spec in PROJECT["dependencies"] if spec.startswith("uvicorn")
    ]


def test_an_unknown_distribution_is_an_error() -> None:
    with pytest.raises(subprocess.CalledProcessError) as caught:
        lines("--only", "no-such-dist")
    assert "not in" in caught.value.stderr
    assert "no-such-dist" in caught.value.stderr
