""".github/ validated against check-jsonschema's vendored schemas and audited by zizmor."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.iac.conftest import ROOT

BIN = Path(sys.executable).parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
PINNED = re.compile(r"uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False, cwd=ROOT)


def test_workflows_match_the_github_workflow_schema() -> None:
    files = [str(p) for p in WORKFLOWS]
    result = _run(
        str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *files
    )
    assert result.returncode == 0, result.stdout + result.stderr
    result = _run(
        str(BIN / "check-jsonschema"),
        "--builtin-schema",
        "vendor.dependabot",
        ".github/dependabot.yml",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing() -> None:
    result = _run(str(BIN / "zizmor"), "--offline", "--no-progress", ".github/")
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_action_is_pinned_by_full_sha_with_its_version() -> None:
    for path in WORKFLOWS:
        for line in path.read_text(encoding="utf-8").splitlines():
            if "uses:" in line:
                assert PINNED.search(line.strip().removeprefix("- ")), f"{path.name}: {line}"


def test_images_carry_the_revision_label_and_deploys_use_oidc() -> None:
    images = (ROOT / ".github/workflows/images.yml").read_text(encoding="utf-8")
    assert '--label "org.opencontainers.image.revision=$GITHUB_SHA"' in images
    for name in ("images", "infra", "nightly"):
        text = (ROOT / f".github/workflows/{name}.yml").read_text(encoding="utf-8")
        assert "id-token: write" in text
        assert "aws-access-key-id" not in text
        assert "permissions: {}" in text


def test_every_staging_apply_shares_one_concurrency_group() -> None:
    for name in ("infra", "nightly"):
        text = (ROOT / f".github/workflows/{name}.yml").read_text(encoding="utf-8")
        assert "group: terraform-staging\n      cancel-in-progress: false" in text
