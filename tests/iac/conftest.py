"""Fixtures of the IaC tests: the repository's terraform/ and .github/, parsed or copied."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.iac.terraform_tree import TfFile, load_tree

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "terraform"


@pytest.fixture(scope="session")
def tree() -> list[TfFile]:
    return load_tree(TERRAFORM)


@pytest.fixture
def terraform_copy(tmp_path: Path) -> Path:
    """A private copy of terraform/ to inject a fault into."""
    copy = tmp_path / "terraform"
    shutil.copytree(TERRAFORM, copy, ignore=shutil.ignore_patterns(".terraform"))
    return copy


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} not found exactly once in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")
