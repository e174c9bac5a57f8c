"""terraform/ parsed with python-hcl2, and the structural rules the IaC tests hold it to.

Every rule returns the problems it found as sentences (empty: the tree keeps the rule), so the
same function proves the real tree clean and a copy with an injected fault caught.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2

OPTIONS = hcl2.SerializationOptions(
    strip_string_quotes=True, explicit_blocks=False, with_comments=False
)
EXACT_VERSION = re.compile(r"^=?\s*\d+\.\d+\.\d+$")
LAYOUT_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "README.md")

# Actions IAM cannot scope to a resource ("*" is the only resource it accepts for them), from the
# Service Authorization Reference: Cost Explorer's reads, EC2's Describe* calls, ECR's login.
ACTIONS_WITHOUT_RESOURCES = frozenset(
    {
        "ce:GetCostAndUsage",
        "ce:GetCostForecast",
        "ec2:DescribeSpotPriceHistory",
        "ecr:GetAuthorizationToken",
    }
)
# Statements allowed wildcards, each with its reason (the infrastructure apply role creates
# VPCs, clusters and node groups, which have no ARN before they exist).
WILDCARD_ALLOWED = {
    ("github-oidc", "ManageStackServices"): "creates the staging stack's own resources",
}


@dataclass(frozen=True)
class TfFile:
    """One parsed .tf file and where it lives (`modules/eks`, `envs/staging`)."""

    path: Path
    unit: str
    body: dict[str, Any]


def load_tree(terraform_dir: Path) -> list[TfFile]:
    files = []
    for path in sorted(terraform_dir.rglob("*.tf")):
        if ".terraform" in path.parts:
            continue
        with path.open(encoding="utf-8") as handle:
            body = hcl2.load(handle, serialization_options=OPTIONS)
        unit = path.parent.relative_to(terraform_dir).as_posix()
        files.append(TfFile(path=path, unit=unit, body=body))
    return files


def blocks(tree: list[TfFile], kind: str) -> Iterator[tuple[TfFile, str, dict[str, Any]]]:
    """Labelled blocks of one kind: (`variable`, name) or (`resource`, "type.name")."""
    for tf in tree:
        for entry in tf.body.get(kind, []):
            for label, body in entry.items():
                if kind in ("resource", "data"):
                    for name, inner in body.items():
                        yield tf, f"{label}.{name}", inner
                else:
                    yield tf, label, body


def unlabelled(tree: list[TfFile], kind: str) -> Iterator[tuple[TfFile, dict[str, Any]]]:
    """Blocks without labels: `terraform`, `locals`."""
    for tf in tree:
        for body in tf.body.get(kind, []):
            yield tf, body


def _where(tf: TfFile) -> str:
    return f"terraform/{tf.unit}/{tf.path.name}"


# Layout ---------------------------------------------------------------------------------


def layout_problems(terraform_dir: Path) -> list[str]:
    units = [p for p in (terraform_dir / "modules").iterdir() if p.is_dir()]
    units += [p for p in (terraform_dir / "envs").iterdir() if p.is_dir()]
    return [
        f"terraform/{unit.relative_to(terraform_dir).as_posix()} lacks {name}"
        for unit in sorted(units)
        for name in LAYOUT_FILES
        if not (unit / name).is_file()
    ]


# Variables and outputs ----------------------------------------------------------------------


def variable_problems(tree: list[TfFile]) -> list[str]:
    problems = []
    for tf, name, body in blocks(tree, "variable"):
        if not str(body.get("description", "")).strip():
            problems.append(f"{_where(tf)}: variable {name} has no description")
        if "type" not in body:
            problems.append(f"{_where(tf)}: variable {name} has no type")
    return problems


def output_problems(tree: list[TfFile]) -> list[str]:
    sensitive = {name for _, name, body in blocks(tree, "variable") if body.get("sensitive")}
    problems = []
    for tf, name, body in blocks(tree, "output"):
        if not str(body.get("description", "")).strip():
            problems.append(f"{_where(tf)}: output {name} has no description")
        value = str(body.get("value", ""))
        problems += [
            f"{_where(tf)}: output {name} exposes sensitive variable {secret}"
            for secret in sorted(sensitive)
            if f"var.{secret}" in value
        ]
    return problems


# Versions -----------------------------------------------------------------------------------


def unpinned_providers(tree: list[TfFile]) -> list[str]:
    problems = []
    for tf, body in unlabelled(tree, "terraform"):
        for entry in _as_list(body.get("required_providers")):
            for provider, spec in entry.items():
                version = spec.get("version") if isinstance(spec, dict) else None
                if not version or not EXACT_VERSION.match(str(version)):
                    problems.append(
                        f"{_where(tf)}: provider {provider} is not pinned to one version "
                        f"(version = {version!r})"
                    )
    for tf in tree:
        if tf.path.name == "versions.tf" and not any(
            "required_providers" in body for _, body in unlabelled([tf], "terraform")
        ):
            problems.append(f"{_where(tf)}: no required_providers block")
    return problems


def unpinned_modules(tree: list[TfFile]) -> list[str]:
    problems = []
    for tf, name, body in blocks(tree, "module"):
        source = str(body.get("source", ""))
        if source.startswith(("./", "../")):
            if not (tf.path.parent / source).resolve().is_dir():
                problems.append(f"{_where(tf)}: module {name} points at missing {source}")
            continue
        version = body.get("version")
        if not version or not EXACT_VERSION.match(str(version)):
            problems.append(f"{_where(tf)}: module {name} ({source}) is not pinned to one version")
    return problems


# IAM ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    where: str
    unit: str
    document: str
    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    is_trust: bool


def policy_statements(tree: list[TfFile]) -> list[Statement]:
    found = []
    for tf, name, body in blocks(tree, "data"):
        if not name.startswith("aws_iam_policy_document."):
            continue
        raw = list(_as_list(body.get("statement")))
        for dynamic in _as_list(body.get("dynamic")):
            raw += [c for d in dynamic.values() for c in _as_list(d.get("content"))]
        for statement in raw:
            found.append(
                Statement(
                    where=_where(tf),
                    unit=tf.unit.split("/")[-1],
                    document=name.split(".", 1)[1],
                    sid=str(statement.get("sid", "")),
                    actions=tuple(str(a) for a in _as_list(statement.get("actions"))),
                    resources=tuple(str(r) for r in _as_list(statement.get("resources"))),
                    is_trust="principals" in statement,
                )
            )
    return found


def iam_wildcard_problems(tree: list[TfFile]) -> list[str]:
    problems = []
    for s in policy_statements(tree):
        allowed = (s.unit, s.sid) in WILDCARD_ALLOWED
        label = f"{s.where}: {s.document}/{s.sid or 'statement'}"
        for action in s.actions:
            if action == "*":
                problems.append(f"{label} grants every action (*)")
            elif "*" in action and not allowed:
                problems.append(f"{label} grants wildcard action {action}")
        if s.is_trust or "*" not in s.resources or allowed:
            continue
        scoped = [a for a in s.actions if a not in ACTIONS_WITHOUT_RESOURCES]
        if scoped:
            problems.append(f"{label} puts resource * on actions IAM can scope: {scoped}")
    return problems


def inline_policy_problems(tree: list[TfFile]) -> list[str]:
    """Every policy we attach is an aws_iam_policy_document, so the IAM rules above see it."""
    problems = []
    for tf, name, body in blocks(tree, "resource"):
        for key in ("policy", "assume_role_policy"):
            value = body.get(key)
            if value is None or name.startswith("aws_ecr_lifecycle_policy."):
                continue
            if not str(value).startswith("${data.aws_iam_policy_document."):
                problems.append(f"{_where(tf)}: {name}.{key} is not an aws_iam_policy_document")
    return problems


def checkov_skip_problems(terraform_dir: Path) -> list[str]:
    """A checkov skip must say why, on the resource it skips."""
    problems = []
    for path in sorted(terraform_dir.rglob("*.tf")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if "checkov:skip" not in line:
                continue
            if not re.search(r"checkov:skip=CKV2?_[A-Z0-9_]+:\s*\S.{15,}", line):
                problems.append(f"{path.name}:{number}: checkov skip without a reason")
    return problems


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
