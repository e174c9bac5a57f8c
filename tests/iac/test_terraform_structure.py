"""terraform/ holds to its rules, read with python-hcl2 (no provider download needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.iac import terraform_tree as tt
from tests.iac.conftest import TERRAFORM, replace_once
from tests.iac.terraform_tree import TfFile, blocks, load_tree, unlabelled


def _module_call(tree: list[TfFile], env: str, name: str) -> dict[str, Any]:
    calls = [b for tf, n, b in blocks(tree, "module") if tf.unit == f"envs/{env}" and n == name]
    assert len(calls) == 1
    return calls[0]


def _variable(tree: list[TfFile], unit: str, name: str) -> dict[str, Any]:
    found = [b for tf, n, b in blocks(tree, "variable") if tf.unit == unit and n == name]
    assert len(found) == 1
    return found[0]


def _resource(tree: list[TfFile], unit: str, address: str) -> dict[str, Any]:
    found = [b for tf, n, b in blocks(tree, "resource") if tf.unit == unit and n == address]
    assert len(found) == 1
    return found[0]


def test_every_module_and_env_has_the_standard_files() -> None:
    assert tt.layout_problems(TERRAFORM) == []
    units = sorted(p.name for p in (TERRAFORM / "modules").iterdir())
    assert units == ["dns", "ecr", "eks", "github-oidc", "network", "portal-iam"]
    assert sorted(p.name for p in (TERRAFORM / "envs").iterdir()) == ["permanent", "staging"]


def test_every_variable_is_typed_and_described(tree: list[TfFile]) -> None:
    assert tt.variable_problems(tree) == []


def test_every_output_is_described_and_none_leaks_a_secret(tree: list[TfFile]) -> None:
    assert tt.output_problems(tree) == []
    token = _variable(tree, "envs/staging", "cloudflare_api_token")
    assert token["sensitive"] is True
    assert "default" not in token


def test_providers_and_modules_are_pinned(tree: list[TfFile]) -> None:
    assert tt.unpinned_providers(tree) == []
    assert tt.unpinned_modules(tree) == []
    versions = {
        provider: spec["version"]
        for _, body in unlabelled(tree, "terraform")
        for entry in body.get("required_providers", [])
        for provider, spec in entry.items()
    }
    assert versions == {"aws": "5.100.0", "cloudflare": "4.52.0"}


def test_no_wildcard_action_and_no_star_resource_iam_could_narrow(tree: list[TfFile]) -> None:
    assert tt.iam_wildcard_problems(tree) == []
    assert tt.inline_policy_problems(tree) == []


def test_every_checkov_skip_gives_its_reason() -> None:
    assert tt.checkov_skip_problems(TERRAFORM) == []


def test_staging_runs_eks_1_32_on_spot_t3_large(tree: list[TfFile]) -> None:
    eks = _module_call(tree, "staging", "eks")
    assert eks["kubernetes_version"] == "1.32"
    assert eks["node_capacity_type"] == "SPOT"
    assert eks["node_instance_types"][0] == "t3.large"
    assert eks["node_scaling"] == {"min": 1, "desired": 2, "max": 3}
    assert _variable(tree, "modules/eks", "kubernetes_version")["default"] == "1.32"
    assert _variable(tree, "modules/eks", "node_capacity_type")["default"] == "SPOT"
    group = _resource(tree, "modules/eks", "aws_eks_node_group.spot")
    assert group["capacity_type"] == "${var.node_capacity_type}"


def test_api_endpoint_is_private_and_public_only_for_given_cidrs(tree: list[TfFile]) -> None:
    cluster = _resource(tree, "modules/eks", "aws_eks_cluster.this")
    vpc = cluster["vpc_config"][0]
    assert vpc["endpoint_private_access"] is True
    assert vpc["endpoint_public_access"] == "${length(var.public_access_cidrs) > 0}"
    for unit in ("modules/eks", "envs/staging"):
        assert "default" not in _variable(tree, unit, "public_access_cidrs")
    validation = _variable(tree, "modules/eks", "public_access_cidrs")["validation"][0]
    assert 'c != "0.0.0.0/0"' in validation["condition"]


def test_cluster_encrypts_secrets_logs_everything_and_uses_access_entries(
    tree: list[TfFile],
) -> None:
    cluster = _resource(tree, "modules/eks", "aws_eks_cluster.this")
    assert cluster["encryption_config"][0]["resources"] == ["secrets"]
    assert cluster["enabled_cluster_log_types"] == "${local.log_types}"
    assert cluster["access_config"][0]["authentication_mode"] == "API"
    addons = _variable(tree, "modules/eks", "addon_versions")["default"]
    assert sorted(addons) == [
        "coredns",
        "eks-pod-identity-agent",
        "kube-proxy",
        "metrics-server",
        "vpc-cni",
    ]


def test_ecr_tags_are_immutable_and_scanned_on_push(tree: list[TfFile]) -> None:
    repo = _resource(tree, "modules/ecr", "aws_ecr_repository.this")
    assert repo["image_tag_mutability"] == "IMMUTABLE"
    assert repo["image_scanning_configuration"][0]["scan_on_push"] is True


def test_every_env_tags_everything_with_the_cost_allocation_tag(tree: list[TfFile]) -> None:
    for env, stack in (("permanent", "permanent"), ("staging", "staging")):
        [locals_] = [b for tf, b in unlabelled(tree, "locals") if tf.unit == f"envs/{env}"]
        assert locals_["cost_tag_key"] == "infra-fleet:stack"
        assert locals_["tags"]["${(local.cost_tag_key)}"] == stack
        [aws] = [
            b["aws"] for tf, _, b in _providers(tree) if tf.unit == f"envs/{env}" and "aws" in b
        ]
        assert aws["default_tags"] == [{"tags": "${local.tags}"}]


def test_github_roles_trust_this_repository_only(tree: list[TfFile]) -> None:
    subjects = {
        s.document: s for s in tt.policy_statements(tree) if s.unit == "github-oidc" and s.is_trust
    }
    assert sorted(subjects) == ["apply_assume", "images_assume", "plan_assume"]
    main = (TERRAFORM / "modules/github-oidc/main.tf").read_text(encoding="utf-8")
    assert 'values   = ["repo:${var.github_repository}:ref:refs/heads/${var.infra_branch}"]' in main
    assert '"repo:${var.github_repository}:ref:${ref}"' in main


def _providers(tree: list[TfFile]) -> list[tuple[TfFile, str, dict[str, Any]]]:
    return [(tf, "provider", body) for tf in tree for body in tf.body.get("provider", [])]


# The checks catch the faults they exist for ---------------------------------------------------


def test_a_wildcard_action_in_the_portal_policy_is_caught(terraform_copy: Path) -> None:
    replace_once(
        terraform_copy / "modules/portal-iam/main.tf",
        '"ec2:DescribeSpotPriceHistory",',
        '"ec2:*",',
    )
    problems = tt.iam_wildcard_problems(load_tree(terraform_copy))
    assert problems == [
        "terraform/modules/portal-iam/main.tf: portal/ReadCostsAndSpotPrices grants wildcard "
        "action ec2:*",
        "terraform/modules/portal-iam/main.tf: portal/ReadCostsAndSpotPrices puts resource * "
        "on actions IAM can scope: ['ec2:*']",
    ]


def test_an_all_actions_grant_is_caught_even_where_wildcards_are_allowed(
    terraform_copy: Path,
) -> None:
    replace_once(terraform_copy / "modules/github-oidc/main.tf", '"autoscaling:*",', '"*",')
    problems = tt.iam_wildcard_problems(load_tree(terraform_copy))
    assert problems == [
        "terraform/modules/github-oidc/main.tf: apply/ManageStackServices grants every action (*)"
    ]


def test_a_star_resource_on_a_scopable_action_is_caught(terraform_copy: Path) -> None:
    replace_once(
        terraform_copy / "modules/portal-iam/main.tf",
        "    resources = var.ecr_repository_arns\n",
        '    resources = ["*"]\n',
    )
    problems = tt.iam_wildcard_problems(load_tree(terraform_copy))
    assert len(problems) == 1
    assert problems[0].startswith(
        "terraform/modules/portal-iam/main.tf: flux_image_reader/ListOurImages puts resource *"
    )


def test_an_unpinned_provider_is_caught(terraform_copy: Path) -> None:
    replace_once(
        terraform_copy / "modules/network/versions.tf",
        'version = "5.100.0"',
        'version = ">= 5.0"',
    )
    assert tt.unpinned_providers(load_tree(terraform_copy)) == [
        "terraform/modules/network/versions.tf: provider aws is not pinned to one version "
        "(version = '>= 5.0')"
    ]


def test_a_provider_without_version_is_caught(terraform_copy: Path) -> None:
    replace_once(terraform_copy / "modules/dns/versions.tf", '      version = "4.52.0"\n', "")
    assert tt.unpinned_providers(load_tree(terraform_copy)) == [
        "terraform/modules/dns/versions.tf: provider cloudflare is not pinned to one version "
        "(version = None)"
    ]


def test_a_registry_module_without_exact_version_is_caught(terraform_copy: Path) -> None:
    (terraform_copy / "envs/staging/extra.tf").write_text(
        'module "vpc" {\n  source  = "terraform-aws-modules/vpc/aws"\n  version = "~> 5.0"\n}\n',
        encoding="utf-8",
    )
    assert tt.unpinned_modules(load_tree(terraform_copy)) == [
        "terraform/envs/staging/extra.tf: module vpc (terraform-aws-modules/vpc/aws) is not "
        "pinned to one version"
    ]


def test_an_undescribed_variable_is_caught(terraform_copy: Path) -> None:
    (terraform_copy / "modules/ecr/extra.tf").write_text(
        'variable "loose" {\n  default = 1\n}\n', encoding="utf-8"
    )
    assert tt.variable_problems(load_tree(terraform_copy)) == [
        "terraform/modules/ecr/extra.tf: variable loose has no description",
        "terraform/modules/ecr/extra.tf: variable loose has no type",
    ]


def test_a_checkov_skip_without_reason_is_caught(terraform_copy: Path) -> None:
    replace_once(
        terraform_copy / "modules/eks/main.tf",
        "  # checkov:skip=CKV_AWS_338:control-plane logs are kept 30 days by default (cost); "
        "retention is a variable\n",
        "  # checkov:skip=CKV_AWS_338\n",
    )
    problems = tt.checkov_skip_problems(terraform_copy)
    assert len(problems) == 1
    assert problems[0].startswith("main.tf:")
